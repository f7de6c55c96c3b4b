"""The Themes page shows where the recogniser was unsure (AppTest, a real temporary study): words
heard with low confidence are marked in the quotes, as on the Transcript page, and a theme whose
name holds such a word says so, with the moment to listen to."""
from __future__ import annotations

from dataclasses import replace

import pytest
from test_app import REPO, app, db, study, texts  # noqa: F401 - db, study: fixtures

from interview_miner import hear_again

THEME = "trigger_double_booking"  # "Double booking": the board's first theme; its first quote is
# "We kept double booking patients." (lit2_0), the other "Double bookings every week." (lit3_0)


def _hear_unsure(store, quote_id: str, *words: str) -> None:
    """Give the recogniser's words `words` of the quote a low probability, as Whisper would."""
    q = next(q for q in store.quotes() if q.id == quote_id)
    segments = store.segments(q.interview_id)
    for seg in segments:
        seg.words = [replace(w, probability=0.2) if seg.start <= q.start < seg.end and w.word.strip(".").lower() in words
                     else w for w in seg.words]
    store.replace_segments(q.interview_id, segments)


def test_a_name_built_on_an_unsure_word_says_where_to_listen(study):
    _hear_unsure(study, "lit2_0", "booking")
    at = app("themes")
    assert at.subheader[0].value == "Double booking"
    shown = texts(at, "caption")
    assert "May be misheard in this name: :orange-background[booking]. Listen to Cat Manager here" in shown
    assert "“We kept double :orange-background[booking] patients\\.”" in texts(at)
    assert at.button(key=f"play_name_{THEME}").label == "00:02"  # the quote's moment (a transcript here: no audio)


def test_an_unsure_word_outside_the_name_is_marked_but_the_name_is_not_flagged(study):
    _hear_unsure(study, "lit2_0", "patients")
    at = app("themes")
    assert "“We kept double booking :orange-background[patients]\\.”" in texts(at)
    assert "May be misheard" not in texts(at, "caption")


def test_a_name_word_heard_clearly_in_another_quote_is_not_flagged(study):
    """Only quotes holding all the name's words count: 'booking' heard unsure in one and clearly
    in another quote that also says 'double booking' is confirmed."""
    _hear_unsure(study, "lit2_0", "booking")
    q = next(q for q in study.quotes() if q.id == "lit3_0")
    segments = study.segments(q.interview_id)
    seg = next(s for s in segments if s.start <= q.start < s.end)
    seg.text = "Double booking every week."
    seg.words = [replace(w, word=w.word.replace("bookings", "booking")) for w in seg.words]
    study.replace_segments(q.interview_id, segments)
    study.save_quotes([replace(x, text="Double booking every week.") if x.id == "lit3_0" else x
                       for x in study.quotes(q.interview_id)], [q.interview_id])
    at = app("themes")
    assert "May be misheard" not in texts(at, "caption")


def test_the_export_page_lists_names_to_listen_to_before_sharing(study):
    from interview_miner import overview

    assert overview.unclear_names(study) == []
    _hear_unsure(study, "lit2_0", "booking")
    [found] = overview.unclear_names(study)
    assert (found.theme.id, found.words, found.quote.id) == (THEME, ["booking"], "lit2_0")
    at = app("export")
    assert "1 theme name holds words that may be misheard (“Double booking”)" in texts(at, "caption")


def test_a_persona_named_after_a_name_that_may_be_misheard_says_so(study):
    from interview_miner import persona_review

    persona_review.suggest_and_save(study)  # named before the word was found unsure (suggesting
    _hear_unsure(study, "lit2_0", "booking")  # now would pass the name over: see the test below)
    at = app("personas")
    shaky = [c.value for c in at.caption if "may be misheard" in str(c.value)]
    assert any("built on the theme “Double booking”" in v and ":orange-background[booking]" in v for v in shaky), shaky


needs_base = pytest.mark.skipif(not hear_again.available(), reason="needs the bundled multilingual base model")


def _jfk_interview(store, tmp_path, segments) -> int:
    """Real speech (tests/data/speech/jfk.flac, "... ask not what your country can do for you")
    with the given transcript: 'county' for 'country' on purpose, heard unsure."""
    from interview_miner import pipeline

    src = tmp_path / "jfk.flac"
    src.write_bytes((REPO / "tests" / "data" / "speech" / "jfk.flac").read_bytes())
    iid = pipeline.add_files(store, [str(src)], participant="JFK").added[0].id
    store.replace_segments(iid, segments)
    store.update_interview(iid, status="transcribed")
    return iid


def _heard_unsure(text: str, start: float, step: float):
    from interview_miner.models import Word

    return [Word(start + step * k, start + step * (k + 1), f" {w}", 0.2 if w == "county" else 0.95)
            for k, w in enumerate(text.split())]


def _second_hearing(at) -> str:
    heard = [str(c.value) for c in at.caption if str(c.value).startswith("Another model heard")]
    assert heard, [str(c.value) for c in at.caption]
    return heard[0].lower()


@pytest.mark.slow
@needs_base
def test_a_name_that_may_be_misheard_can_be_heard_again_with_another_model(db, tmp_path):
    """The theme named after the misheard word offers a second hearing, and base hears 'country'."""
    from interview_miner.models import PARTICIPANT, Quote, Segment, Theme
    from interview_miner.store import Store

    store = Store(db)
    text = "And so my fellow Americans, ask not what your county can do for you."
    iid = _jfk_interview(store, tmp_path, [Segment(0.3, 7.5, text, PARTICIPANT, words=_heard_unsure(text, 0.3, 0.5))])
    store.save_quotes([Quote("q_jfk", iid, 0.3, 7.5, text, index=0)], [iid])
    store.save_categories([("q_jfk", "trigger", 0.9)])
    store.save_themes([Theme(id="trigger_county", category="trigger", label="What your county can do",
                             quote_ids=["q_jfk"], representative_quote_id="q_jfk")])
    at = app("themes")
    assert "May be misheard in this name: :orange-background[county]" in texts(at, "caption")
    at.button(key="again_go_trigger_county").click().run()
    assert "country" in _second_hearing(at)


def test_a_name_on_a_quote_heard_again_when_mined_shows_that_hearing_at_once(db, tmp_path):
    """Mining heard the unsure quote again (second_hearing.py) and the study kept it: the Themes
    page shows it under the flag at once, with no button to press and nothing decoded."""
    from interview_miner import second_hearing
    from interview_miner.mining import VectorCache
    from interview_miner.models import PARTICIPANT, Quote, Segment, Theme
    from interview_miner.store import Store

    store = Store(db)
    text = "And so my fellow Americans, ask not what your county can do for you."
    iid = _jfk_interview(store, tmp_path, [Segment(0.3, 7.5, text, PARTICIPANT, words=_heard_unsure(text, 0.3, 0.5))])
    quote = Quote("q_jfk", iid, 0.3, 7.5, text, index=0, asr_confidence=0.6)
    store.save_quotes([quote], [iid])
    store.save_categories([("q_jfk", "trigger", 0.9)])
    store.save_themes([Theme(id="trigger_county", category="trigger", label="What your county can do",
                             quote_ids=["q_jfk"], representative_quote_id="q_jfk")])
    second_hearing.hear_unsure([quote], [store.get_interview(iid)], VectorCache(store.get_embeddings, store.save_embeddings),
                               hear=lambda path, windows: ["ask not what your country can do for you"])
    at = app("themes")
    assert "May be misheard in this name: :orange-background[county]" in texts(at, "caption")
    assert _second_hearing(at) == "another model heard: “ask not what your country can do for you”"
    assert not [b for b in at.button if b.key == "again_go_trigger_county"]


def test_a_name_a_second_hearing_contradicts_is_flagged_though_heard_clearly(db, tmp_path):
    """tiny.en was sure of "county", but mining heard the quote again and base heard "country":
    two models rarely mishear alike, so the name says to listen, shows that hearing, and the
    export page lists it; a second hearing holding the name's words leaves it unflagged."""
    from interview_miner import overview, second_hearing
    from interview_miner.mining import VectorCache
    from interview_miner.models import PARTICIPANT, Quote, Segment, Theme
    from interview_miner.store import Store

    store = Store(db)
    text = "And so my fellow Americans, ask not what your county can do for you."
    clearly = [replace(w, probability=0.95) for w in _heard_unsure(text, 0.3, 0.5)]
    iid = _jfk_interview(store, tmp_path, [Segment(0.3, 7.5, text, PARTICIPANT, words=clearly)])
    quote = Quote("q_jfk", iid, 0.3, 7.5, text, index=0, asr_confidence=0.6)
    store.save_quotes([quote], [iid])
    store.save_categories([("q_jfk", "trigger", 0.9)])
    store.save_themes([Theme(id="trigger_county", category="trigger", label="What your county can do",
                             quote_ids=["q_jfk"], representative_quote_id="q_jfk")])
    assert overview.unclear_names(store) == []  # heard clearly, and no second hearing yet
    cache = VectorCache(store.get_embeddings, store.save_embeddings)
    second_hearing.hear_unsure([quote], [store.get_interview(iid)], cache,
                               hear=lambda path, windows: ["ask not what your country can do for you"])
    [found] = overview.unclear_names(store)
    assert (found.theme.id, found.words, found.quote.id) == ("trigger_county", ["county"], "q_jfk")
    at = app("themes")
    assert "May be misheard in this name: :orange-background[county]" in texts(at, "caption")
    assert _second_hearing(at) == "another model heard: “ask not what your country can do for you”"
    store.add_edit("theme", "trigger_county", "label", "Ask not what you can do")  # "ask": both models heard it
    assert overview.unclear_names(store) == []


@pytest.mark.slow
@needs_base
def test_a_transcript_line_can_be_heard_again_with_another_model(db, tmp_path):
    """The Transcript page's Fix tab: the line with a low-confidence word comes first, and base
    hears 'country' where the transcript says 'county'."""
    from interview_miner.models import INTERVIEWER, PARTICIPANT, Segment
    from interview_miner.store import Store

    store = Store(db)
    text = "Ask not what your county can do for you."
    iid = _jfk_interview(store, tmp_path, [Segment(0.0, 3.2, "And so my fellow Americans,", INTERVIEWER),
                                            Segment(3.2, 7.8, text, PARTICIPANT, words=_heard_unsure(text, 3.5, 0.45))])
    at = app("transcript")
    at.selectbox(key="interview").set_value(iid).run()
    assert at.selectbox(key=f"again_line_{iid}").value == store.segments(iid)[1].id  # the unsure line first
    at.button(key=f"again_seg_go_{iid}").click().run()
    assert "country" in _second_hearing(at)


def test_a_persona_is_not_named_after_a_name_that_may_be_misheard(study):
    """A persona's name is what a stakeholder reads first: a theme that sets the group apart as
    well, heard clearly, names it instead."""
    from interview_miner import persona_review

    assert "Front desk manager driven by double booking" in {p.name for p in persona_review.suggest_and_save(study)}
    _hear_unsure(study, "lit2_0", "booking")
    names = {p.name for p in persona_review.suggest_and_save(study)}
    front_desk = next(n for n in names if n.startswith("Front desk manager"))
    assert "double booking" not in front_desk, names
    assert "Clinic owner driven by no shows" in names
