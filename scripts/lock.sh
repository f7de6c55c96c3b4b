#!/usr/bin/env bash
# Re-resolve constraints.txt: a fresh venv from pyproject.toml's ranges alone (the newest versions
# the package index has), with the test extras, then its exact versions under the file's header.
# Run `make test` on the result before committing it.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${PYTHON:-python3}" -m venv "$tmp/venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$tmp/venv/bin/pip" install -q "torch==${TORCH_VERSION:-2.13.0}"
"$tmp/venv/bin/pip" install -q ".[dev,cluster]"
{ sed -n '1,/^$/p' constraints.txt
  "$tmp/venv/bin/pip" freeze --exclude-editable | grep -v -i -E '^(torch|interview-miner|interview_miner)( @|==)'
} > "$tmp/constraints.txt"
mv "$tmp/constraints.txt" constraints.txt
echo "lock: constraints.txt re-resolved ($(grep -c '==' constraints.txt) packages); run make test before committing"
