"""Where the NPS audio check listens, and where a researcher should listen when no score stands.

Public API:
- `answer_windows(quotes, interview_id)`: the answer to the recommendation question, alone and
  then with its next sentence (`answer_window`: the first of them).
- `unheard_answer(segments)`: the stretch right after the recommendation question in which nothing
  was transcribed before the interviewer spoke again: the answer Whisper lost.
- `where_to_listen(quotes, interview_id)`, `from_the_question(attempt, segments, quotes)`: the
  moment a "listen to confirm" play button starts at.

Times only, no models: the CLI, the app and the exports ask where to listen without loading any.
"""
from __future__ import annotations

from typing import Any

from .models import INTERVIEWER, Quote, Segment
from .nps import is_nps_question

PAD_S = 0.4  # audio kept either side of the answer window (word times are approximate)
# The answer sentence and the next one are heard together when the first alone does not single
# out a score, if the next follows within this many seconds (the same answer, not a later turn).
NEXT_SENTENCE_GAP_S = 3.0
# The interviewer going on within UNHEARD_MIN_S of the question is still the question. Of a longer
# untranscribed stretch the first UNHEARD_MAX_S are heard: what Whisper skips is a short answer (a
# score with a word or two, "Nine, easily.", takes a second or two and comes first), and without a
# transcript to build on, longer speech offers the readings numbers nobody said ("committing for
# 12 months" heard as "committing a four 12 months": bench/nps_gap_eval.py).
UNHEARD_MIN_S, UNHEARD_MAX_S = 0.5, 4.0
# The stretch is heard this far inside its ends: segment times are approximate, and the tail of
# the question ("... zero to ten?") or the head of the interviewer's next words ("Why ...", heard
# as "One") would otherwise be read as the score (bench/nps_gap_eval.py).
GAP_INSET_S = 0.2
SHORTEST_ANSWER_S = 0.4  # a number said alone; a shorter stretch is not heard


def answer_window(quotes: list[Quote], interview_id: int) -> tuple[float, float, str] | None:
    """Where the interview answers the recommendation question: (start, end, quote id) of its
    `nps_score` quote, else of its first answer to a recommendation question; None if neither."""
    windows = answer_windows(quotes, interview_id)
    return windows[0] if windows else None


def where_to_listen(quotes: list[Quote], interview_id: int) -> float | None:
    """Where a researcher should listen for the score of an interview that has none (neither read
    nor heard): the start of the window the audio check listened to, padded as it was; None when
    nobody answered a recommendation question. Models are not loaded: the CLI and the app ask.

    >>> ask = "How likely are you to recommend us, zero to ten?"
    >>> where_to_listen([Quote("a", 1, 136.8, 138.0, "And I'm easily,", question=ask)], 1)
    136.4
    """
    quotes = [q for q in quotes if q.interview_id == interview_id]
    if not any(is_nps_question(q.question) for q in quotes):
        return None
    window = answer_window(quotes, interview_id)
    return None if window is None else round(window[0], 3)


def answer_windows(quotes: list[Quote], interview_id: int) -> list[tuple[float, float, str]]:
    """The windows the audio check listens to, in order: the answer quote (`answer_window`) padded
    by `PAD_S`, then, when the answer goes on, that quote together with the next sentence.

    Why two: a one-sentence window is the tightest, so nothing else said competes with the number,
    but under two seconds of audio Whisper has little to go on, and the padding can catch the next
    word ("a ten week", which then reads as a count of weeks). With the next sentence the models
    hear the number in its sentence. Each window must pass the same margin on its own.
    """
    qs = sorted((q for q in quotes if q.interview_id == interview_id), key=lambda q: (q.start, q.index))
    pick = next((q for q in qs if q.category == "nps_score"), None)
    pick = pick or next((q for q in qs if is_nps_question(q.question)), None)
    if pick is None:
        return []
    out = [(max(0.0, pick.start - PAD_S), pick.end + PAD_S, pick.id)]
    k = qs.index(pick)
    nxt = qs[k + 1] if k + 1 < len(qs) else None
    if nxt is not None and nxt.question == pick.question and 0 <= nxt.start - pick.end <= NEXT_SENTENCE_GAP_S:
        out.append((out[0][0], nxt.end + PAD_S, pick.id))
    return out


def window_text(quotes: list[Quote], interview_id: int, start: float, end: float) -> str:
    """What the transcript says in [start, end]: the text of the quotes inside it."""
    return " ".join(q.text for q in sorted(quotes, key=lambda q: (q.start, q.index))
                    if q.interview_id == interview_id and q.start >= start - 1e-6 and q.end <= end + 1e-6)


def unheard_answer(segments: list[Segment]) -> tuple[float, float] | None:
    """(start, end) of the stretch after the recommendation question, when the next thing
    transcribed is the interviewer again: Whisper skipped the answer there (`GAP_INSET_S` inside
    its ends). Short
    answers are what it skips ("Nine, easily." between the question and "Why's that?", on an
    interview the method had never seen), and then no quote holds the score to hear again. None
    when someone's words were transcribed right after the question, or the interviewer went on
    within `UNHEARD_MIN_S` (no room for an answer: that is still the question).

    >>> from interview_miner.models import Segment
    >>> asked = Segment(0.0, 4.0, " How likely are you to recommend us, zero to ten?", "interviewer")
    >>> unheard_answer([asked, Segment(5.8, 6.5, " Why's that?", "interviewer")])
    (4.2, 5.6)
    >>> unheard_answer([asked, Segment(4.3, 5.6, " Nine, easily.", "participant")]) is None
    True
    """
    ordered = sorted(segments, key=lambda s: s.start)
    for k, seg in enumerate(ordered):
        if seg.speaker != INTERVIEWER or not is_nps_question(seg.text):
            continue
        end, rest = seg.end, ordered[k + 1:]
        while rest and rest[0].speaker == INTERVIEWER and rest[0].start - end < UNHEARD_MIN_S:
            end, rest = max(end, rest[0].end), rest[1:]  # the question goes on in the next segment
        if rest and rest[0].speaker != INTERVIEWER:
            return None  # an answer was transcribed: the audio check starts from it
        until = min(rest[0].start if rest else end + UNHEARD_MAX_S, end + UNHEARD_MAX_S)  # it may end the recording
        start, stop = end + GAP_INSET_S, until - GAP_INSET_S
        return (round(start, 3), round(stop, 3)) if stop - start >= SHORTEST_ANSWER_S else None
    return None


def from_the_question(attempt: Any, segments: list[Segment], quotes: list[Quote]) -> Any:
    """Listen from where the recommendation question ends when no answer sentence was transcribed
    between it and the window the audio check heard: there Whisper lost the score itself (on an
    unseen interview, "Nine, easily." went unheard and the interviewer's "Why's that?" after it
    became the first thing transcribed), and the play button must land before it, not after."""
    asked = [s.end for s in segments if s.speaker == INTERVIEWER and s.end <= attempt.start
             and is_nps_question(s.text)]
    if asked and not any(q.interview_id == attempt.interview_id and max(asked) <= q.start < attempt.start for q in quotes):
        attempt.start = round(max(asked), 3)
    return attempt
