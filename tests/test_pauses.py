"""Pauses heard in real recordings (Silero VAD) and the run-on sentences they cut: real audio,
real tiny.en transcripts, the real spaCy parser. Literal cut/no-cut cases are in test_quotes.py."""
from __future__ import annotations

import re

import pytest

from conftest import shared_path
from interview_miner import capture, mining, quotes, transcribe
from interview_miner.models import PARTICIPANT, Interview, Segment, Word
from interview_miner.pauses import MIN_PAUSE_S, RecordedPauses, find_pauses


def flat(pauses) -> list[float]:
    return [t for pause in pauses for t in pause]


def words(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text).lower().split()


def overlaps(a, b) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_pauses_are_the_silences_between_speech_and_reading_in_windows_finds_the_same():
    """JFK pauses three times mid-sentence ("And so, my fellow Americans | ask not | what your
    country ..."). A silence across the edge of two windows is joined, not lost or split."""
    path = shared_path("speech", "jfk.flac")
    whole = find_pauses(path)
    assert len(whole) >= 3
    assert all(MIN_PAUSE_S <= b - a and 0 < a < b < 11.1 for a, b in whole)
    assert all(p[1] <= q[0] for p, q in zip(whole, whole[1:]))  # in order, apart
    windowed = find_pauses(path, window_s=3.0)  # the first pause (2.2-3.3 s) spans the 3 s edge
    assert all(any(overlaps(p, q) for q in windowed) for p in whole)
    assert any(a < 3.0 < b for a, b in windowed)


def transcribed(path, end: float) -> list[Segment]:
    segments, _ = transcribe.load_model().transcribe(
        capture.read_audio(path, 0.0, end), language="en", word_timestamps=True, vad_filter=True)
    return [Segment(s.start, s.end, s.text, PARTICIPANT, [Word(w.start, w.end, w.word, w.probability) for w in s.words])
            for s in segments]


def audio_interview(path) -> Interview:
    return Interview(id=1, content_hash="f" * 64, file_name=path.name, kind="audio", language="en", stored_path=str(path))


@pytest.mark.slow
@pytest.mark.parametrize("clip, end, sentence_starts", [
    # a speech full of pauses inside one sentence: nothing is cut
    ("jfk.flac", 11.0, ("and so",)),
    # the MIT licence read aloud, two sentences: here tiny.en joins them with a comma and the cut
    # falls where the reader paused between them ("... the following conditions: | The above");
    # a CPU that hears the full stop itself has nothing to cut, and the same quotes come out
    ("multilingual.mp3", 31.0, ("permission is hereby granted", "the above copyright notice")),
])
def test_on_real_speech_a_pause_cuts_only_between_sentences(clip, end, sentence_starts):
    path = shared_path("speech", clip)
    segments = transcribed(path, end)
    interview = audio_interview(path)
    pauses = [p for p in find_pauses(path) if p[1] <= end]
    assert len(pauses) >= 3  # plenty of pauses to cut at, inside sentences too
    as_written = [q.text for q in quotes.split_quotes(interview, segments)]
    cut = [q.text for q in quotes.split_quotes(interview, segments, pauses=pauses)]
    assert words(" ".join(cut)) == words(" ".join(as_written))  # the same words, cut or not

    def opens(quote: str, start: str) -> bool:
        return words(quote)[:len(start.split())] == start.split()

    for start in sentence_starts:  # every sentence of the reading starts a quote
        assert any(opens(q, start) for q in cut), (start, cut)
    # and a quote the pauses made starts a sentence, or where a quote as written started
    allowed = list(sentence_starts) + [" ".join(words(q)[:4]) for q in as_written]
    assert all(any(opens(q, start) for start in allowed) for q in cut if q not in as_written), cut


def test_recorded_pauses_are_read_once_and_none_without_a_recording(tmp_path):
    """Re-mining a study reads no audio again: the second call finds the pauses in the cache (its
    finder here fails if called). A transcript imported as text has no pauses to offer."""
    path = shared_path("speech", "jfk.flac")
    cache = mining.VectorCache.in_memory()
    first = RecordedPauses()(audio_interview(path), cache)
    assert first and flat(first) == pytest.approx(flat(find_pauses(path)), abs=1e-3)

    def unreachable(*_):
        raise AssertionError("the recording was read again")

    assert flat(RecordedPauses(finder=unreachable)(audio_interview(path), cache)) == pytest.approx(flat(first), abs=1e-3)
    text_only = Interview(id=2, content_hash="e" * 64, file_name="call.txt", kind="transcript", language="en")
    assert RecordedPauses()(text_only, cache) is None
    gone = audio_interview(tmp_path / "moved.wav")
    assert RecordedPauses()(gone, cache) is None


def test_the_miner_hands_pauses_to_a_splitter_that_takes_them_and_not_to_one_that_does_not():
    path = shared_path("speech", "jfk.flac")
    seg = Segment(0.3, 10.5, " And so my fellow Americans, ask not what your country can do for you.", PARTICIPANT)
    got: list = []

    def with_pauses(interview, segments, pauses=None):
        got.append(pauses)
        return []

    def plain(interview, segments):
        got.append("plain")
        return []

    interview = audio_interview(path)
    interview.status = "transcribed"
    mining.Miner(splitter=with_pauses).mine([interview], {1: [seg]})
    mining.Miner(splitter=with_pauses, pauses=False).mine([interview], {1: [seg]})
    mining.Miner(splitter=plain).mine([interview], {1: [seg]})
    assert got[0] and flat(got[0]) == pytest.approx(flat(find_pauses(path)), abs=1e-3)
    assert got[1:] == [None, "plain"]


@pytest.mark.slow
def test_a_recordings_pauses_are_kept_in_the_study_and_forgotten_with_it(store):
    from interview_miner import forget, pipeline

    interview = pipeline.add_files(store, [str(shared_path("speech", "jfk.flac"))]).added[0]
    assert pipeline.transcribe_interviews(store, n_speakers=1).ok
    pipeline.mine(store)
    kept = "SELECT count(*) FROM embeddings WHERE model LIKE 'pauses-%' AND text_hash = ?"
    assert store.db.execute(kept, [interview.content_hash]).fetchone()[0] == 1
    forget.forget(store, [interview.id])
    assert store.db.execute(kept, [interview.content_hash]).fetchone()[0] == 0


def test_a_silent_or_unreadable_recording_gives_no_pauses_and_mining_goes_on(tmp_path):
    """Silence has no speech to pause between; a recording that cannot be decoded costs only the
    pause cuts (its transcript, made earlier, is still split from the text)."""
    import wave

    silent = tmp_path / "silent.wav"
    with wave.open(str(silent), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(b"\0\0" * 16000 * 3)
    assert find_pauses(silent) == []
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really a wave file" * 100)
    assert RecordedPauses()(audio_interview(broken), mining.VectorCache.in_memory()) is None
    seg = Segment(0.0, 3.0, " We had a module in our billing software, but it was clunky.", PARTICIPANT)
    interview = audio_interview(broken)
    interview.status = "transcribed"
    assert mining.Miner(themer=lambda quotes, vectors, **context: []).mine([interview], {1: [seg]}).report.quotes == 1
