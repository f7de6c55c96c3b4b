"""A second hearing for quotes the recogniser was unsure of: their vectors (for categories and
themes) lean on what a second model hears in the same seconds.

Why: two recognisers mishear differently. Where tiny.en was unsure of a quote (a low mean word
probability, `Quote.asr_confidence`), the bundled multilingual base hears the quote's window again
(`hear_again`), and the quote's vector, which decides its category and its theme, becomes a blend
of the two hearings, weighted by that uncertainty: a quote heard at 0.6 leans 40% on the second
hearing, one heard at 0.95 is not heard again at all. The quote keeps its words; only where it is
filed and grouped changes.
It is a product of two noisy witnesses, not a correction: base misheard too (WER 0.19 against
tiny.en's 0.22 on the dev voices), but rarely the same words.

The interviewer's questions the quotes answer are heard again the same way (`questions_asked`):
the question decides most of an answer's category, and a garbled one files a whole answer
wrongly. On this machine's transcripts (docs/performance.md, 2026-12-03): category macro-F1 dev
0.973 -> 0.989, held-out 2 0.850 -> 0.857, held-out 1.0 unchanged; 28, 21 and 13 questions heard
again.

Measured (docs/performance.md, audio mode): theme ARI (16-run means) dev corpus 0.392 -> 0.484,
the held-out interviews 0.383 -> 0.354, the second held-out set (written after this was built)
0.294 -> 0.313; category macro-F1 dev 0.973 -> 0.989, both held-out sets unchanged. Reference
transcripts are never heard again, so they do not change.

Cost: one base decode per unsure quote (`hear_again.hear_windows`: text only, one window per
core at once; about 0.7 s per quote on two cores: 54 s for the dev corpus's 78 unsure quotes,
0.055x its audio; 82 s for the 128 of a 60-minute recording, 0.023x), paid once: each hearing is kept in the
study's cache (`mining.VectorCache`) under the hash of the quote's text, so re-mining hears
nothing again, and forgetting a participant drops their hearings and the vectors of the words
heard (forget.py).

Which interviews: English recordings (the primary model is the English-only tiny.en, the second
the multilingual base). A study in another language is transcribed by base already; with no third
bundled model there is no independent second hearing, so nothing is done. An English study
transcribed with `--model base` is heard by base again, which adds little but cost; pass
`Miner(second_hearing=False)` there.

Public API:
- `UNSURE_QUOTE`: the mean word probability below which a quote is heard again.
- `hear_unsure(quotes, interviews, cache=None) -> {quote id: text}`: the default stage
  (`Miner(second_hearing=...)`).
- `blend(vectors, quotes, heard_vectors)`: the vectors categories and themes are decided on.
- `questions_asked(interviews, segments, quotes)`: the interviewer's questions the quotes answer,
  each as a `Quote` (its seconds, its mean word probability), heard again like quotes: the
  question is the categorizer's strongest signal, and tiny.en garbles questions too ("Well, you
  want me to learn anything going in?" for "Were you worried about anything going in?").
- `blend_questions(question_vecs, asked, heard_vectors)`: {question text: vector} leaning on
  what was heard again, by the same weight.
- `kept_hearing(get, interview, quote)`: what was heard for a quote, for the Themes page to show
  next to a theme name that may be misheard without hearing it again.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence

import numpy as np

from .errors import BadAudioError
from .models import Interview, Quote

log = logging.getLogger(__name__)

# Heard again below this mean word probability. Above it the blend would move a vector by under a
# fifth, not worth a decode. Fixed from the weight rule (1 - probability), not fitted to a corpus.
UNSURE_QUOTE = 0.8
MAX_LEAN = 0.5  # a quote never leans more on the second hearing than on its own words
NAME = "second-hearing"  # the first field of a kept hearing's cache name (forget.py finds them by it)
WINDOWS_PER_CALL = 8  # a call's hearings are kept together: a run stopped half-way loses at most these
VERSION = 2  # bump when the decoding changes, so kept hearings are not reused (2: batched, text only)


def weight(q: Quote) -> float:
    """How much a quote's vector leans on its second hearing: its uncertainty, capped."""
    if q.asr_confidence is None or q.asr_confidence >= UNSURE_QUOTE:
        return 0.0
    return min(MAX_LEAN, 1.0 - max(0.0, float(q.asr_confidence)))


def blend(vectors: np.ndarray, quotes: Sequence[Quote], heard_vectors: dict[str, np.ndarray]) -> np.ndarray:
    """Row i: quotes[i]'s vector, blended with its second hearing's (`heard_vectors` by quote id)
    by `weight`, unit length. Quotes without a second hearing keep their vector exactly.

    >>> from interview_miner.models import Quote
    >>> q = [Quote("a", 1, 0.0, 1.0, "x", asr_confidence=0.6), Quote("b", 1, 1.0, 2.0, "y", asr_confidence=0.6)]
    >>> v = np.array([[1.0, 0.0], [1.0, 0.0]])
    >>> blend(v, q, {"a": np.array([0.0, 1.0])}).astype(float).round(2).tolist()  # "a" leans 0.4 on it
    [[0.83, 0.55], [1.0, 0.0]]
    """
    out = np.array(vectors, dtype=np.float64, copy=True)
    for i, q in enumerate(quotes):
        w = weight(q)
        if w > 0 and q.id in heard_vectors:
            out[i] = (1.0 - w) * out[i] + w * np.asarray(heard_vectors[q.id], dtype=np.float64)
    return (out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)).astype(np.float32)


def questions_asked(interviews: Sequence[Interview], segments: dict[int, Sequence], quotes: Sequence[Quote]) -> list[Quote]:
    """The interviewer's questions that `quotes` answer (their `question` text), each as a Quote
    of the interviewer turn that asked it: its id "asked:" + the text's hash, its seconds (of a
    long turn, those of its last words, which `quotes` keep as the question), and its words'
    mean probability as `asr_confidence`, so `hear_unsure` hears the unsure ones again."""
    from .models import INTERVIEWER
    from .quotes import _question_text, _turns, is_prompt

    wanted = {(q.interview_id, q.question) for q in quotes if q.question}
    out = []
    for i in interviews:
        for turn in _turns(list(segments.get(i.id, []))):
            text = _question_text(turn.text) if turn.speaker == INTERVIEWER and is_prompt(turn.text) else None
            if (i.id, text) not in wanted:
                continue
            words = [w for seg in turn.segments for w in seg.words if w.word.strip()]
            words = words[-len(text.split()):] if words else []
            start = words[0].start if words else turn.segments[0].start
            probability = sum(w.probability for w in words) / len(words) if words else None
            out.append(Quote("asked:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], i.id, start,
                             turn.segments[-1].end, text, speaker=INTERVIEWER, asr_confidence=probability))
    return out


def blend_questions(question_vecs: dict[str, np.ndarray], asked: Sequence[Quote],
                    heard_vectors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """{question text: vector}, each unsure question's leaning on what was heard again there by
    `weight` (a text asked in several interviews: the mean of its askings), unit length.

    >>> from interview_miner.models import Quote
    >>> asked = [Quote("asked:a", 1, 0.0, 1.0, "Well, you want me?", asr_confidence=0.6)]
    >>> out = blend_questions({"Well, you want me?": np.array([1.0, 0.0])}, asked, {"asked:a": np.array([0.0, 1.0])})
    >>> out["Well, you want me?"].astype(float).round(2).tolist()
    [0.83, 0.55]
    """
    askings: dict[str, list[Quote]] = {}
    for q in asked:
        askings.setdefault(q.text, []).append(q)
    out = dict(question_vecs)
    for text, qs in askings.items():
        if text in out:
            rows = blend(np.repeat(np.asarray(out[text], dtype=np.float64)[None, :], len(qs), 0), qs, heard_vectors)
            mean = rows.mean(0)
            out[text] = (mean / max(float(np.linalg.norm(mean)), 1e-9)).astype(np.float32)
    return out


def _key(model: str, path: str, q: Quote) -> tuple[str, str]:
    size = os.path.getsize(path) if os.path.exists(path) else -1
    name = json.dumps([NAME, VERSION, model, os.path.basename(path), size, round(q.start, 2), round(q.end, 2)])
    return name, hashlib.sha256(q.text.encode("utf-8")).hexdigest()


def kept_hearing(get: Callable[[str, list[str]], dict[str, bytes]], interview: Interview, q: Quote) -> str | None:
    """The second hearing the study keeps for quote `q` of `interview` (`get`: the store's
    `get_embeddings`), or None when it was never heard again (or its words changed since)."""
    if not interview.stored_path:
        return None
    name, key = _key("base", interview.stored_path, q)
    data = get(name, [key]).get(key)
    return None if data is None else bytes(data).decode("utf-8").strip()


def hear_windows(path: str, windows: Sequence[tuple[float, float]]) -> list[str]:
    """What the bundled base hears in each window of the recording at `path`, each decoded on its
    own (`hear_again.hear_windows`: padded, beam search at temperature 0, so the same audio always
    gives the same words; batched, text only, repetition loops dropped). Decoding several quotes
    in one 30-s window, a few seconds of silence apart, is faster still (Whisper encodes 30 s
    whatever it is given), but the words of one quote then lean on its neighbours': theme ARI
    fell on both held-out sets (docs/performance.md)."""
    from .hear_again import hear_windows as hear

    return hear(path, list(windows), "en")


def hear_unsure(quotes: Sequence[Quote], interviews: Sequence[Interview], cache=None,
                hear: Callable[[str, list[tuple[float, float]]], list[str]] | None = None,
                on_progress: Callable[[int, int], None] | None = None) -> dict[str, str]:
    """What the bundled base hears in the window of each unsure quote (`weight` > 0) of an English
    recording still on disk: {quote id: text}. `cache` (the Miner's `VectorCache`) keeps every
    hearing, so only quotes not heard before are decoded. `hear(path, windows) -> texts` is
    `hear_windows` by default; nothing is loaded when every hearing is remembered."""
    from . import hear_again, transcribe
    from .vocab import base_language

    recordings = {i.id: i.stored_path for i in interviews
                  if i.kind == "audio" and i.stored_path and os.path.exists(i.stored_path)
                  and (base_language(i.language) or "en") == "en"}
    todo = [q for q in quotes if q.interview_id in recordings and weight(q) > 0]
    if not todo or (hear is None and not hear_again.available()):
        return {}
    texts: dict[str, str] = {}
    keys = {q.id: _key("base", recordings[q.interview_id], q) for q in todo}
    if cache:
        for q in todo:
            name, key = keys[q.id]
            kept = cache.get(name, [key]).get(key)
            if kept is not None:
                texts[q.id] = bytes(kept).decode("utf-8")
    new = [q for q in todo if q.id not in texts]
    # windows of one recording, in order, WINDOWS_PER_CALL at a time
    by_recording: dict[int, list[Quote]] = {}
    for q in sorted(new, key=lambda q: (q.interview_id, q.start)):
        by_recording.setdefault(q.interview_id, []).append(q)
    batches = [qs[k:k + WINDOWS_PER_CALL] for qs in by_recording.values() for k in range(0, len(qs), WINDOWS_PER_CALL)]
    before = transcribe.loaded_models()
    unreadable: set[int] = set()
    try:
        for batch in batches:
            if batch[0].interview_id in unreadable:
                continue
            try:
                heard = (hear or hear_windows)(recordings[batch[0].interview_id], [(q.start, q.end) for q in batch])
            except BadAudioError as e:  # changed or damaged since it was transcribed: only this hearing is lost
                log.warning("%s: not heard again (%s); its unsure quotes keep their own words' vectors",
                            os.path.basename(recordings[batch[0].interview_id]), e)
                unreadable.add(batch[0].interview_id)
                continue
            for q, text in zip(batch, heard):
                texts[q.id] = text
                if cache:  # kept a batch at a time: a run stopped half-way keeps what it heard
                    cache.put(keys[q.id][0], {keys[q.id][1]: text.encode("utf-8")}, 0)
            if on_progress:
                on_progress(len(texts), len(todo))
    finally:
        # base is needed once per new quote; kept loaded it would hold ~0.3 GB for a worker's life
        transcribe.release_models(keep=before)
    return {qid: text.strip() for qid, text in texts.items() if text.strip()}
