"""The one model resolver: bundled defaults, local folders, sizes, hub ids, the cache folder."""
from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from interview_miner import bundled, embed, transcribe
from interview_miner.errors import ModelNotFoundError


def test_defaults_are_the_bundled_models_under_their_real_names():
    if bundled.whisper_tiny_en_path() is None or bundled.embedding_default_path() is None:
        pytest.skip("bundled model packages not installed")
    whisper = bundled.resolve_whisper(None)
    assert whisper == bundled.resolve_whisper("default") == bundled.resolve_whisper("tiny.en")
    assert (whisper.identity, whisper.source) == ("tiny.en", "bundled") and Path(whisper.target, "model.bin").exists()
    emb = bundled.resolve_embedding("default")
    assert emb == bundled.resolve_embedding("sentence-transformers/all-MiniLM-L6-v2")
    assert (emb.identity, emb.source) == ("all-MiniLM-L6-v2", "bundled") and Path(emb.target).is_dir()
    # the stages' own entry points agree (transcript and embedding-cache keys stay what they were)
    assert transcribe.model_identity("default") == transcribe.model_identity("tiny.en") == "tiny.en"
    assert embed.resolve_model(None, "torch") == (emb.identity, emb.target)  # torch keeps the old cache name
    assert embed.resolve_model(None, "onnx") == (emb.identity + "@onnx", emb.target)


def test_sizes_hub_ids_and_folders(tmp_path):
    assert bundled.resolve_whisper("large-v3") == bundled.ResolvedModel("large-v3", "large-v3", "size")
    assert bundled.resolve_whisper("Systran/faster-whisper-small").source == "hub"
    assert bundled.resolve_embedding("BAAI/bge-small-en-v1.5").source == "hub"
    ct2 = tmp_path / "my-whisper"
    ct2.mkdir()
    with pytest.raises(ModelNotFoundError, match="no model.bin"):
        bundled.resolve_whisper(str(ct2))
    (ct2 / "model.bin").write_bytes(b"x")
    assert bundled.resolve_whisper(str(ct2)) == bundled.ResolvedModel(str(ct2), str(ct2), "folder")
    st_folder = tmp_path / "my-embedder"
    st_folder.mkdir()
    assert bundled.resolve_embedding(str(st_folder)).identity == f"path:{st_folder.resolve()}"


@pytest.mark.parametrize("name", ["./no-such-model", "/no/such/model", "~/no-such-model", "no-such-dir/"])
def test_what_looks_like_a_path_is_never_sent_to_a_hub(name):
    with pytest.raises(ModelNotFoundError) as whisper:
        bundled.resolve_whisper(name)
    assert whisper.value.kind == "whisper" and whisper.value.model == name
    with pytest.raises(ModelNotFoundError, match="no such folder") as emb:
        bundled.resolve_embedding(name)
    assert emb.value.kind == "embedding"


def test_first_part_of_a_local_folder_makes_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    assert bundled.looks_like_path("models/mine")
    assert not bundled.looks_like_path("Systran/faster-whisper-small")
    with pytest.raises(ModelNotFoundError):
        bundled.resolve_whisper("models/mine")


def test_cache_folder_is_the_platform_user_cache_unless_set(tmp_path, monkeypatch):
    monkeypatch.delenv("INTERVIEW_MINER_CACHE", raising=False)
    assert bundled.cache_dir() == Path(platformdirs.user_cache_dir("interview-miner", appauthor=False))
    monkeypatch.setenv("INTERVIEW_MINER_CACHE", str(tmp_path / "cache"))
    assert bundled.cache_dir() == tmp_path / "cache"
