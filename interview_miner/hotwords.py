"""Study names: the study's own names (product, competitors, brands) spelled the same way in every
interview, "ClinicFlow" instead of "Clinic Flow" / "Clinicflo".

Why the study's names are NOT handed to Whisper as `hotwords`: faster-whisper puts hotwords in
the decoder's prompt, and with the small models this tool ships that makes decoding skip speech
(the known faster-whisper issue #853). Measured here with tiny.en (beam 5, VAD, word timestamps)
on ten voiced interviews (the dev corpus and the held-out transcripts voiced by
bench/voice_corpus.py), given the names a study would learn (its product plus a first name):
deleted words 63 -> 329 in all, mean WER 0.189 -> 0.224, 4 -> 52 deletions on one interview,
12 -> 108 on another, and one lost the whole answer holding its NPS score. So the study's names
correct the spelling *after* decoding (`respell`): only what the recogniser already heard close
to a name is rewritten, and nothing it heard is lost. The researcher's own `--vocab` still goes to Whisper as hotwords: it is asked for explicitly, and it
is what makes tiny.en write a name it cannot spell at all ("comfy eye" -> "ComfyUI").

Public API:
- `auto_hotwords(texts, extra=(), limit=MAX_HOTWORDS) -> str`: names found in `texts` (the
  interviewer's questions, an interview guide, study notes), most frequent first, after the names
  in `extra` (study settings: product and competitor names, always kept). A space-separated
  string, the format faster-whisper's `hotwords` takes; "" when there is nothing.
- `study_hotwords(store, extra=()) -> str`: the hook: the same over the interviewer turns of the
  study's transcribed interviews (transcripts imported as text count too).
- `study_vocabulary(store) -> str`: what transcription hands Whisper for a study: the guide's
  `names` (product, competitors, brands: always kept), then the names in the guide's questions
  and in the interviewer's turns of the interviews transcribed so far. `pipeline` sets it as
  `TranscribeOptions.vocabulary` before each interview (so a batch learns as it goes), logs it and
  stores it with the transcription settings.
- `with_hotwords(options, hotwords) -> TranscribeOptions`: transcription options carrying them.
- `respell(tokens, names) -> list[str]`: the tokens with every near-miss spelling of a name
  ("Clinic Flow", "clinicflow", "Rotally") replaced by the name; `respell_segment(segment, names)`
  does it to a segment's text and its timed words alike (a name heard as two words becomes one
  word spanning both).

What counts as a name: a token the bundled spaCy model tags as a proper noun, or one written
with inner capitals ("ClinicFlow", "HubSpot"), not at the start of a sentence and not a stock
capitalised word ("I", weekdays, months). Interviewers' questions name the product and its
competitors ("How did you first hear about ClinicFlow?"), and they are what Whisper hears best.
"""
from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

# A near miss, in letters (case, spaces and punctuation ignored), by Levenshtein distance. A name
# the recogniser does not know comes back split into ordinary words ("clinic floor" for
# ClinicFlow): across two or more heard words, one edit per RESPELL_LETTERS_PER_EDIT letters of the
# name is allowed. A single heard word is far more often a real word of its own ("rotary" is not
# "Rotaly"), so it must match exactly ("clinicflow") or, for names of 2 * RESPELL_LETTERS_PER_EDIT
# letters or more, within one edit. Names shorter than RESPELL_MIN_LETTERS (first names: "Tom",
# "Sam") are left as heard: too many ordinary words sit one letter away from them.
RESPELL_LETTERS_PER_EDIT = 5
RESPELL_MIN_LETTERS = 5
MAX_HOTWORDS = 20  # Whisper's prompt is short (224 tokens); a few names help, a long list hurts
_STOCK = frozenset(
    """i i'm i've i'd i'll ok okay monday tuesday wednesday thursday friday saturday sunday january
    february march april may june july august september october november december mr mrs ms dr
    english hi hello thanks yeah""".split()
)
_INNER_CAPS = re.compile(r"^[A-Z]?[a-z]+(?:[A-Z][a-z0-9]+)+$|^[A-Z]{2,}[a-z]+[A-Za-z]*$")


def _may_hold_a_name(text: str) -> bool:
    """Cheap test before tagging: a capitalised word that does not open a sentence, or a word with
    inner capitals. Most questions hold neither ("What made you start looking?"), and loading the
    tagger costs seconds at the start of every transcription, so texts without one are skipped."""
    words = text.split()
    for k, raw in enumerate(words):
        word = raw.strip(".,;:!?\"'()")
        if len(word) < 2 or word.lower() in _STOCK:
            continue
        if _INNER_CAPS.match(word) or (k > 0 and word[:1].isupper() and not words[k - 1].endswith((".", "!", "?"))):
            return True
    return False


def _names(texts: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    candidates = [t for t in texts if t and t.strip() and _may_hold_a_name(t)]
    if not candidates:
        return counts
    from .quotes import load_nlp

    nlp = _tagger() or load_nlp("en")
    for doc in nlp.pipe(candidates, batch_size=128):
        for sent in doc.sents if doc.has_annotation("SENT_START") else [doc]:
            run: list[str] = []
            for k, tok in enumerate([*sent, None]):
                word = tok.text.strip(".,;:!?\"'()") if tok is not None else ""
                ok = (tok is not None and len(word) >= 2 and word.lower() not in _STOCK and word[:1].isupper()
                      and (bool(_INNER_CAPS.match(word)) or (k > 0 and tok.pos_ == "PROPN")))
                if ok:
                    run.append(word)
                    continue
                if run:  # consecutive proper nouns are one name: "Jane App"
                    counts[" ".join(run)] += 1
                    run = []
    return counts


@functools.cache
def _tagger():
    """The bundled English model with its tagger (proper nouns); None when unavailable."""
    import spacy

    from .quotes import ENGLISH_MODEL

    try:
        return spacy.load(ENGLISH_MODEL, exclude=["ner", "lemmatizer", "parser"])
    except (OSError, ImportError):
        return None


def auto_hotwords(texts: Iterable[str], extra: Sequence[str] = (), limit: int = MAX_HOTWORDS) -> str:
    """Names from `texts`, after the `extra` names, as one space-separated hotword string."""
    names = [" ".join(e.split()) for e in extra if e and e.strip()]
    counts = _names(texts)
    for word, _ in sorted(counts.items(), key=lambda wc: (-wc[1], wc[0].casefold())):
        if word.casefold() not in {n.casefold() for n in names}:
            names.append(word)
    return " ".join(dict.fromkeys(names[:max(limit, len([e for e in extra if e.strip()]))]))


def study_hotwords(store, extra: Sequence[str] = ()) -> str:
    """`auto_hotwords` over the interviewer's turns of every transcribed interview in `store`."""
    return auto_hotwords(_interviewer_turns(store), extra)


def _interviewer_turns(store) -> list[str]:
    from .models import INTERVIEWER

    return [s.text for i in store.list_interviews() if i.status == "transcribed"
            for s in store.segments(i.id) if s.speaker == INTERVIEWER]


def study_vocabulary(store) -> str:
    """The study's hotwords: the guide's names first, then names in its questions and in the
    interviewer's turns of the interviews transcribed so far (`auto_hotwords`)."""
    from . import guide as study_guide

    g = study_guide.load(store)
    return auto_hotwords([q.text for q in g.all_questions()] + _interviewer_turns(store), g.names)


def with_hotwords(options, hotwords: str):
    """`options` (transcribe.TranscribeOptions) with `hotwords` added to any it already has."""
    if not hotwords:
        return options
    merged = " ".join(dict.fromkeys((options.hotwords or "").split() + hotwords.split()))
    return replace(options, hotwords=merged)


def _letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def respell(tokens: Sequence[str], names: Iterable[str]) -> list[str]:
    """`tokens` (words as heard, punctuation attached) with near-miss spellings of `names` replaced.

    A run of one to (words in the name + 1) tokens that starts with the name's first letter and
    whose letters are a near miss of the name's (see RESPELL_LETTERS_PER_EDIT) becomes the name,
    keeping the punctuation around the run. Each token is rewritten at most once; longer names are
    tried first, so "Jane App" wins over "Jane".

    >>> respell("We moved to clinic floor, then rotaly.".split(), ["ClinicFlow", "Rotaly"])
    ['We', 'moved', 'to', 'ClinicFlow,', 'then', 'Rotaly.']
    >>> respell(["Our", "rotary", "club", "uses", "ClinicFlows"], ["Rotaly", "ClinicFlow"])
    ['Our', 'rotary', 'club', 'uses', 'ClinicFlows']
    """
    out = list(tokens)
    for start, count, token in reversed(_respellings(tokens, names)):
        out[start:start + count] = [token]
    return out


def _respellings(tokens: Sequence[str], names: Iterable[str]) -> list[tuple[int, int, str]]:
    """(first token, number of tokens, replacement) for every near miss in `tokens`, in order."""
    from rapidfuzz.distance import Levenshtein

    keyed = sorted({(_letters(n), " ".join(n.split())) for n in names if len(_letters(n)) >= RESPELL_MIN_LETTERS},
                   key=lambda kn: -len(kn[0]))
    taken = [False] * len(tokens)
    found: list[tuple[int, int, str]] = []
    for key, name in keyed:
        for i in range(len(tokens)):
            for n in range(min(len(name.split()) + 1, len(tokens) - i), 0, -1):
                heard = _letters("".join(tokens[i:i + n]))
                if any(taken[i:i + n]) or not heard or heard[0] != key[0]:
                    continue
                edits = len(key) // RESPELL_LETTERS_PER_EDIT if n > 1 else int(len(key) >= 2 * RESPELL_LETTERS_PER_EDIT)
                near = not heard.startswith(key) and Levenshtein.distance(heard, key, score_cutoff=edits) <= edits
                if heard == key or near:  # "ClinicFlows" / "Clinicflow's" are left as heard
                    first, last = tokens[i], tokens[i + n - 1]
                    lead = first[:len(first) - len(first.lstrip(_PUNCT))]
                    trail = last[len(last.rstrip(_PUNCT)):]
                    found.append((i, n, lead + name + trail))
                    taken[i:i + n] = [True] * n
                    break
    return sorted(found)


_PUNCT = ".,;:!?\"'()[]-"


def respell_segment(segment, names: Sequence[str]):
    """`segment` (models.Segment) with its text and timed words respelled (`respell`). Words merged
    into one name keep the first word's start, the last word's end and the lowest probability."""
    from dataclasses import replace as _replace

    from .models import Word

    names = [n for n in names if n and n.strip()]
    if not names:
        return segment
    words = list(segment.words or [])
    for start, count, token in reversed(_respellings([w.word.strip() for w in words], names)):
        part = words[start:start + count]
        words[start:start + count] = [Word(part[0].start, part[-1].end, " " + token, min(w.probability for w in part))]
    return _replace(segment, text=" ".join(respell(segment.text.split(), names)), words=words)
