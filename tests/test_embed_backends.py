"""Embedding backends: ONNX Runtime gives the torch backend's vectors, and caches never mix them."""
from __future__ import annotations

import numpy as np
import pytest

from interview_miner import embed, pipeline
from interview_miner.errors import ModelNotFoundError
from interview_miner.models import INTERVIEWER, PARTICIPANT

from test_mining import add_interview

# Interview-like sentences of many lengths and registers (fillers, numbers, product names, one word).
SAMPLE = [
    "Take me back to when you first started looking for a new scheduling tool.",
    "We were double-booking rooms every Monday, which drove me mad.",
    "Honestly, the onboarding call sold us: the rep actually knew how a clinic runs.",
    "Price mattered, but not as much as getting the reminders right.",
    "I was worried we'd lose two years of patient notes in the move.",
    "Nine.",
    "Um, yeah, I think so?",
    "Our accountant found out about it from another practice in town.",
    "The front desk answers the same three questions forty times a day.",
    "If it hadn't synced with Xero we wouldn't have even trialled it.",
    "ClinicFlow, HIPAA, SMS reminders, two-factor login, and an API for our billing system.",
    "What almost stopped you from buying?",
    "We looked at Jane and Cliniko, and a spreadsheet my business partner built in 2019 that "
    "honestly worked better than either of them until we opened the second site and everything "
    "started falling apart because nobody could see the schedule from home.",
    "No-shows dropped from about eight a week to two.",
    "I'd recommend it, yes, but only to clinics with more than three practitioners.",
]


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return embed.load_embedder(None, "torch").encode(SAMPLE)


@pytest.mark.slow
def test_onnx_backend_gives_the_torch_vectors(torch_vectors):
    onnx = embed.load_embedder(None, "onnx")
    vectors = onnx.encode(SAMPLE, batch_size=4)  # several batches of different padded lengths
    assert vectors.shape == torch_vectors.shape and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosine = (vectors * torch_vectors).sum(axis=1)
    assert cosine.min() >= 0.99, cosine
    assert onnx.encode([SAMPLE[3]])[0] @ vectors[3] > 0.9999  # no dependence on batch padding


@pytest.mark.slow
def test_int8_backend_agrees_with_torch(torch_vectors):
    """The int8 graph (MatMul weights per channel, down-projections kept fp32) gives vectors within
    cosine 0.99 of torch's on average and ranks neighbours like torch."""
    vectors = embed.load_embedder(None, "onnx-int8").encode(SAMPLE)
    cosine = (vectors * torch_vectors).sum(axis=1)
    assert cosine.mean() >= 0.99 and cosine.min() >= 0.98, cosine
    nearest = lambda v: np.argsort(-(v @ v.T), axis=1)[:, 1]  # noqa: E731
    assert (nearest(vectors) == nearest(torch_vectors)).mean() >= 0.8


@pytest.mark.slow
def test_openvino_backend_agrees_with_torch(torch_vectors):
    """OpenVINO runs the same exported graph; in bf16 (a CPU with native bf16) the vectors stay
    within cosine 0.999 of torch's, in f32 they are torch's. Batching never changes a vector, and
    the precision that runs is the one in the name the vectors are stored under."""
    pytest.importorskip("openvino")
    from interview_miner import onnx_backend

    openvino = embed.load_embedder(None, "openvino")
    precision = onnx_backend.openvino_precision()
    assert openvino.name == f"all-MiniLM-L6-v2@openvino-{precision}"
    assert openvino.session.precision == precision
    vectors = openvino.encode(SAMPLE, batch_size=4)
    assert vectors.shape == torch_vectors.shape and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosine = (vectors * torch_vectors).sum(axis=1)
    assert cosine.min() >= (0.999 if precision == "bf16" else 0.9999), cosine
    assert openvino.encode([SAMPLE[3]])[0] @ vectors[3] > 0.9999


def test_without_openvino_the_openvino_backend_runs_on_onnx_runtime(monkeypatch):
    """A machine without OpenVINO (it is not installed everywhere) gets ONNX Runtime's vectors,
    stored under ONNX Runtime's name, not an error."""
    import builtins

    from interview_miner import onnx_backend

    real_import = builtins.__import__

    def no_openvino(name, *args, **kwargs):
        if name == "openvino" or name.startswith("openvino."):
            raise ImportError("No module named 'openvino'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_openvino)
    monkeypatch.setattr(onnx_backend, "openvino_precision", onnx_backend.openvino_precision.__wrapped__)
    monkeypatch.setattr(embed, "_loaded", {})
    assert embed.resolve_model(None, "openvino")[0] == "all-MiniLM-L6-v2@onnx"
    embedder = embed.load_embedder(None, "openvino")
    assert embedder.name == "all-MiniLM-L6-v2@onnx" and type(embedder.session).__name__ == "InferenceSession"


def test_backend_is_part_of_the_cache_name(monkeypatch):
    assert embed.resolve_model(None, "torch")[0] == "all-MiniLM-L6-v2"  # caches written before backends
    names = {embed.resolve_model(None, b)[0] for b in embed.BACKENDS}
    assert len(names) == len(embed.BACKENDS)
    # the int8 recipe is in the name: vectors of the earlier int8 graph ("@onnx-int8") are not read
    assert embed.resolve_model(None, "onnx-int8")[0] not in ("all-MiniLM-L6-v2@onnx-int8", "all-MiniLM-L6-v2@onnx")
    monkeypatch.setenv("INTERVIEW_MINER_EMBED_BACKEND", "torch")
    assert embed.LazyEmbedder().name == "all-MiniLM-L6-v2"
    monkeypatch.setenv("INTERVIEW_MINER_EMBED_BACKEND", "tensorflow")
    with pytest.raises(ModelNotFoundError, match="tensorflow"):
        embed.LazyEmbedder()


@pytest.mark.slow
def test_vectors_from_one_backend_are_never_read_by_another(store, monkeypatch):
    add_interview(store, [(INTERVIEWER, "What worried you about switching?"),
                          (PARTICIPANT, "Losing our data in the move. And the staff hating it.")], "b1")
    monkeypatch.setenv("INTERVIEW_MINER_EMBED_BACKEND", "torch")
    first = pipeline.mine(store)
    assert first.embedded > 0
    monkeypatch.setenv("INTERVIEW_MINER_EMBED_BACKEND", "onnx")
    second = pipeline.mine(store)
    assert second.cached == 0 and second.embedded >= second.quotes > 0  # computed anew, not torch's
    assert pipeline.mine(store).embedded == 0  # and then cached under its own name
    monkeypatch.setenv("INTERVIEW_MINER_EMBED_BACKEND", "torch")
    assert pipeline.mine(store).embedded == 0  # torch's vectors are still there, untouched


@pytest.mark.slow
def test_export_is_made_once_and_reused(tmp_path, monkeypatch):
    """The export lands atomically in the cache folder (no temporary folder left behind) and a
    second load, in a fresh process state, reuses it instead of exporting again."""
    monkeypatch.setenv("INTERVIEW_MINER_CACHE", str(tmp_path))
    monkeypatch.setattr(embed, "_loaded", {})
    first = embed.load_embedder(None, "onnx")
    folders = list((tmp_path / "onnx").iterdir())
    assert len(folders) == 1 and (folders[0] / "meta.json").exists()
    model_file = folders[0] / "model.onnx"
    stamp = model_file.stat().st_mtime_ns
    monkeypatch.setattr(embed, "_loaded", {})

    def no_torch(*_a, **_k):
        raise AssertionError("the export was redone")

    monkeypatch.setattr(embed, "_load_sentence_transformer", no_torch)
    second = embed.load_embedder(None, "onnx")
    assert second is not first and second.name == first.name
    assert list((tmp_path / "onnx").iterdir()) == folders and model_file.stat().st_mtime_ns == stamp
    assert second.encode([SAMPLE[0]])[0] @ first.encode([SAMPLE[0]])[0] > 0.9999
