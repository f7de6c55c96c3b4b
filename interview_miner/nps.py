"""NPS: the 0-10 "how likely are you to recommend" score per interview, its class and its reasons.

Public API:
- `parse_score(text) -> int | None`: a spoken or written score ("probably an eight", "8/10",
  "nine out of ten", "a solid 7", "I'd say 9", "Ten, no question") or None.
- `is_nps_question(text) -> bool`: does the interviewer ask for the 0-10 recommendation score?
- `extract(quotes) -> list[NpsResult]`: one result per interview that states a score, with the
  quote that states it and the ids of its reason quotes (category `nps_reason`).
The band of a score (promoter / passive / detractor) is `vocab.nps_band`.
- `scores_from_audio(quotes, missing, models) -> (results, attempts)`: when the answer to the
  recommendation question has no readable score, its audio window is re-scored against the eleven
  possible scores (`score_from_audio`); a score is accepted only when the audio singles it out
  (`MIN_SCORE_MARGIN`), otherwise the attempt says where to listen ("listen to confirm").
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .models import Quote
from .vocab import NUMBER_WORDS, nps_band
_NUM = (
    r"(?:10|[0-9](?:[.,]5)?|zero|nought|one(?!\s+(?:of|that|which|who|more|thing|i|day|time)\b)"
    r"|two|three|four|five|six|seven|eight|nine|ten)"
)
_OUT_OF = re.compile(rf"\b({_NUM})\s*(?:/|out of|outta|of)\s*(?:10|ten)\b", re.I)
# A number with a cue that it is being given as a rating.
_CUED = re.compile(
    rf"(?:\b(?:a|an|maybe|probably|possibly|perhaps|say|said|give it|give them|give you|go with|"
    rf"rate it|rating|score|solid|strong|easy|easily|definitely|like|about|around|honestly|"
    rf"it'?s|that'?s|i'?m at|at|be)\s+(?:a |an )?(?:solid |strong |easy |high |low |good |firm )?)({_NUM})\b",
    re.I,
)
_LEADING = re.compile(rf"^\W*(?:(?:um+|uh+|hmm+|oh|well|so|yeah|okay|ok|oof|ah)\W+)*({_NUM})\b", re.I)
_RANGE = re.compile(rf"\b({_NUM})\s*(?:or|to|-|–)\s*({_NUM})\b", re.I)
_NPS_QUESTION = re.compile(
    r"(recommend|how likely|likelihood|scale of|scale from|on a scale|zero to ten|0 to 10|0-10|"
    r"one to ten|1 to 10|out of ten|out of 10)", re.I
)
_SCORE_FOLLOWUP = re.compile(r"\b(that score|the score|why (a|an) |behind (the|that) |what'?s behind|why that)\b", re.I)


def _value(token: str) -> float | None:
    t = token.lower().replace(",", ".")
    if t in NUMBER_WORDS:
        return NUMBER_WORDS[t]
    try:
        v = float(t)
    except ValueError:
        return None
    return v if 0 <= v <= 10 else None


def parse_score(text: str) -> int | None:
    """The 0-10 score stated in `text`, or None. "seven or eight" -> 7 (the lower, said first)."""
    if not text:
        return None
    clean = text.replace("’", "'")
    for pattern in (_OUT_OF, _RANGE, _LEADING, _CUED):
        m = pattern.search(clean)
        if m:
            v = _value(m.group(1))
            if v is not None:
                return int(v) if v == int(v) else int(v + 0.5)
    tokens = re.findall(r"[a-z]+|\d+(?:\.\d)?", clean.lower())
    numbers = [_value(t) for t in tokens if _value(t) is not None]
    if len(numbers) == 1 and len(tokens) <= 6:  # "Nine." / "Probably 8." / "Six I think."
        return int(numbers[0])
    return None


def is_nps_question(text: str | None) -> bool:
    return bool(text) and bool(_NPS_QUESTION.search(text))


def is_score_followup(text: str | None) -> bool:
    return bool(text) and bool(_SCORE_FOLLOWUP.search(text))


@dataclass
class NpsResult:
    interview_id: int
    score: int
    klass: str
    quote_id: str
    text: str
    reason_quote_ids: list[str] = field(default_factory=list)

    def row(self) -> dict:
        return {"interview_id": self.interview_id, "score": self.score, "klass": self.klass,
                "quote_id": self.quote_id, "text": self.text}


def extract(quotes: list[Quote]) -> list[NpsResult]:
    """Per interview: the score from its `nps_score` quote (or, failing that, from the first answer
    to a recommendation question), and its `nps_reason` quotes."""
    by_interview: dict[int, list[Quote]] = {}
    for q in quotes:
        by_interview.setdefault(q.interview_id, []).append(q)
    out = []
    for iid in sorted(by_interview):
        qs = sorted(by_interview[iid], key=lambda q: (q.start, q.index))
        candidates = [q for q in qs if q.category == "nps_score"]
        candidates += [q for q in qs if q.category != "nps_score" and is_nps_question(q.question)]
        found = None
        for q in candidates:
            score = parse_score(q.text)
            if score is not None:
                found = (q, score)
                break
        if not found:
            continue
        q, score = found
        reasons = [r.id for r in qs if r.category == "nps_reason"]
        out.append(NpsResult(iid, score, nps_band(score), q.id, q.text, reasons))
    return out


# ---------------------------------------------------------------------------------------------
# Scores from audio: when the transcript has no readable score
# ---------------------------------------------------------------------------------------------

SCORE_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
# A re-heard score is accepted when the audio singles it out among the eleven: its log-likelihood
# beats the runner-up score's by at least this much (odds of 20:1, the 0.95 of a two-way choice
# with equal priors, fixed before any measurement) both summed over the models (a product of
# experts) and under at least one model alone (one confident witness, not two doubtful ones
# adding up). When no number was said, no number reading fits the audio better than the others
# and the margins stay small ("It depends on the day": 1-2 nats); when one was, it stands out.
# Chosen over a "number vs what was decoded" test: the decoded text is the recogniser's own best
# guess, so it wins that test even when it is "a salmon" for "a seven" (the winner's curse), and
# over a raw posterior bar, which pooled two doubtful models into a confident-looking 0.95.
MIN_SCORE_MARGIN = math.log(20.0)
_PAD_S = 0.4  # audio kept either side of the answer window (word times are approximate)


@dataclass
class AudioScore:
    """The outcome of re-listening to a recommendation answer.

    `score` is set only when accepted; otherwise `needs_listening` is True and `start`/`end` say
    where a researcher should listen. `confidence` is the posterior of the best score among 0..10
    (the eleven readings' probabilities normalised, summed over models), `margin` its
    log-likelihood lead over the runner-up score (summed over models), `heard` the most likely
    number reading, `plausibility` (for the record) the number reading against the best reading
    without a number, per model."""

    interview_id: int
    start: float
    end: float
    score: int | None
    confidence: float
    heard: str
    plausibility: float = 0.0
    margin: float = 0.0

    @property
    def needs_listening(self) -> bool:
        return self.score is None


N_SUSPECTS = 3  # least likely words of a long answer tried as the misheard number
MAX_WORDS_ALL_POSITIONS = 6  # answers this short: every word is tried


def _replacements(words: list[str], j: int) -> list[str]:
    """`words` with word j replaced by a score ("seven"), or words j-1..j / j..j+1 replaced by
    "seven" or "a seven" (mishearings turn a number into one word, "sermon", or two, "fan run"
    for "seven", "on it" for "an eight")."""
    out = []
    for a, b in ((j, j + 1), (j - 1, j + 1), (j, j + 2)):
        if a < 0 or b > len(words):
            continue
        last = words[b - 1]
        tail = last[len(last.rstrip(",.;:!?")):]  # keep the punctuation after the replaced words
        for n in SCORE_WORDS:
            for said in ([n] if b - a == 1 else [n, ("an " if n == "eight" else "a ") + n]):
                reading = " ".join([*words[:a], said + tail, *words[b:]])
                out.append(reading[:1].upper() + reading[1:])
    return out


def _reading_scorer(model, audio):
    """A function scoring a reading (list of words) under `model` given `audio`: the total
    log-probability (end of text included: a reading must cover the audio) and each word's share."""
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer

    fe = model.feature_extractor
    features = fe(np.asarray(audio, dtype=np.float32))
    num_frames = min(features.shape[-1], fe.nb_max_frames)
    encoder_output = model.encode(pad_or_trim(features[:, :fe.nb_max_frames]))
    multilingual = model.model.is_multilingual
    tokenizer = Tokenizer(model.hf_tokenizer, multilingual, task="transcribe", language="en" if multilingual else None)

    def score(words: list[str]) -> tuple[float, list[float]]:
        pieces = [tokenizer.encode(" " + w) for w in words]
        tokens = [t for p in pieces for t in p] + [tokenizer.eot]
        (r,) = model.model.align(encoder_output, tokenizer.sot_sequence, [tokens], num_frames)
        logp = np.log(np.clip(np.asarray(r.text_token_probs, dtype=np.float64), 1e-12, 1.0))
        bounds = np.cumsum([0] + [len(p) for p in pieces])
        return float(logp.sum()), [float(logp[bounds[k]:bounds[k + 1]].sum()) for k in range(len(words))]

    return score


def score_readings(models, audio, text: str) -> list[tuple[str, float]]:
    """`reading_scores` with each reading's log-probability summed over the models."""
    return [(r, sum(lps)) for r, lps in reading_scores(models, audio, text)]


def reading_scores(models, audio, text: str) -> list[tuple[str, list[float]]]:
    """Readings of `text` in which a number zero..ten replaces words the recogniser may have
    misheard (every word of a short answer, else the `N_SUSPECTS` least likely ones), each with
    its log-probability given `audio` under each of `models` (tiny.en and the bundled base model
    mishear differently); `text` itself comes first.

    Constrained decoding, in effect: instead of asking Whisper what it heard, each model is asked
    how likely each possible score is (teacher-forced through the decoder, the alignment pass
    faster-whisper uses for word timestamps), which is robust where "seven" decodes as "sermon"."""
    words = text.split()
    if not words or not models:
        return []
    scorers = [_reading_scorer(m, audio) for m in models]
    _, per_word = scorers[0](words)
    if len(words) <= MAX_WORDS_ALL_POSITIONS:
        suspects = list(range(len(words)))
    else:
        suspects = sorted(range(len(words)), key=lambda k: (per_word[k], k))[:N_SUSPECTS]
    # What the other models hear on their own competes too: a garbled transcript is a weak
    # alternative, a clean free decode ("It depends on the day") a strong one.
    decodes = [" ".join(words)] + [_free_decode(m, audio) for m in models[1:]]
    readings = [r for j in sorted(suspects) for r in _replacements(words, j)]
    unique = list(dict.fromkeys(d for d in decodes + readings if d.split()))
    return [(r, [sc(r.split())[0] for sc in scorers]) for r in unique]


def _free_decode(model, audio) -> str:
    multilingual = model.model.is_multilingual
    segments, _ = model.transcribe(np.asarray(audio, dtype=np.float32), language="en" if multilingual else None,
                                   beam_size=5, vad_filter=False, condition_on_previous_text=False)
    return " ".join(s.text.strip() for s in segments).strip()


def score_from_audio(
    models: Sequence, audio, interview_id: int, start: float, end: float, text: str,
    min_margin: float = MIN_SCORE_MARGIN,
) -> AudioScore:
    """Re-score one answer's audio (16 kHz mono, the window [start, end] of the recording; `text`
    is what the transcript says there) against the eleven possible scores and accept the best
    only when the audio singles it out (`MIN_SCORE_MARGIN`, summed and under one model alone)."""
    readings = reading_scores(models, audio, text)
    by_score: dict[int, list[list[float]]] = {}
    for reading, logps in readings:
        score = parse_score(reading)
        if score is not None:
            by_score.setdefault(score, []).append(logps)
    if not by_score:
        return AudioScore(interview_id, start, end, None, 0.0, "")
    # Each score's likelihood under a model sums over the readings that state it (where in the
    # answer the number was said is a nuisance variable).
    scores = sorted(by_score)
    per_model = np.array([[np.logaddexp.reduce([lps[m] for lps in by_score[sc]]) for m in range(len(models))]
                          for sc in scores])  # (scores, models)
    summed = per_model.sum(axis=1)
    top = int(np.argmax(summed))
    lead = float(summed[top] - np.max(np.delete(summed, top), initial=-np.inf))
    witness = max((float(per_model[top, m] - np.max(np.delete(per_model[:, m], top), initial=-np.inf))
                   for m in range(len(models))), default=0.0)
    posterior = float(np.exp(summed[top] - np.logaddexp.reduce(summed)))
    heard, best = max(((r, sum(lps)) for r, lps in readings if parse_score(r) == scores[top]), key=lambda x: x[1])
    decoded = max((sum(lps) for r, lps in readings if parse_score(r) is None), default=-math.inf)
    plausibility = (best - max(decoded, best)) / len(models)
    accepted = lead >= min_margin and witness >= min_margin
    return AudioScore(interview_id, start, end, scores[top] if accepted else None, round(posterior, 3), heard,
                      round(plausibility, 2), round(min(lead, 99.0), 2))


def answer_window(quotes: list[Quote], interview_id: int) -> tuple[float, float, str] | None:
    """Where the interview answers the recommendation question: (start, end, quote id) of its
    `nps_score` quote, else of its first answer to a recommendation question; None if neither."""
    qs = sorted((q for q in quotes if q.interview_id == interview_id), key=lambda q: (q.start, q.index))
    pick = next((q for q in qs if q.category == "nps_score"), None)
    pick = pick or next((q for q in qs if is_nps_question(q.question)), None)
    return (max(0.0, pick.start - _PAD_S), pick.end + _PAD_S, pick.id) if pick else None


def scores_from_audio(
    quotes: list[Quote], missing: dict[int, str], models: Sequence | Callable[[], Sequence],
) -> tuple[list[NpsResult], list[AudioScore]]:
    """For interviews whose recommendation answer has no readable score (`missing`: interview id ->
    path of its recording), re-score that answer's audio (`score_from_audio`). `models` are the
    Whisper models, or a function loading them (called only when there is an answer to score).
    Returns the accepted results (to add to `extract`'s) and every attempt (the rejected ones are
    the "listen to confirm" list, with where to listen)."""
    from .capture import read_audio

    results, attempts = [], []
    loaded: Sequence | None = None if callable(models) else models
    for iid, path in sorted(missing.items()):
        window = answer_window(quotes, iid)
        if window is None or not path:
            continue
        start, end, qid = window
        audio = read_audio(path, start, end)
        if len(audio) == 0:
            continue
        if loaded is None:
            loaded = models()
        text = next(q.text for q in quotes if q.id == qid)
        attempt = score_from_audio(loaded, audio, iid, start, end, text)
        attempts.append(attempt)
        if attempt.score is not None:
            reasons = [q.id for q in quotes if q.interview_id == iid and q.category == "nps_reason"]
            results.append(NpsResult(iid, attempt.score, nps_band(attempt.score), qid, text, reasons))
    return results, attempts
