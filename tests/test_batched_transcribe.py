"""Batched decoding (`--batch-size N`) keeps the sequential path's guarantees: per-chunk commits that
survive a kill, word timestamps, quality signals, vocabulary hints; and the GPU auto-pick."""
from __future__ import annotations

import pytest

from interview_miner import capture, pipeline, transcribe
from interview_miner.errors import InterviewMinerError

from conftest import shared_path
from test_transcribe import cli, kill_and_resume, wer


def test_batch_size_keys_the_decoding_mode_not_the_number():
    sequential = transcribe.TranscribeOptions()
    # Keys written before batching existed stay valid: the study is not re-transcribed.
    assert sequential.key("abc") == "33f4ac359840e252"
    assert transcribe.TranscribeOptions(batch_size=0).key("abc") == sequential.key("abc")
    assert transcribe.TranscribeOptions(batch_size=1).key("abc") == sequential.key("abc")
    batched = transcribe.TranscribeOptions(batch_size=8)
    assert batched.batched and batched.key("abc") != sequential.key("abc")
    assert transcribe.TranscribeOptions(batch_size=16).key("abc") == batched.key("abc")
    with pytest.raises(InterviewMinerError, match="batch size"):
        transcribe.TranscribeOptions(batch_size=-2)


def test_gpu_pick_uses_float16_and_a_larger_batch_unless_told(monkeypatch):
    """No GPU is lent here: the pick's decision is checked with the device count it would see."""
    cpu = transcribe.TranscribeOptions()
    assert transcribe.for_hardware(cpu) == cpu or transcribe.cuda_device_count() > 0
    monkeypatch.setattr(transcribe, "cuda_device_count", lambda: 1)
    picked = transcribe.for_hardware(cpu)
    assert picked.compute_type == "float16" and picked.effective_batch_size == transcribe.GPU_BATCH_SIZE
    explicit = transcribe.for_hardware(transcribe.TranscribeOptions(batch_size=0))
    assert explicit.effective_batch_size == 0 and not explicit.batched


@pytest.mark.slow
def test_batched_window_has_words_quality_signals_and_real_speech_accuracy():
    audio = shared_path("speech", "jfk.flac")
    reference = shared_path("speech", "jfk.txt").read_text()
    model = transcribe.load_model()
    options = transcribe.TranscribeOptions(language="en", batch_size=4)
    segments, info = transcribe.transcribe_window(model, capture.read_audio(audio), 100.0, options)
    segments = list(segments)
    assert info.language == "en" and segments
    assert wer(reference, " ".join(s.text for s in segments)) <= 0.05
    words = [w for s in segments for w in s.words]
    assert words and all(a.start <= b.start for a, b in zip(words, words[1:]))
    assert 100.0 <= words[0].start < words[-1].end <= 111.1  # shifted by the window offset
    for s in segments:  # what quality_flags reads
        assert s.avg_logprob is not None and s.no_speech_prob is not None and s.compression_ratio > 0
        assert transcribe.quality_flags(s, []) == []


def test_batched_vocabulary_hints_spell_product_names(store):
    interview = pipeline.add_files(store, [str(shared_path("speech", "hotwords.mp3"))]).added[0]
    options = transcribe.TranscribeOptions(hotwords="ComfyUI", batch_size=4)
    pipeline.transcribe_interviews(store, options=options)
    assert "ComfyUI" in " ".join(s.text for s in store.segments(interview.id))
    assert store.get_transcription(interview.id).run_key == transcribe.for_hardware(options).key(interview.content_hash)


@pytest.mark.slow
def test_killed_batched_transcription_resumes_without_duplicates_or_loss(tmp_path):
    """The sequential kill test in batched mode: batches of 2 VAD chunks, killed after a commit."""
    before, after = kill_and_resume(tmp_path, "--batch-size", "2", kill_after=1)
    assert all(s.words for s in before)  # word timestamps, for the speakers stage
    assert {s.speaker for s in after} == {"interviewer", "participant"}
    # The same mode with another batch size is the same transcript: nothing left to do.
    assert "nothing to transcribe" in cli("transcribe", "--batch-size", "4", db=tmp_path / "study.db").stdout
