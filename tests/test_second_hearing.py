"""The second hearing of unsure quotes (second_hearing.py): which quotes are heard again, what the
bundled base hears on real speech, that a hearing is kept and never redone, that the vectors the
Miner's categories and themes are decided on (of those quotes only) lean on it, and that it is
forgotten with the participant."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import REPO, shared_path
from interview_miner import hear_again, quotes as quotes_mod, second_hearing
from interview_miner.mining import Miner, VectorCache
from interview_miner.models import INTERVIEWER, PARTICIPANT, Interview, Quote, Segment, Word
from stages import HashEmbedder

needs_base = pytest.mark.skipif(not hear_again.available(), reason="needs the bundled multilingual base model")


def test_only_quotes_heard_unsure_lean_on_a_second_hearing_and_never_more_than_on_their_own_words():
    def quote(conf):
        return Quote("q", 1, 0.0, 1.0, "x", asr_confidence=conf)

    assert second_hearing.weight(quote(None)) == 0.0  # typed text: nothing to hear again
    assert second_hearing.weight(quote(0.95)) == 0.0
    assert second_hearing.weight(quote(second_hearing.UNSURE_QUOTE)) == 0.0
    assert second_hearing.weight(quote(0.7)) == pytest.approx(0.3)
    assert second_hearing.weight(quote(0.2)) == second_hearing.MAX_LEAN


def jfk_study(path) -> tuple[Interview, list[Quote]]:
    interview = Interview(id=1, content_hash="f" * 64, file_name=path.name, kind="audio", language="en",
                          stored_path=str(path), status="transcribed")
    unsure = Quote("q1", 1, 0.3, 10.5, "And so my fellow Americans, ask not what your count and do for you.",
                   asr_confidence=0.55)
    sure = Quote("q2", 1, 0.3, 10.5, "And so my fellow Americans, ask not what your country can do for you.",
                 asr_confidence=0.97)
    return interview, [unsure, sure]


@needs_base
@pytest.mark.slow
def test_on_real_speech_the_second_model_hears_an_unsure_quote_once_and_the_study_keeps_it():
    interview, quotes = jfk_study(shared_path("speech", "jfk.flac"))
    cache = VectorCache.in_memory()
    heard = second_hearing.hear_unsure(quotes, [interview], cache=cache)
    assert list(heard) == ["q1"]  # the sure quote is not decoded again
    assert "country can do for you" in heard["q1"].lower()

    def must_not_decode(*args):
        raise AssertionError("a kept hearing was decoded again")

    assert second_hearing.hear_unsure(quotes, [interview], cache=cache, hear=must_not_decode) == heard
    # another language, a typed transcript, a recording no longer on disk: nothing to hear
    for other in (Interview(**{**interview.__dict__, "language": "de"}),
                  Interview(**{**interview.__dict__, "kind": "transcript"}),
                  Interview(**{**interview.__dict__, "stored_path": "/nowhere/jfk.flac"})):
        assert second_hearing.hear_unsure(quotes, [other], hear=must_not_decode) == {}


@needs_base
def test_a_recording_damaged_since_it_was_transcribed_loses_only_its_second_hearing(tmp_path, caplog):
    """Mining goes on: its unsure quotes keep their own words' vectors, and the log says why."""
    damaged = tmp_path / "jfk.flac"
    damaged.write_bytes(b"fLaC" + bytes(range(256)) * 40)
    interview, quotes = jfk_study(damaged)
    with caplog.at_level("WARNING"):
        assert second_hearing.hear_unsure(quotes, [interview], cache=VectorCache.in_memory()) == {}
    assert "jfk.flac: not heard again" in caplog.text


@needs_base
@pytest.mark.slow
def test_windows_heard_in_one_batch_each_get_their_own_words_as_if_heard_alone():
    """`hear_again.hear_windows` decodes a study's unsure quotes a batch at a time: every window
    still gets the words said in it and nothing from its neighbours, the same as heard alone."""
    path = str(REPO / "tests" / "data" / "speech" / "jfk.flac")
    windows = [(0.2, 3.2), (3.3, 7.6), (8.0, 10.8)]  # "... fellow Americans," / "ask not ... for you," / "ask what ..."
    together = hear_again.hear_windows(path, windows, "en")
    assert together == [hear_again.hear_again(path, start, end, "en") for start, end in windows]
    assert "americans" in together[0].lower() and "country" not in together[0].lower()
    assert "ask not" in together[1].lower() and "americans" not in together[1].lower()
    assert "ask what you" in together[2].lower() and "not" not in together[2].lower()


@needs_base
@pytest.mark.slow
def test_a_window_longer_than_whisper_hears_at_once_is_heard_to_its_end(tmp_path):
    """Whisper hears 30 s at a time; a quote of 33 s is heard in parts, not cut at 30 s."""
    from interview_miner.capture import read_audio, write_wav

    jfk = read_audio(REPO / "tests" / "data" / "speech" / "jfk.flac")  # 11 s, ends "... ask what you can do for your country"
    path = write_wav(tmp_path / "thrice.wav", np.concatenate([jfk] * 3))
    heard = hear_again.hear_windows(str(path), [(0.0, 3 * len(jfk) / 16000)], "en")[0].lower()
    assert heard.count("what you can do for your country") == 3, heard


def unsure_answer_study() -> tuple[Interview, list[Segment]]:
    """One recorded interview: a question and three answer sentences, the middle one heard unsure."""
    def seg(start, text, speaker, p):
        toks = text.split()
        words = [Word(start + 0.4 * i, start + 0.4 * (i + 1), " " + t, p) for i, t in enumerate(toks)]
        return Segment(start, start + 0.4 * len(toks), " " + text, speaker, words)

    segments = [
        seg(0.0, "What made you start looking for a new tool?", INTERVIEWER, 0.95),
        seg(5.0, "Our spreadsheet kept breaking every month.", PARTICIPANT, 0.95),
        seg(9.0, "We were losing so many a point men's a week.", PARTICIPANT, 0.45),
        seg(14.0, "And the team was tired of retyping orders.", PARTICIPANT, 0.95),
    ]
    interview = Interview(id=1, content_hash="a" * 64, file_name="call.wav", kind="audio", language="en",
                          stored_path="/nowhere/call.wav", status="transcribed")
    return interview, segments


def test_the_vectors_of_unsure_quotes_and_only_those_lean_on_the_second_hearing_for_categories_and_themes():
    interview, segments = unsure_answer_study()
    seen: dict[str, np.ndarray] = {}
    asked: list[list[str]] = []

    def categorizer(quotes, vectors, question_vectors, encode, corrections):
        seen["categorized"] = np.array(vectors)
        return [("other", 1.0)] * len(quotes)

    def themer(quotes, vectors, **context):
        seen["vectors"] = np.array(vectors)
        return []

    def second(quotes, interviews, cache=None, on_progress=None):
        asked.append([q.id for q in quotes if second_hearing.weight(q) > 0])
        return {qid: "We were losing so many appointments a week." for qid in asked[-1]}

    embedder = HashEmbedder()
    result = Miner(embedder=embedder, categorizer=categorizer, themer=themer, second_hearing=second, nps_rescorer=False,
                   pauses=False).mine([interview], {1: segments})
    quotes, blended = result.quotes, seen["vectors"]
    plain = embedder.encode([quotes_mod.embedding_text(q.text) for q in quotes])
    unsure = [i for i, q in enumerate(quotes) if second_hearing.weight(q) > 0]
    assert [quotes[i].text for i in unsure] == ["We were losing so many a point men's a week."]
    assert result.report.heard_again == 1 and asked == [[quotes[unsure[0]].id]]
    for i in range(len(quotes)):
        moved = not np.allclose(blended[i], plain[i], atol=1e-6)
        assert moved == (i in unsure), quotes[i].text
    assert np.allclose(np.linalg.norm(blended, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(seen["categorized"], blended)  # the category is decided on the same vectors
    assert quotes[unsure[0]].text == "We were losing so many a point men's a week."  # the quote keeps its words
    assert "We were losing so many appointments a week." in embedder.encoded

    Miner(embedder=HashEmbedder(), categorizer=categorizer, themer=themer, second_hearing=False, nps_rescorer=False,
          pauses=False).mine([interview], {1: segments})
    assert np.allclose(seen["vectors"], plain, atol=1e-6) and np.allclose(seen["categorized"], plain, atol=1e-6)  # switched off: the quote vectors as they are


def test_a_second_hearing_and_the_vector_of_its_words_are_forgotten_with_the_participant(tmp_path):
    import shutil

    from interview_miner import embed, forget
    from interview_miner.store import Store

    store = Store(tmp_path / "study.db")
    recording = shutil.copy(shared_path("speech", "jfk.flac"), tmp_path / "jfk.flac")
    interview, quotes = jfk_study(tmp_path / "jfk.flac")
    interview = store.add_interview(Interview(**{**interview.__dict__, "id": None, "stored_path": str(recording)}))
    quotes = [Quote(**{**q.__dict__, "interview_id": interview.id}) for q in quotes]
    store.save_quotes(quotes)
    cache = VectorCache(store.get_embeddings, store.save_embeddings)
    heard = second_hearing.hear_unsure(quotes, [interview], cache=cache, hear=lambda path, windows: ["Ask what your country can do."] * len(windows))
    vector = embed.to_bytes(np.ones(4, dtype=np.float32) / 2)
    store.save_embeddings("some-model", {embed.text_hash(heard["q1"]): vector}, 4)
    count = "SELECT count(*) FROM embeddings WHERE model LIKE ? OR text_hash = ?"
    assert store.db.execute(count, ['["second-hearing"%', embed.text_hash(heard["q1"])]).fetchone()[0] == 2

    forget.forget(store, [interview.id])
    assert store.db.execute(count, ['["second-hearing"%', embed.text_hash(heard["q1"])]).fetchone()[0] == 0


def test_the_whole_job_and_the_cli_can_switch_the_second_hearing_off():
    from interview_miner import cli
    from interview_miner.executor import ExecutorSettings

    assert ExecutorSettings().miner().second_hearing is second_hearing.hear_unsure
    assert ExecutorSettings().miner(second_hearing=False).second_hearing is None
    parser = cli.build_parser()
    for argv in (["mine", "--no-second-hearing"], ["eval", "corpus", "--no-second-hearing"],
                 ["run", "a.wav", "--out", "o", "--no-second-hearing"]):
        assert parser.parse_args(argv).no_second_hearing is True
    assert parser.parse_args(["mine"]).no_second_hearing is False


def test_a_question_heard_unsure_is_heard_again_and_files_its_answers():
    """The interviewer's question is the categorizer's strongest signal, and tiny.en garbles
    questions too. A question heard unsure is heard again like a quote, and the answers are filed
    by both hearings: "Did anything work for you about making the switch?" (heard at 0.5) filed
    its answers as alternatives; with "...worry you..." heard again, as fears. A question heard
    surely is not heard again, and the answers' own words are unchanged."""
    def seg(start, text, speaker, p):
        words = [Word(start + 0.4 * i, start + 0.4 * (i + 1), " " + t, p) for i, t in enumerate(text.split())]
        return Segment(start, start + 0.4 * len(words), " " + text, speaker, words)

    segments = [seg(0.0, "Thanks for joining. How did you first hear about us?", INTERVIEWER, 0.95),
                seg(4.0, "A friend who runs a cafe told me about it.", PARTICIPANT, 0.95),
                seg(8.0, "Did anything work for you about making the switch?", INTERVIEWER, 0.5),
                seg(13.0, "Mostly the bakers, they have weighed everything by hand for twenty years.", PARTICIPANT, 0.95),
                seg(18.0, "And the oven timers, I was not sure they would link up.", PARTICIPANT, 0.95)]
    interview = Interview(id=1, content_hash="b" * 64, file_name="call.wav", kind="audio", language="en",
                          stored_path="/nowhere/call.wav", status="transcribed")
    asked: list[list[str]] = []

    def second(quotes, interviews, cache=None, on_progress=None):
        asked.append([q.text for q in quotes if second_hearing.weight(q) > 0])
        return {q.id: "Did anything worry you about making the switch?" for q in quotes if second_hearing.weight(q) > 0}

    heard = Miner(second_hearing=second, nps_rescorer=False, pauses=False).mine([interview], {1: segments})
    once = Miner(second_hearing=False, nps_rescorer=False, pauses=False).mine([interview], {1: segments})
    assert asked == [["Did anything work for you about making the switch?"]]  # the sure question is not heard again
    assert [q.category for q in once.quotes] == ["channel", "alternatives", "alternatives"]
    assert [q.category for q in heard.quotes] == ["channel", "fear", "fear"]
    assert [q.text for q in heard.quotes] == [q.text for q in once.quotes] and heard.report.heard_again == 0


def test_a_question_heard_again_and_the_vector_of_its_words_are_forgotten_with_the_participant(tmp_path):
    """A question's second hearing is kept like a quote's, under the question's own text, so the
    interview's erasure (GDPR art. 17) must find it too: the hearing, and the vector of what was heard."""
    import shutil
    from functools import partial

    from interview_miner import embed, forget
    from interview_miner.store import Store

    def seg(start, text, speaker, p):
        words = [Word(start + 0.4 * i, start + 0.4 * (i + 1), " " + t, p) for i, t in enumerate(text.split())]
        return Segment(start, start + 0.4 * len(words), " " + text, speaker, words)

    store = Store(tmp_path / "study.db")
    recording = shutil.copy(shared_path("speech", "jfk.flac"), tmp_path / "call.flac")
    interview = store.add_interview(Interview(id=None, content_hash="c" * 64, file_name="call.flac", kind="audio",
                                              language="en", stored_path=str(recording), status="transcribed"))
    segments = [seg(0.0, "Did anything work for you about making the switch?", INTERVIEWER, 0.5),
                seg(5.0, "Mostly the bakers, they weigh everything by hand.", PARTICIPANT, 0.95)]
    said = "Did anything worry you about making the switch?"
    hear = partial(second_hearing.hear_unsure, hear=lambda path, windows: [said] * len(windows))
    cache = VectorCache(store.get_embeddings, store.save_embeddings)
    result = Miner(embedder=HashEmbedder(), second_hearing=hear, nps_rescorer=False, pauses=False).mine(
        [interview], {interview.id: segments}, cache=cache)
    store.save_quotes(result.quotes)
    question = result.quotes[0].question
    assert question == "Did anything work for you about making the switch?"
    kept = "SELECT count(*) FROM embeddings WHERE model LIKE ? AND text_hash = ?"
    assert store.db.execute(kept, ['["second-hearing"%', embed.text_hash(question)]).fetchone()[0] == 1
    heard_vectors = "SELECT count(*) FROM embeddings WHERE text_hash IN (?, ?)"
    heard_keys = [embed.text_hash(said), embed.text_hash(quotes_mod.embedding_text(said))]
    assert store.db.execute(heard_vectors, heard_keys).fetchone()[0] >= 1

    forget.forget(store, [interview.id])
    assert store.db.execute(kept, ['["second-hearing"%', embed.text_hash(question)]).fetchone()[0] == 0
    assert store.db.execute(heard_vectors, heard_keys).fetchone()[0] == 0
