"""NPS re-heard from audio: when the answer to the recommendation question has no readable score.

Public API:
- `scores_from_audio(quotes, missing, models) -> (results, attempts)`: the answer's audio windows
  (`answer_windows`) are re-scored against the eleven possible scores (`score_from_audio`); a score
  is accepted only when the audio singles it out (`MIN_SCORE_MARGIN`), otherwise the attempt says
  where to listen ("listen to confirm").
- `rescore_from_recordings(quotes, interviews, missing, cache=None, unheard=None)`: the Miner's default re-scorer
  (tiny.en and the bundled multilingual base; checks remembered in the study's cache, `AttemptMemo`).
Reading a score from text is `nps.py`; this module is the slow, model-bound half; where to
listen (the windows, no models) is `nps_windows.py`.
"""
from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .hear_again import decode_window
from .models import Quote
from .nps import NpsResult, _value, parse_score
# where the check listens (re-exported: callers asked this module before nps_windows existed)
from .nps_windows import PAD_S as _PAD_S, answer_window, answer_windows, unheard_answer, where_to_listen  # noqa: F401
from .nps_windows import window_text as _window_text
from .vocab import nps_band

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
    model_margins: tuple[float, ...] = ()  # the best score's lead over the runner-up under each model
    # A score the audio points to by the margin, from a check that may only suggest (one model,
    # another language: see `rescore_from_recordings`); shown with "listen to confirm", never taken.
    suggested: int | None = None

    @property
    def needs_listening(self) -> bool:
        return self.score is None


N_SUSPECTS = 3  # least likely words of a long answer around which the misheard number is sought
MAX_WORDS_ALL_POSITIONS = 6  # answers this short: every word is tried
MAX_SPAN = 2  # a number misheard as one or two words ("sermon", "fan run" for "seven", "and I'm" for "a nine")
READINGS_KEPT_PER_SCORE = 4  # readings per score the second model re-scores (the first's likeliest)
# Before the first model scores the readings in full, a quick pass (`_Scorer.quick`: the encoder's
# output for the answer's own frames plus QUICK_TAIL_FRAMES of the padding after them, 20 ms each,
# not all 1,500) keeps this many per score. Generous on purpose: the quick scores rank readings
# nearly as the full ones do (correlation ~0.98), not exactly, and keeping only 4 (the number the
# full pass keeps) once turned a flagged answer into a wrong score (bench/nps_audio_eval.py gen18).
QUICK_KEPT_PER_SCORE = 12
QUICK_TAIL_FRAMES = 50
# Readings teacher-forced through the decoder at once. Each returns the vocabulary's logits
# (51,864 per step) and carries its own copy of the encoder output, so 32 at once took the whole
# `run` on a 60-minute file to a 2.9 GB peak (measured 2026-11-30: 2557 MB during the check,
# 1439 MB with 8, same time and same score); on CPU a larger batch is no faster per reading.
_BATCH = 8


def _said(n: str) -> list[str]:
    """The ways a score is said in an answer: "seven", "a seven" ("an eight")."""
    return [n, ("an " if n == "eight" else "a ") + n]


def can_rehear(language: str | None) -> bool:
    """Can scores in `language` be weighed against the audio? English, and the languages with spoken
    0-10 in `vocab` written with spaces (a reading swaps whole words).

    >>> can_rehear("en"), can_rehear("de-AT"), can_rehear("zh"), can_rehear("sw")
    (True, True, False, False)
    """
    from .vocab import base_language, own_number_words

    lang = base_language(language) or "en"
    return lang == "en" or (lang not in ("zh", "ja", "th") and bool(own_number_words(lang)))


def _ways_to_say(language: str | None) -> list[list[str]]:
    """Per score 0..10, how it is said: English "seven" / "a seven"; another language its own
    number words (`vocab.number_words`: "acht", "otte", "kasi") and the digits Whisper often writes."""
    from .vocab import base_language, own_number_words

    lang = base_language(language) or "en"
    if lang == "en":
        return [_said(n) for n in SCORE_WORDS]
    own = own_number_words(lang)
    return [[w for w, v in own.items() if v == score] + [str(score)] for score in range(len(SCORE_WORDS))]


def _replacements(words: list[str], spans: Sequence[tuple[int, int]], language: str | None = "en") -> list[tuple[int, str]]:
    """(score, reading) pairs: `words` with each span [a, b) replaced by each score said either
    way ("Essex" -> "six" / "a six"; "and I'm" -> "nine" / "a nine"; in German "Nacht" -> "acht" /
    "8"), the punctuation after the span kept. Mishearings turn a number into one word ("sermon"),
    two ("fan run") or swallow its article ("Essex" for "a six"), so spans of 1-3 words and both
    forms are tried."""
    from .vocab import base_language, digits_for_number_words

    english = (base_language(language) or "en") == "en"
    out = []
    for a, b in spans:
        last = words[b - 1]
        tail = last[len(last.rstrip(",.;:!?")):]
        for score, forms in enumerate(_ways_to_say(language)):
            for said in forms:
                reading = " ".join([*words[:a], said + tail, *words[b:]])
                reading = reading[:1].upper() + reading[1:]
                # Only readings that, written down, state this score: "I out of ten." puts the
                # number in the scale's end, not the score (it once beat "Nine out of 10.").
                if parse_score(reading if english else digits_for_number_words(reading, language)) == score:
                    out.append((score, reading))
    return out


def _spans(n_words: int, suspects: Sequence[int]) -> list[tuple[int, int]]:
    """Every span of 1..MAX_SPAN adjacent words that contains a suspect word."""
    return sorted({(a, a + width) for j in suspects for width in range(1, MAX_SPAN + 1)
                   for a in range(j - width + 1, j + 1) if a >= 0 and a + width <= n_words})


def _with_all_merges(hf_tokenizer):
    """`hf_tokenizer`, or a copy with the BPE merge "Ġ t" restored when it is missing
    (`bundled.with_first_merge` says why; the bundled base's file is repaired on disk, this covers
    a model folder the user names)."""
    import json

    from tokenizers import Tokenizer as HfTokenizer

    from .bundled import with_first_merge

    spec = json.loads(hf_tokenizer.to_str())
    return HfTokenizer.from_str(json.dumps(spec)) if with_first_merge(spec) else hf_tokenizer


@dataclass
class _Scorer:
    """Scores readings of one audio window under one Whisper model: log P(reading, then end of
    text | audio), teacher-forced through the decoder (ctranslate2 `generate` with the reading as
    a forced prefix; its per-step vocabulary log-probabilities give each token's and, after the
    last, end-of-text's). The end-of-text term is what makes readings of different length
    comparable: a reading that stops before the speech does ("And five," for "A nine, easily.")
    pays for ending there; without it every dropped word is a saved token cost and the shortest
    reading wins. (`align`'s token probabilities do not include end-of-text.)"""

    model: Any
    encoder_output: Any
    num_frames: int
    tokenizer: Any

    @classmethod
    def for_audio(cls, model, audio, language: str | None = "en") -> _Scorer:
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer

        fe = model.feature_extractor
        features = fe(np.asarray(audio, dtype=np.float32))
        num_frames = min(features.shape[-1], fe.nb_max_frames)
        encoder_output = model.encode(pad_or_trim(features[:, :fe.nb_max_frames]))
        multilingual = model.model.is_multilingual
        tokenizer = Tokenizer(_with_all_merges(model.hf_tokenizer), multilingual, task="transcribe",
                              language=_base(language) if multilingual else None)
        return cls(model, encoder_output, num_frames, tokenizer)

    def token_logprobs(self, readings: Sequence[str]) -> list[np.ndarray]:
        """Per reading: the log-probability of each of its tokens, end-of-text last."""
        import ctranslate2

        prefix = [*self.tokenizer.sot_sequence, self.tokenizer.no_timestamps]
        eot = self.tokenizer.eot
        tokens = [self.tokenizer.encode(" " + r.strip()) for r in readings]
        try:  # one encoding shared by the batch (CPU storage); one reading at a time otherwise
            encoded = np.asarray(self.encoder_output)
            batch = _BATCH
        except (TypeError, ValueError, RuntimeError):
            encoded, batch = None, 1
        out: dict[int, np.ndarray] = {}
        # Readings of one token length decode together and stop right after their end-of-text:
        # no free-running steps after a short reading while a long one is forced through.
        by_length: dict[int, list[int]] = {}
        for k, t in enumerate(tokens):
            by_length.setdefault(len(t), []).append(k)
        for length, indices in sorted(by_length.items()):
            for k in range(0, len(indices), batch):
                chunk = indices[k:k + batch]
                features = (self.encoder_output if encoded is None
                            else ctranslate2.StorageView.from_array(np.repeat(encoded, len(chunk), axis=0)))
                for index, logp in zip(chunk, self._forced(features, prefix, [tokens[i] for i in chunk], length)):
                    out[index] = logp[np.arange(length + 1), [*tokens[index], eot]]
        return [out[k] for k in range(len(tokens))]

    def _forced(self, features, prefix: list[int], chunk: list[list[int]], length: int) -> list[np.ndarray]:
        """Log-softmax of the decoder's vocabulary at each of the length+1 steps of the forced
        readings (all `length` tokens long). ctranslate2 counts the forced prefix against
        max_length (twice, as measured with 4.x), so the limit is raised until every step is there."""
        for max_length in (2 * (length + 1), 2 * (len(prefix) + length + 1), 4 * (len(prefix) + length + 1)):
            results = self.model.model.generate(
                features, [prefix + t for t in chunk], beam_size=1, return_logits_vocab=True,
                max_length=max_length, suppress_blank=False, suppress_tokens=[])
            steps = [np.asarray(r.logits[0], dtype=np.float32) for r in results]
            steps = [x.reshape(-1, x.shape[-1]) for x in steps]
            if all(len(x) >= length + 1 for x in steps):
                return [_log_softmax(x[:length + 1]) for x in steps]
        raise RuntimeError(f"the decoder returned fewer than {length + 1} steps for a forced {length}-token reading")

    def score(self, readings: Sequence[str]) -> list[float]:
        return [float(lp.sum()) for lp in self.token_logprobs(readings)]

    def quick(self, tail_frames: int = QUICK_TAIL_FRAMES) -> _Scorer:
        """This scorer with the encoder output cut to the answer's frames plus `tail_frames` of
        the padding after them: for ranking readings only. The decoder's cross-attention over all
        1,500 frames of a 30-s window is most of what teacher-forcing a reading costs, and an
        answer fills a few seconds of it; cut, one reading costs ~5x less, and the reading scores
        keep nearly their order (correlation 0.98-0.99 with the full ones on a generated answer,
        tiny.en and base). Used only to drop readings far down each score's list before the full
        pass; the accepted score is always decided on full scores (`reading_scores`)."""
        import ctranslate2

        try:
            encoded = np.asarray(self.encoder_output)
        except (TypeError, ValueError, RuntimeError):  # not in CPU memory (a GPU): no shortcut
            return self
        keep = min(encoded.shape[1], self.num_frames // 2 + tail_frames)
        cut = ctranslate2.StorageView.from_array(np.ascontiguousarray(encoded[:, :keep]))
        return _Scorer(self.model, cut, self.num_frames, self.tokenizer)

    def word_logprobs(self, words: list[str]) -> list[float]:
        """Each word's share of the reading's log-probability (end-of-text left out)."""
        (lp,) = self.token_logprobs([" ".join(words)])
        bounds = np.cumsum([0] + [len(self.tokenizer.encode(" " + w)) for w in words])
        return [float(lp[bounds[k]:bounds[k + 1]].sum()) for k in range(len(words))]


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    top = logits.max(axis=1, keepdims=True)
    return logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))


def _suspects(words: list[str], word_logprobs: list[float]) -> list[int]:
    """Where the number may hide: every word of a short answer, else the `N_SUSPECTS` least
    likely words and any word with a digit in it ("A6")."""
    if len(words) <= MAX_WORDS_ALL_POSITIONS:
        return list(range(len(words)))
    digits = [k for k, w in enumerate(words) if re.search(r"\d", w)]
    return sorted(set(sorted(range(len(words)), key=lambda k: (word_logprobs[k], k))[:N_SUSPECTS]) | set(digits))


def _base(language: str | None) -> str:
    from .vocab import base_language

    return base_language(language) or "en"


def score_readings(models, audio, text: str, language: str | None = "en") -> list[tuple[str, float]]:
    """`reading_scores` with each reading's log-probability summed over the models."""
    return [(r, sum(lps)) for r, _, lps in reading_scores(models, audio, text, language)]


def reading_scores(models, audio, text: str, language: str | None = "en") -> list[tuple[str, int | None, list[float]]]:
    """(reading, score said or None, log-probability under each model) for readings of the answer
    in which a number zero..ten replaces 1-3 adjacent words the recogniser may have misheard, and
    for the hypotheses themselves (`text`, then what each model hears in the window on its own).

    Constrained decoding, in effect: instead of asking Whisper what it heard, each model is asked
    how likely each possible score is, teacher-forced through the decoder, which is robust where
    "seven" decodes as "sermon". The readings are built on every model's hypothesis of the words
    around the number (tiny.en's transcript, the models' own decodes of the window: "Erm, Essex, I
    think." / "Um, A6, I think."), so a context word one model garbled does not sink them all."""
    if not models:
        return []
    scorers = [_Scorer.for_audio(m, audio, language) for m in models]
    hypotheses = list(dict.fromkeys(h for h in [text.strip()] + [decode_window(m, audio, language) for m in models]
                                    if h.split()))
    candidates: dict[str, int | None] = {h: None for h in hypotheses}
    for hypothesis in hypotheses:
        words = hypothesis.split()
        suspects = _suspects(words, scorers[0].word_logprobs(words) if len(words) > MAX_WORDS_ALL_POSITIONS else [])
        for score, reading in _replacements(words, _spans(len(words), suspects), language):
            candidates.setdefault(reading, score)
    everything = list(candidates)
    readings = _likeliest(scorers[0].quick().score(everything), everything, candidates, QUICK_KEPT_PER_SCORE)
    first = scorers[0].score(readings)
    # The other (costlier) models hear the hypotheses and, for each score, the readings the
    # first model finds likeliest: the same number per score, so the scores still compare fairly.
    kept = _likeliest(first, readings, candidates, READINGS_KEPT_PER_SCORE)
    others = [sc.score(kept) for sc in scorers[1:]]
    index = {r: k for k, r in enumerate(readings)}
    return [(r, candidates[r], [first[index[r]], *(lps[i] for lps in others)]) for i, r in enumerate(kept)]


def _likeliest(scores: list[float], readings: list[str], candidates: dict[str, int | None], per_score: int) -> list[str]:
    """The hypotheses (readings stating no score) and, for each score, the `per_score` readings
    that state it with the highest log-probability (`scores[k]` is reading k's)."""
    ranked = sorted(range(len(readings)), key=lambda k: -scores[k])
    kept = [k for k in range(len(readings)) if candidates[readings[k]] is None]
    for score in range(len(SCORE_WORDS)):
        kept += [k for k in ranked if candidates[readings[k]] == score][:per_score]
    return [readings[k] for k in kept]


def score_from_audio(
    models: Sequence, audio, interview_id: int, start: float, end: float, text: str,
    min_margin: float = MIN_SCORE_MARGIN, language: str | None = "en", suggest_only: bool = False,
) -> AudioScore:
    """Re-score one answer's audio (16 kHz mono, the window [start, end] of the recording; `text`
    is what the transcript says there, in `language`) against the eleven possible scores and
    accept the best only when the audio singles it out (`MIN_SCORE_MARGIN`, summed and under one
    model alone: with one model, as for a language tiny.en does not speak, the two are one).
    `suggest_only`: a score that passes is `suggested`, not taken."""
    readings = reading_scores(models, audio, text, language)
    by_score: dict[int, list[list[float]]] = {}
    for _, score, logps in readings:
        if score is not None:
            by_score.setdefault(score, []).append(logps)
    if not by_score:
        return AudioScore(interview_id, start, end, None, 0.0, "")
    # Each score's likelihood under a model sums over the readings that state it (where in the
    # answer the number was said, and with or without "a", are nuisance variables); every score
    # has the same set of readings, so the sums compare like with like.
    scores = sorted(by_score)
    per_model = np.array([[np.logaddexp.reduce([lps[m] for lps in by_score[sc]]) for m in range(len(models))]
                          for sc in scores])  # (scores, models)
    summed = per_model.sum(axis=1)
    top = int(np.argmax(summed))
    lead = float(summed[top] - np.max(np.delete(summed, top), initial=-np.inf))
    leads = [float(per_model[top, m] - np.max(np.delete(per_model[:, m], top), initial=-np.inf))
             for m in range(len(models))]
    witness = max(leads, default=0.0)
    posterior = float(np.exp(summed[top] - np.logaddexp.reduce(summed)))
    heard, best = max(((r, sum(lps)) for r, sc, lps in readings if sc == scores[top]), key=lambda x: x[1])
    decoded = max((sum(lps) for r, sc, lps in readings if sc is None), default=-math.inf)
    plausibility = (best - max(decoded, best)) / len(models)
    counted = _base(language) == "en" and counts_something(heard, scores[top])  # the tagger is English
    passes = lead >= min_margin and witness >= min_margin and not counted
    accepted = passes and not suggest_only
    # A score singled out by the summed margin alone is not even suggested: as a hint it was right 4 times in 8.
    return AudioScore(interview_id, start, end, scores[top] if accepted else None, round(posterior, 3), heard,
                      round(plausibility, 2), round(min(lead, 99.0), 2), tuple(round(min(x, 99.0), 2) for x in leads),
                      suggested=scores[top] if passes and suggest_only else None)


def counts_something(reading: str, score: int) -> bool:
    """Does `reading` say the score's number as a count of something ("One question.", "Two weeks,
    tops.") rather than as a rating? Then the audio did not single out a score, however well
    "one question" fits it: "Good question." re-heard as "One question." must not become a 1.
    A number followed by a noun is a count; a rating stands alone or before "out of", a comma, "I
    think", "because" ("A six, I think.", "Nine out of ten."). Uses the bundled English tagger (the
    readings are English: see `_replacements`); False when it is unavailable.

    >>> counts_something("One question.", 1), counts_something("Um, a six, I think.", 6)
    (True, False)
    """
    from .hotwords import _tagger

    nlp = _tagger()
    if nlp is None:
        return False
    tokens = list(nlp(reading))
    return any(_value(tok.text) == score and k + 1 < len(tokens) and tokens[k + 1].pos_ in ("NOUN", "PROPN")
               for k, tok in enumerate(tokens))


# Bump when reading_scores/score_from_audio change what they decide, so remembered checks
# (AttemptMemo) made by an older method are not reused.
AUDIO_CHECK_VERSION = 1


@dataclass
class AttemptMemo:
    """Remembers audio checks between runs, so re-mining a study does not listen again: a check
    costs ~15-20 s of CPU per answer (two Whisper models, hundreds of teacher-forced readings), and
    gives the same outcome for the same recording, window, transcript text and models.

    Two plain functions over the Miner's cache (`mining.VectorCache`): `get(name, [text_hash])`
    and `put(name, {text_hash: bytes}, dim)`. Each check is stored under the hash of the answer's
    text, so forgetting a participant (which drops every cached entry of their texts' hashes) drops
    their checks too; the name holds the rest of the key: method version, models, recording, window."""

    get: Callable[[str, list[str]], dict[str, bytes]]
    put: Callable[[str, dict[str, bytes], int], None]
    models: tuple[str, ...] = ()  # identities of the models the check runs with

    def _key(self, path: str, start: float, end: float, text: str) -> tuple[str, str]:
        import hashlib
        import json
        import os

        size = os.path.getsize(path) if os.path.exists(path) else -1
        name = json.dumps(["nps-audio-check", AUDIO_CHECK_VERSION, list(self.models), os.path.basename(path), size,
                           round(start, 2), round(end, 2)])
        return name, hashlib.sha256(text.encode("utf-8")).hexdigest()

    def recall(self, path: str, start: float, end: float, text: str, interview_id: int) -> AudioScore | None:
        import json

        name, key = self._key(path, start, end, text)
        data = self.get(name, [key]).get(key)
        if data is None:
            return None
        fields = json.loads(bytes(data).decode("utf-8"))
        fields["model_margins"] = tuple(fields.get("model_margins", ()))
        return AudioScore(**{**fields, "interview_id": interview_id})

    def remember(self, path: str, attempt: AudioScore, text: str) -> None:
        import json
        from dataclasses import asdict

        name, key = self._key(path, attempt.start, attempt.end, text)
        self.put(name, {key: json.dumps(asdict(attempt)).encode("utf-8")}, 0)


def scores_from_audio(
    quotes: list[Quote], missing: dict[int, str], models: Sequence | Callable[[], Sequence],
    memo: AttemptMemo | None = None, language: str | None = "en", suggest_only: bool = False,
    unheard: Mapping[int, tuple[float, float]] | None = None,
) -> tuple[list[NpsResult], list[AudioScore]]:
    """For interviews whose recommendation answer has no readable score (`missing`: interview id ->
    path of its recording), all in `language`, re-score that answer's audio (`score_from_audio`).
    `models` are the Whisper models, or a function loading them (called only when there is an
    answer to score that `memo` does not remember). `unheard[id]`: where the answer went
    untranscribed (`nps_windows.unheard_answer`), heard instead of the quotes after it, with no
    transcript to build on: the score it points to is suggested beside "listen to confirm", never taken.
    Returns the accepted results (to add to `extract`'s) and every attempt (the rejected ones are
    the "listen to confirm" list, with where to listen)."""
    from .capture import read_audio

    results, attempts = [], []
    loaded: Sequence | None = None if callable(models) else models
    for iid, path in sorted(missing.items()):
        windows = answer_windows(quotes, iid)
        if not windows or not path:
            continue
        first, hint = None, None
        gap = (unheard or {}).get(iid)
        # With the answer untranscribed (`unheard`: the interviewer spoke next), the quotes after
        # it answer the interviewer's next words ("Why's that?"), not the question: only the gap
        # is heard. Re-scored as the answer, "It saved me hours every week." became a 1 on one
        # machine ("It saved me one every week.", base alone 3.06 nats).
        for start, end, qid in [(gap[0], gap[1], "")] if gap else windows:
            answer = next(q.text for q in quotes if q.id == windows[0][2])
            # nothing was transcribed in a gap: kept under the answer's hash, so forgetting the participant drops it
            text = (_window_text(quotes, iid, start, end) or answer) if qid else ""
            attempt = memo.recall(path, start, end, text or answer, iid) if memo else None
            if attempt is None:
                audio = read_audio(path, start, end)
                if len(audio) == 0:
                    break
                if loaded is None:
                    loaded = models()
                # A gap's score is only suggested: with no transcript to anchor the readings, the
                # models found a number in 3 of 11 stretches of speech that held none (nps_gap_eval.py)
                attempt = score_from_audio(loaded, audio, iid, start, end, text, language=language,
                                           suggest_only=suggest_only or not qid)
                if memo:
                    memo.remember(path, attempt, text or answer)
            first = first or attempt
            hint = hint if hint is not None else attempt.suggested
            if attempt.score is not None:
                break
        if first is None:
            continue
        # A flagged answer is shown at its own sentence (the first window): where to listen, with
        # the first score a window suggested
        attempt = attempt if attempt.score is not None else replace(first, suggested=hint)
        attempts.append(attempt)
        if attempt.score is not None:
            qid = windows[0][2]
            text = next(q.text for q in quotes if q.id == qid)
            reasons = [q.id for q in quotes if q.interview_id == iid and q.category == "nps_reason"]
            results.append(NpsResult(iid, attempt.score, nps_band(attempt.score), qid, text, reasons))
    return results, attempts


def rescore_from_recordings(quotes: list[Quote], interviews: list, missing: list[int], cache=None,
                            unheard: Mapping[int, tuple[float, float]] | None = None) -> tuple[list[NpsResult], list[AudioScore]]:
    """The default NPS re-scorer: the answer's audio window against the eleven possible scores,
    with the bundled tiny.en and (when installed) the bundled multilingual base (two models mishear
    differently); see `scores_from_audio`. `cache` (the run's `mining.VectorCache`; the Miner
    hands it to a re-scorer whose signature has it) remembers each check, so re-mining does not
    listen again; `unheard` (likewise) says where an answer went untranscribed. Another language with spoken scores in `vocab` (`can_rehear`: German, Danish,
    Finnish ...) is re-heard by base alone, with that language's number words, and the score it
    points to is only *suggested* next to "listen to confirm": one model is one witness, and on
    generated German answers without a number it pointed to one by the margin 2-3 times in 10
    (docs/performance.md). Other languages are left to the researcher."""
    from . import bundled, transcribe
    from .vocab import base_language

    with_base = bundled.whisper_base_path() is not None
    by_language: dict[str, dict[int, str]] = {}
    for i in interviews:
        lang = base_language(i.language) or "en"
        if (i.id in missing and i.kind == "audio" and i.stored_path and os.path.exists(i.stored_path)
                and can_rehear(lang) and (lang == "en" or with_base)):
            by_language.setdefault(lang, {})[i.id] = i.stored_path
    if not by_language:
        return [], []
    before = transcribe.loaded_models()
    results: list[NpsResult] = []
    attempts: list[AudioScore] = []
    try:
        for lang, recordings in sorted(by_language.items()):
            english = lang == "en"
            names = ((transcribe.model_identity(transcribe.DEFAULT_MODEL),) if english else ()) + (("base",) if with_base else ())

            def models(english: bool = english) -> list:
                return ([transcribe.load_model(None)] if english else []) + ([transcribe.load_model("base")] if with_base else [])

            # an English check keeps its key (remembered checks stay valid); another language's names it
            memo = AttemptMemo(cache.get, cache.put, names if english else (*names, f"language={lang}")) if cache else None
            found, tried = scores_from_audio(quotes, recordings, models, memo, language=lang, suggest_only=not english,
                                             unheard=unheard)
            results += found
            attempts += tried
        return results, attempts
    finally:
        # The check is rare and short; the two models it loaded would otherwise stay for the
        # process's life (~0.5 GB with their buffers at the end of a whole `run`).
        transcribe.release_models(keep=before)
