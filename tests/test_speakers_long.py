"""The speaker stage on long recordings: memory and work that must not grow with the length.

A 3-hour call is 659 MB of 16 kHz float32 and ~12,800 CAM++ pieces; each test here pins one
thing that once made such a call cost gigabytes or minutes (a copy of the recording, every
pairwise distance, every clip cut at once, models kept alive into mining), on real audio from
../shared/data (the dev corpus and an AMI meeting excerpt), with the real voice models.
"""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from conftest import shared_path as shared
from interview_miner import capture

os.environ.setdefault("HF_HUB_OFFLINE", "1")
SR = 16000


@pytest.fixture(scope="module")
def dev01():
    truth = json.loads(shared("corpus", "dev", "dev01.json").read_text())
    return shared("corpus", "dev", truth["audio"]["file"]), truth


@pytest.mark.slow
def test_long_answers_embed_fewer_pieces_and_keep_their_voices(dev01, monkeypatch):
    """Along one voice talking on, pieces between two alike borrow their vector: far fewer CAM++
    runs on an interview's long answers, and the same timeline of who speaks when."""
    from interview_miner import diarize, voices

    audio = capture.read_audio(dev01[0])[: 90 * SR]
    clips, real = [], voices.embed
    monkeypatch.setattr(voices, "embed", lambda wavs: clips.append(len(wavs)) or real(wavs))
    sparse, sparse_clips = diarize.listen(audio), sum(clips)
    clips.clear()
    monkeypatch.setattr(diarize, "SKIP_SPAN", 1)  # every piece embedded
    full = diarize.listen(audio)
    assert sparse_clips <= 0.85 * sum(clips)
    a, b = diarize.resolve(sparse, 2).speaking(), diarize.resolve(full, 2).speaking()
    agree = max(np.mean(a == b), np.mean(a == b[::-1]))  # the two voices may swap numbers
    assert agree >= 0.98


def test_a_long_recordings_voices_come_from_a_bounded_tree_and_keep_their_timeline(dev01, monkeypatch):
    """The voice tree needs every pairwise distance of its pieces: a 3-hour recording's ~12,000
    pieces took 3.2 GB for a few seconds. Above MAX_TREE_PIECES the tree is built from pieces
    spread over the recording and every piece joins its closest voice: here a tree of a quarter of
    the pieces gives the same timeline as one of all of them."""
    from interview_miner import diarize

    heard = diarize.listen(capture.read_audio(dev01[0]))
    full = diarize.resolve(heard, 2).speaking()
    sizes, real = [], diarize._piece_distances
    monkeypatch.setattr(diarize, "_piece_distances", lambda emb, pieces: sizes.append(len(pieces)) or real(emb, pieces))
    monkeypatch.setattr(diarize, "MAX_TREE_PIECES", len(heard.pieces) // 4)
    bounded = diarize.resolve(heard, 2).speaking()
    assert sizes and max(sizes) <= len(heard.pieces) // 4 < len(heard.pieces) // 2
    assert max(np.mean(full == bounded), np.mean(full == bounded[::-1])) >= 0.98  # voices may swap numbers


def test_pieces_are_cut_and_embedded_a_slice_at_a_time_with_the_same_vectors(dev01, monkeypatch):
    """`listen` cut every clip it was about to embed before CAM++ ran: ~700 MB of 1.5-second clips
    on a 3-hour recording. Now clips are cut EMBED_SLICE at a time (a multiple of CAM++'s batch),
    so the model sees the very same batches and gives the very same vectors."""
    from interview_miner import diarize, voices

    audio = capture.read_audio(dev01[0])[: 90 * SR]
    whole = diarize.listen(audio)  # the slice larger than any call: every clip cut at once
    calls, real = [], voices.embed
    monkeypatch.setattr(voices, "embed", lambda wavs: calls.append(len(wavs)) or real(wavs))
    monkeypatch.setattr(diarize, "EMBED_SLICE", 2 * voices.EMBED_BATCH)
    sliced = diarize.listen(audio)
    assert max(calls) <= 2 * voices.EMBED_BATCH < sum(calls), calls
    assert np.array_equal(whole.emb, sliced.emb)
    assert whole.unpieced.keys() == sliced.unpieced.keys()
    assert all(np.array_equal(whole.unpieced[k], sliced.unpieced[k]) for k in whole.unpieced)


def test_a_run_lets_the_voice_models_go_before_mining_and_they_come_back_the_same():
    """ONNX Runtime keeps the buffers of the largest input a session ran (~250 MB after a 3-hour
    recording) while the session lives; a `run` drops the voice models with Whisper's before
    mining, and the next recording loads them again to the same vectors."""
    from interview_miner import diarize, voices, whole_job

    audio = capture.read_audio(shared("speech", "ami", "trn06.wav"))
    seg = voices.segment(audio)
    clips = [diarize._piece_audio(audio, seg, p) for p in diarize._pieces(seg)[:8]]
    before = voices.embed(clips)
    whole_job._let_speech_models_go()
    assert not voices._models
    np.testing.assert_allclose(voices.embed(clips), before, atol=1e-6)


def test_segmentation_runs_over_a_long_recording_without_copying_it():
    """`voices.segment` copied the whole recording twice (astype, then pad) before cutting its
    chunks: a 3-hour call's 691 MB held three times over, the whole job's peak. Now only audio
    shorter than a chunk is padded; the chunks and their activity are the same."""
    import tracemalloc

    from interview_miner import voices

    audio = capture.read_audio(shared("speech", "ami", "trn06.wav"))  # real meeting, 30 s
    long = np.tile(audio, 10)  # 5 minutes
    voices.segment(long[: 20 * SR])  # the model loaded before measuring
    tracemalloc.start()
    seg = voices.segment(long)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 0.5 * long.nbytes, peak / long.nbytes  # 2x and more before
    short = voices.segment(audio[: 4 * SR])  # shorter than a chunk: padded to one
    assert short.activity.shape[0] == 1 and seg.activity.shape[0] == 59
