"""NPS read from the transcript: the score in the answer, a score taken back or changed, the
interviewer's echo as a second witness, and what counts as a reason for the score. The audio check
for a score the transcript lost is tests/test_nps_audio.py."""
from __future__ import annotations

import pytest

from interview_miner import nps, pipeline
from interview_miner.mining import Miner
from interview_miner.models import INTERVIEWER, PARTICIPANT, Quote
from test_mining import add_interview


@pytest.fixture(scope="module")
def miner() -> Miner:
    return Miner()


@pytest.mark.parametrize("text,score", [
    ("Um, probably a seven.", 7), ("Probably an eight.", 8), ("8/10", 8), ("I'd give it 8 / 10.", 8),
    ("Nine out of ten.", 9), ("nine out of 10, honestly", 9), ("A solid 7.", 7), ("I'd say 9.", 9),
    ("I'd say a nine.", 9), ("Ten, no question.", 10), ("A nine, easily.", 9), ("Hmm, a six, I think.", 6),
    ("Definitely a ten.", 10), ("Zero. I'd never recommend it.", 0), ("Maybe a six or seven.", 6),
    ("I'd say seven, maybe seven and a half.", 7), ("Honestly? 10.", 10), ("It's a strong eight for me.", 8),
    ("I'd rate it 9 out of 10 because support is great.", 9),
    ("It's one of the best tools we use.", None), ("I really like it.", None), ("", None),
    # numbers that count something are no score; the score as it stands now wins over an old or a partial one
    ("Probably a seven, we've been with them for two years.", 7), ("Nine, and I've told two of my colleagues.", 9),
    ("At the moment we have ten people on it, so an eight.", 8), ("We've been using it three years.", None),
    ("Two years ago I'd have said a nine, now more like a five.", 5), ("Nine now, it used to be a six.", 9),
    ("Ten out of ten for support, but overall a six.", 6), ("I gave them a four last year, this year a seven.", 7),
    # a score taken back after it is said; a "no" or "wouldn't" that takes nothing back
    ("Ten out of ten I wouldn't say, more like an eight.", 8), ("A ten? No. More an eight.", 8),
    ("Seven, no, eight.", 8), ("Ten? I would not go that far. Eight.", 8), ("Nine. No, really, nine.", 9),
    ("Nine, I wouldn't change a thing, maybe a ten next year.", 9), ("Ten. No complaints, though I'd give the app an eight.", 10),
    # a score that changed is the one it changed to; hours and the scale are no score
    ("It went from a six to a nine since the update.", 9), ("It has gone up from six to eight.", 8),
    ("We work from nine to five, but I'd give it a seven.", 7), ("From nine to five the phone never stops. Eight.", 8),
    ("On a scale from zero to ten, an eight.", 8), ("From eight till ten we did nothing but answer calls.", None),
])
def test_nps_parsing(text, score):
    assert nps.parse_score(text) == score


def test_a_closing_reply_is_no_reason_for_the_score(store, miner):
    """"Anything else?" after the score's reason is a follow-up of the recommendation question, so
    "No, that's everything, thanks." was filed, and listed in the report, as a reason for the score."""
    add_interview(store, [
        (INTERVIEWER, "How likely are you to recommend us to a colleague, from zero to ten?"),
        (PARTICIPANT, "An eight."),
        (INTERVIEWER, "What's behind the eight?"),
        (PARTICIPANT, "Support answers within the hour. The export to our accounts is still clumsy."),
        (INTERVIEWER, "Anything else?"),
        (PARTICIPANT, "No, that's everything, thanks."),
    ], "closing")
    pipeline.mine(store, miner=miner)
    by_text = {q.text: q.category for q in store.quotes()}
    assert by_text["No, that's everything, thanks."] == "other"
    assert by_text["Support answers within the hour."] == "nps_reason"
    [result] = nps.extract(store.quotes())
    assert "No, that's everything, thanks." not in {q.text for q in store.quotes() if q.id in result.reason_quote_ids}


def test_an_answer_and_the_interviewers_echo_that_disagree_give_no_score():
    """"Five." heard, then "Why nine?": one of the two was misheard, so neither is taken (the
    audio check, else the researcher, decides). A typed answer keeps its own number; a heard one
    the echo agrees with is taken."""
    ask = "On a scale of zero to ten, how likely is it that you'd recommend us?"

    def answer(said: str, echo: str, confidence: float) -> list[Quote]:
        return [Quote("a", 1, 10.0, 11.0, said, question=ask, category="nps_score", asr_confidence=confidence),
                Quote("b", 1, 13.0, 15.0, "Overtime dropped by a fifth.", question=echo, category="nps_reason",
                      asr_confidence=confidence, index=1)]

    heard = answer("Five.", "Why nine?", 0.71)
    assert nps.extract(heard) == [] and nps.disagreement(heard) == {1: (5, 9)}
    typed = answer("Five.", "Why nine?", 1.0)
    assert [r.score for r in nps.extract(typed)] == [5] and nps.disagreement(typed) == {}
    agreed = answer("Nine.", "Why nine?", 0.71)
    assert [r.score for r in nps.extract(agreed)] == [9] and nps.disagreement(agreed) == {}
    asked = answer("Five.", "What would make it a ten?", 0.71)  # a score asked about is no echo
    assert [r.score for r in nps.extract(asked)] == [5]


def test_the_interviewers_echo_stands_in_for_a_misheard_score(store, miner):
    """tiny.en heard "Nine out of ten." as "I out of ten." and the interviewer's "Why nine?" right:
    the score the interviewer says back is taken (a second witness), and only then."""
    add_interview(store, [
        (INTERVIEWER, "On a scale of zero to ten, how likely is it that you'd recommend us?"),
        (PARTICIPANT, "I out of ten."),
        (INTERVIEWER, "Why nine?"),
        (PARTICIPANT, "Overtime dropped by a fifth in the first quarter."),
    ], "echo")
    add_interview(store, [
        (INTERVIEWER, "On a scale of zero to ten, how likely is it that you'd recommend us?"),
        (PARTICIPANT, "I out of ten."),
        (INTERVIEWER, "What would make it a ten?"),
        (PARTICIPANT, "A proper payroll export."),
    ], "aspiration")
    add_interview(store, [
        (INTERVIEWER, "På en skala fra nul til ti, hvor sandsynligt er det, at du vil anbefale os?"),
        (PARTICIPANT, "Øh, i ud af ti."),
        (INTERVIEWER, "Hvorfor ni?"),
        (PARTICIPANT, "Overarbejdet faldt med en femtedel."),
    ], "ekko", language="da")
    pipeline.mine(store, miner=miner)
    scores = {i.file_name: store.nps().get(i.id, {}).get("score") for i in store.list_interviews()}
    assert scores == {"echo.txt": 9, "aspiration.txt": None, "ekko.txt": 9}
