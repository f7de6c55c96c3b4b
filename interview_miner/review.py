"""Researcher review operations on the evidence: themes, quotes, transcript segments, interview
details and NPS scores (personas have theirs in `persona_review.py`), plus the read-only lookups
the review screens need (search, similar quotes, saturation, who backs a claim).

Every change goes through a function here: it checks the target exists and the input makes sense,
then records one typed `overlay.Edit` per changed field (`store.save_edit`); nothing here rewrites
machine rows. So edits survive re-mining by construction, and two browser tabs (or the app and the
CLI) editing different fields of the same theme never overwrite each other: the newest write per
field wins. How an edit then changes what users see is `overlay.py`'s business.

The Streamlit pages and the CLI call these and nothing else to change a study; a script can too:

    >>> from interview_miner.models import Quote
    >>> from interview_miner.store import Store
    >>> from interview_miner import review
    >>> store = Store(":memory:")
    >>> store.save_quotes([Quote("q1", 1, 0.0, 3.5, "We lose a day a week to no-shows"),
    ...                    Quote("q2", 1, 4.0, 6.0, "Patients forget their appointments")])
    >>> tid = review.create_theme(store, "trigger", "No-shows", ["q1", "q2"])
    >>> new_id = review.split_theme(store, tid, ["q2"], "Forgetful patients")
    >>> review.rename_theme(store, tid, "Lost revenue from no-shows")
    >>> review.star_quote(store, "q1")
    >>> sorted((t.label, t.quote_ids) for t in store.themes())
    [('Forgetful patients', ['q2']), ('Lost revenue from no-shows', ['q1'])]
"""
from __future__ import annotations

import math
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from . import codebook
from .models import INTERVIEWER, PARTICIPANT, Quote, Theme
from .overlay import Edit, EditError
from .store import Store
from .vocab import FILLER_WORDS, STOP_WORDS, UNSPACED_CHARS, participant_key
from .vocab import participant_name as participant_label

# ---------------------------------------------------------------------------------------------
# Lookups
# ---------------------------------------------------------------------------------------------


def get_theme(store: Store, theme_id: str, quotes: list[Quote] | None = None) -> Theme:
    """The theme (top-level or sub-theme) as the researcher sees it (edits applied); KeyError if
    absent or deleted."""
    for t in store.themes(quotes).all():
        if t.id == theme_id:
            return t
    raise KeyError(f"no theme {theme_id!r} (deleted, merged or never mined)")


def get_quote(store: Store, quote_id: str) -> Quote:
    for q in store.quotes():
        if q.id == quote_id:
            return q
    raise KeyError(f"no quote {quote_id!r}")


def unthemed_quotes(store: Store, category: str | None = None) -> list[Quote]:
    """Quotes in no visible theme (never clustered, or their theme was deleted)."""
    quotes = store.quotes()
    visible = {t.id for t in store.themes(quotes)}
    return [
        q for q in quotes
        if (q.theme_id is None or q.theme_id not in visible) and (category is None or q.category == category)
    ]


def new_theme_id() -> str:
    """Ids of researcher-made themes; the prefix keeps them apart from mined theme ids."""
    return "user-" + uuid.uuid4().hex[:10]


# ---------------------------------------------------------------------------------------------
# Themes
# ---------------------------------------------------------------------------------------------


def rename_theme(store: Store, theme_id: str, label: str) -> None:
    label = clean_text(label, "theme label")
    get_theme(store, theme_id)
    store.save_edit(Edit.theme(theme_id, "label", label))


def tag_theme(store: Store, theme_id: str, tags: list[str]) -> list[str]:
    get_theme(store, theme_id)
    tags = normalize_tags(tags)
    store.save_edit(Edit.theme(theme_id, "tags", tags))
    return tags


def merge_themes(store: Store, theme_ids: list[str], into: str | None = None) -> str:
    """Merge themes into one (default: the one with most quotes); returns the surviving id.

    Each merged theme gets a `merged_into` edit, so its quotes follow it, including quotes a later
    re-mining assigns to it. Themes must share a category (move quotes across categories instead).
    """
    quotes = store.quotes()
    ids = list(dict.fromkeys([*theme_ids, *([into] if into else [])]))
    themes = [get_theme(store, t, quotes) for t in ids]
    if len(themes) < 2:
        raise EditError("pick at least two themes to merge")
    if len({t.category for t in themes}) > 1:
        raise EditError("themes in different categories cannot be merged; move the quotes instead")
    target = into or max(themes, key=lambda t: (len(t.quote_ids), t.n_participants)).id
    target_parent = next(t.parent_id for t in themes if t.id == target)
    if target_parent in ids:
        raise EditError("a theme cannot be merged into one of its own sub-themes; merge the sub-theme into it instead")
    with store.transaction():
        for t in themes:
            if t.id != target:
                store.save_edit(Edit.theme(t.id, "merged_into", target))
    return target


def split_theme(store: Store, theme_id: str, quote_ids: list[str], new_label: str) -> str:
    """Move some of a theme's quotes into a new theme (same category; a sub-theme's split is a new
    sub-theme of the same parent); returns the new id."""
    quotes = store.quotes()
    theme = get_theme(store, theme_id, quotes)
    quote_ids = list(dict.fromkeys(quote_ids))
    if not quote_ids:
        raise EditError("pick the quotes that form the new theme")
    strangers = set(quote_ids) - set(theme.quote_ids)
    if strangers:
        raise EditError(f"not in theme {theme_id!r}: {', '.join(sorted(strangers))}")
    return create_theme(store, theme.category, new_label, quote_ids, parent_id=theme.parent_id)


def create_theme(store: Store, category: str, label: str, quote_ids: list[str] = (),
                 parent_id: str | None = None) -> str:
    """A researcher-made theme in `category`, optionally taking these quotes, as a sub-theme of
    the top-level theme `parent_id` when given; returns its id."""
    _check_category(store, category)
    label = clean_text(label, "theme label")
    if parent_id is not None:
        _check_parent(store, parent_id, category)
    by_id = {q.id: q for q in store.quotes()}
    missing = [q for q in quote_ids if q not in by_id]
    if missing:
        raise KeyError(f"no quote {missing[0]!r}")
    tid = new_theme_id()
    with store.transaction():
        store.save_edit(Edit.theme(tid, "created", {"category": category, "label": label}))
        if parent_id is not None:
            store.save_edit(Edit.theme(tid, "parent_id", parent_id))
        for qid in quote_ids:
            if by_id[qid].category != category:
                store.save_edit(Edit.quote(qid, "category", category))
            store.save_edit(Edit.quote(qid, "theme_id", tid))
    return tid


def nest_theme(store: Store, theme_id: str, parent_id: str | None) -> None:
    """Make a theme a sub-theme of the top-level theme `parent_id` (same category), or with None
    a top-level theme of its own. Only two levels exist: a theme nested with sub-themes of its
    own hands them to the new parent."""
    theme = get_theme(store, theme_id)
    if parent_id is not None:
        if parent_id == theme_id:
            raise EditError("a theme cannot be its own sub-theme")
        _check_parent(store, parent_id, theme.category)
    store.save_edit(Edit.theme(theme_id, "parent_id", parent_id))


def _check_parent(store: Store, parent_id: str, category: str) -> None:
    parent = get_theme(store, parent_id)
    if parent.parent_id is not None:
        raise EditError(f"{parent.label!r} is a sub-theme; pick a top-level theme as the parent")
    if parent.category != category:
        raise EditError(f"theme {parent_id!r} is in {parent.category!r}, not {category!r}")


def delete_theme(store: Store, theme_id: str) -> None:
    """Hide a theme; its quotes become unthemed (and stay visible for reassignment). A deleted
    sub-theme dissolves into its parent instead: its quotes stay there."""
    get_theme(store, theme_id)
    store.save_edit(Edit.theme(theme_id, "deleted", True))


def restore_theme(store: Store, theme_id: str) -> None:
    """Undo a delete or a merge of this theme."""
    with store.transaction():
        store.save_edit(Edit.theme(theme_id, "deleted", False))
        store.save_edit(Edit.theme(theme_id, "merged_into", None))


# ---------------------------------------------------------------------------------------------
# Quotes
# ---------------------------------------------------------------------------------------------


def move_quote(store: Store, quote_id: str, theme_id: str | None = None, category: str | None = None) -> None:
    """Move a quote into a theme (its category follows), or to a category as unthemed.

    With neither argument the quote is taken out of its theme (unthemed, same category).
    """
    quotes = store.quotes()
    quote = next((q for q in quotes if q.id == quote_id), None)
    if quote is None:
        raise KeyError(f"no quote {quote_id!r}")
    if theme_id is not None:
        theme = get_theme(store, theme_id, quotes)
        if category is not None and category != theme.category:
            raise EditError(f"theme {theme_id!r} is in {theme.category!r}, not {category!r}")
        category = theme.category
    elif category is not None:
        _check_category(store, category)
    with store.transaction():
        if category is not None and category != quote.category:
            store.save_edit(Edit.quote(quote_id, "category", category))
        store.save_edit(Edit.quote(quote_id, "theme_id", theme_id))


def set_quote_category(store: Store, quote_id: str, category: str) -> None:
    """Correct (or confirm) a quote's category; the category model learns from it on the next
    mine. Only the category is recorded: a changed category takes the quote out of its machine
    theme (that belongs to the old category), and re-mining may put it in one of the new
    category's themes. To take it out of its theme for good, use `move_quote`."""
    get_quote(store, quote_id)
    _check_category(store, category)
    store.save_edit(Edit.quote(quote_id, "category", category))


def tag_quote(store: Store, quote_id: str, tags: list[str]) -> list[str]:
    """Set a quote's tags (the whole list, normalised); returns what was stored."""
    get_quote(store, quote_id)
    tags = normalize_tags(tags)
    store.save_edit(Edit.quote(quote_id, "tags", tags))
    return tags


def star_quote(store: Store, quote_id: str, starred: bool = True) -> None:
    get_quote(store, quote_id)
    store.save_edit(Edit.quote(quote_id, "starred", bool(starred)))


def set_quote_text(store: Store, quote_id: str, text: str) -> None:
    get_quote(store, quote_id)
    store.save_edit(Edit.quote(quote_id, "text", clean_text(text, "quote text")))


def normalize_tags(tags: list[str] | str) -> list[str]:
    """'pricing, Pricing , ux' -> ['pricing', 'ux']: trimmed, lower-cased, de-duplicated."""
    if isinstance(tags, str):
        tags = tags.split(",")
    out: list[str] = []
    for t in tags:
        t = " ".join(str(t).split()).lower()
        if t and t not in out:
            out.append(t)
    return out


def all_tags(store: Store) -> list[str]:
    """Every tag used on a quote in the study, most used first."""
    counts = Counter(t for q in store.quotes() for t in q.tags)
    return [t for t, _ in counts.most_common()]


# ---------------------------------------------------------------------------------------------
# Transcript fixes
# ---------------------------------------------------------------------------------------------


def _segment(store: Store, segment_id: int):
    return store.get_segment(int(segment_id))


def set_segment_speaker(store: Store, segment_id: int, speaker: str) -> None:
    """Relabel who said one segment (`interviewer`, `participant` or any name)."""
    _segment(store, segment_id)
    store.save_edit(Edit.segment(int(segment_id), "speaker", clean_text(speaker, "speaker")))


def set_segment_text(store: Store, segment_id: int, text: str) -> None:
    """Correct a mis-heard word or phrase in one segment."""
    _segment(store, segment_id)
    store.save_edit(Edit.segment(int(segment_id), "text", clean_text(text, "segment text")))


def set_nps_score(store: Store, interview_id: int, score: int) -> None:
    """Set (or correct) an interview's 0-10 likelihood-to-recommend after listening to it.

    Whisper can mishear a spoken number ("a nine" -> "hi"); mining then reports that no score was
    found, and the researcher's score here wins over the machine's on every later run."""
    store.get_interview(interview_id)  # KeyError naming it if unknown
    score = int(score)
    if not 0 <= score <= 10:
        raise EditError(f"NPS score must be 0-10, not {score}")
    store.save_edit(Edit.nps(int(interview_id), "score", score))


def set_participant(store: Store, interview_id: int, participant: str) -> None:
    """Name who was interviewed (shown instead of the file name, and what counts as one person)."""
    store.get_interview(interview_id)  # KeyError naming it if unknown
    store.save_edit(Edit.interview(int(interview_id), "participant", clean_text(participant, "participant")))


def set_interview_metadata(store: Store, interview_id: int, key: str, value: str) -> None:
    """Set one metadata value of an interview (role, company, ...; personas group on them)."""
    store.get_interview(interview_id)
    key = clean_text(key, "metadata key")
    if "." in key:
        raise EditError(f"metadata key {key!r} cannot contain '.'")
    store.save_edit(Edit.interview(int(interview_id), f"metadata.{key}", " ".join(str(value).split())))


def swap_speakers(store: Store, interview_id: int) -> int:
    """Swap interviewer and participant on every segment of an interview; returns how many."""
    swap = {INTERVIEWER: PARTICIPANT, PARTICIPANT: INTERVIEWER}
    n = 0
    with store.transaction():
        for s in store.segments(interview_id):
            if s.speaker in swap:
                store.save_edit(Edit.segment(s.id, "speaker", swap[s.speaker]))
                n += 1
    return n


def replace_in_transcript(store: Store, interview_id: int, old: str, new: str, whole_word: bool = True) -> int:
    """Replace a mis-heard word everywhere in one interview (case-insensitive); returns the
    number of segments changed. Each changed segment gets its own text edit."""
    old = clean_text(old, "word to replace")
    pattern = re.compile((r"\b%s\b" if whole_word else "%s") % re.escape(old), re.IGNORECASE)
    n = 0
    with store.transaction():
        for s in store.segments(interview_id):
            text = pattern.sub(new, s.text)
            if text != s.text:
                store.save_edit(Edit.segment(s.id, "text", " ".join(text.split())))
                n += 1
    return n


# ---------------------------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------------------------


@dataclass
class Hit:
    """One search result: a transcript line or a quote, where it is and how well it matched."""

    interview_id: int
    start: float
    end: float
    text: str
    speaker: str | None = None
    participant: str | None = None
    segment_id: int | None = None
    quote_id: str | None = None
    score: float = 0.0


def query_terms(query: str) -> list[str]:
    """'"online booking" price' -> ['online booking', 'price'] (phrases kept together)."""
    terms = [a or b for a, b in re.findall(r'"([^"]+)"|(\S+)', query or "")]
    return [t.lower().strip() for t in terms if t.strip()]


def _match_score(text: str, terms: list[str]) -> float:
    low = text.lower()
    score = 0.0
    for t in terms:
        n = low.count(t)
        if n == 0:
            return 0.0
        # Whole words rank higher; Chinese has no word boundaries, so every match there is whole.
        whole = n if re.search(f"[{UNSPACED_CHARS}]", t) else len(re.findall(r"\b%s\b" % re.escape(t), low))
        score += n + whole  # whole-word matches rank above matches inside longer words
    return score


def search_transcripts(store: Store, query: str, limit: int = 50) -> list[Hit]:
    """Full-text search over every transcript line (edits applied): all terms must occur.
    Ranked by how often the terms occur; ties keep transcript order."""
    terms = query_terms(query)
    if not terms:
        return []
    hits = []
    for interview in store.list_interviews():
        name = participant_label(interview)
        for s in store.segments(interview.id):
            score = _match_score(s.text, terms)
            if score:
                hits.append(Hit(interview.id, s.start, s.end, s.text, s.speaker, name, segment_id=s.id, score=score))
    hits.sort(key=lambda h: -h.score)
    return hits[:limit]


def search_quotes(store: Store, query: str, limit: int = 50) -> list[Hit]:
    """Full-text search over mined quotes (edits applied): all terms must occur."""
    terms = query_terms(query)
    if not terms:
        return []
    names = {i.id: participant_label(i) for i in store.list_interviews()}
    hits = []
    for q in store.quotes():
        score = _match_score(q.text, terms)
        if score:
            hits.append(Hit(q.interview_id, q.start, q.end, q.text, q.speaker, names.get(q.interview_id),
                            quote_id=q.id, score=score))
    hits.sort(key=lambda h: -h.score)
    return hits[:limit]


# ---------------------------------------------------------------------------------------------
# Similar quotes (embeddings cached by the mining stage; word overlap when there are none)
# ---------------------------------------------------------------------------------------------


@dataclass
class Similar:
    quote: Quote
    score: float
    method: str  # "embedding" | "words"


def embedding_model_name(model: str | None = None) -> str:
    """The name quote vectors are cached under for this embedding model (as mining stores them)."""
    from . import embed
    from .errors import ModelNotFoundError

    try:
        return embed.resolve_model(model)[0]
    except ModelNotFoundError:
        return embed.DEFAULT_NAME if model in (None, embed.DEFAULT_MODEL) else model


def similar_quotes(store: Store, quote_id: str, k: int = 8, model: str | None = None) -> list[Similar]:
    """The k quotes closest in meaning to this one, across all interviews.

    Uses the sentence vectors the mining stage cached (keyed by (model, sha256(text)); `model` is
    the embedding model mining used, default the bundled one); when the study has none yet, falls
    back to word overlap so the feature still answers.
    """
    from .embed import from_bytes, text_hash

    quotes = store.quotes()
    machine_text = {q.id: q.text for q in store.quotes(apply_edits=False)}
    if quote_id not in machine_text:
        raise KeyError(f"no quote {quote_id!r}")
    others = [q for q in quotes if q.id != quote_id]
    if not others:
        return []
    hashes = {q.id: text_hash(machine_text[q.id]) for q in quotes}
    if model is None:  # the model mining chose for this study's language (MiniLM for English)
        from .embed import model_for_language
        from .languages import study_language

        model = model_for_language(study_language(i.language for i in store.list_interviews()))
    vectors = store.get_embeddings(embedding_model_name(model), hashes.values())
    if hashes[quote_id] not in vectors:
        return _similar_by_words(quotes, quote_id, k)
    target = _unit(from_bytes(vectors[hashes[quote_id]]))
    scored = []
    for q in others:
        blob = vectors.get(hashes[q.id])
        if blob is not None and machine_text[q.id] != machine_text[quote_id]:
            vec = _unit(from_bytes(blob))
            if vec.shape == target.shape:
                scored.append(Similar(q, float(vec @ target), "embedding"))
    scored.sort(key=lambda s: -s.score)
    return scored[:k]


def _unit(v: np.ndarray) -> np.ndarray:
    v = v.astype(np.float64)
    n = np.linalg.norm(v)
    return v / n if n else v


_STOP = STOP_WORDS | FILLER_WORDS


def _words(text: str) -> Counter:
    """Content words in any script; in Chinese/Japanese (no spaces) character pairs stand in."""
    low = text.casefold()
    words = [w for w in re.findall(r"[^\W_]+(?:'[^\W_]+)*", low) if not re.search(f"[{UNSPACED_CHARS}]", w)]
    pairs = [a + b for run in re.findall(f"[{UNSPACED_CHARS}]+", low) for a, b in zip(run, run[1:])]
    return Counter([w for w in words if w not in _STOP and len(w) > 2] + pairs)


def _similar_by_words(quotes: list[Quote], quote_id: str, k: int) -> list[Similar]:
    docs = {q.id: _words(q.text) for q in quotes}
    df = Counter(w for c in docs.values() for w in c)
    n = len(docs)

    def vec(c: Counter) -> dict[str, float]:
        return {w: tf * math.log((1 + n) / (1 + df[w])) for w, tf in c.items()}

    target = vec(docs[quote_id])
    tnorm = math.sqrt(sum(v * v for v in target.values())) or 1.0
    out = []
    for q in quotes:
        if q.id == quote_id:
            continue
        other = vec(docs[q.id])
        dot = sum(v * other.get(w, 0.0) for w, v in target.items())
        if dot > 0:
            onorm = math.sqrt(sum(v * v for v in other.values())) or 1.0
            out.append(Similar(q, dot / (tnorm * onorm), "words"))
    out.sort(key=lambda s: -s.score)
    return out[:k]


# ---------------------------------------------------------------------------------------------
# Saturation and evidence
# ---------------------------------------------------------------------------------------------


@dataclass
class SaturationPoint:
    interview_id: int
    participant: str
    new_themes: int
    total_themes: int
    new_theme_labels: list[str] = field(default_factory=list)


def saturation_curve(store: Store, exclude_categories: tuple[str, ...] = ("other",)) -> list[SaturationPoint]:
    """New themes found per added interview, in the order interviews were added.

    A theme counts as found in the first interview that has one of its quotes. Interviews with no
    quotes yet (not mined) are left out, so they do not read as "nothing new".
    """
    quotes = store.quotes()
    themes = [t for t in store.themes(quotes) if t.category not in exclude_categories]
    interviews = store.list_interviews()
    order = {i.id: n for n, i in enumerate(interviews)}
    by_quote = {q.id: q.interview_id for q in quotes}
    first: dict[int, list[str]] = {}
    for t in themes:
        seen = [by_quote[q] for q in t.quote_ids if q in by_quote]
        if seen:
            first.setdefault(min(seen, key=lambda i: order.get(i, 1 << 30)), []).append(t.label)
    mined = {q.interview_id for q in quotes}
    out, total = [], 0
    for i in interviews:
        if i.id not in mined:
            continue
        labels = sorted(first.get(i.id, []))
        total += len(labels)
        out.append(SaturationPoint(i.id, participant_label(i), len(labels), total, labels))
    return out


def saturation_reading(curve: list[SaturationPoint], window: int = 3) -> str:
    """One line a researcher can act on, e.g. 'Last 3 interviews added 1 new theme: close to
    saturation.'"""
    if len(curve) <= window:
        return (f"{len(curve)} interview{'s' if len(curve) != 1 else ''} mined: too few to judge "
                f"saturation (needs more than {window}).")
    total = curve[-1].total_themes
    if total == 0:  # nothing to be saturated with
        return "No themes in these interviews yet: mine them (or check their quotes) before judging saturation."
    recent = sum(p.new_themes for p in curve[-window:])
    head = f"Last {window} interviews added {recent} new theme{'s' if recent != 1 else ''}"
    if recent == 0:
        return f"{head}: saturation reached for these themes."
    if recent <= max(1, round(0.1 * total)):
        return f"{head}: close to saturation."
    return f"{head} (of {total}): still finding new themes, keep interviewing."


def participants_backing(store: Store, quote_ids: list[str], quotes: list[Quote] | None = None,
                         interviews: list | None = None) -> tuple[int, int]:
    """(participants, quotes) behind a claim: how many different people said the supporting
    quotes, and how many of the quotes still exist. Pass `quotes`/`interviews` already read to
    save the reads when counting many claims."""
    quotes = store.quotes() if quotes is None else quotes
    by_id = {q.id: q for q in quotes}
    people = {i.id: participant_key(i) for i in (store.list_interviews() if interviews is None else interviews)}
    found = [by_id[q] for q in quote_ids if q in by_id]
    return len({people.get(q.interview_id, q.interview_id) for q in found}), len(found)


# ---------------------------------------------------------------------------------------------


def clean_text(text: str, what: str) -> str:
    """Whitespace collapsed; EditError naming `what` when nothing is left."""
    text = " ".join(str(text or "").split())
    if not text:
        raise EditError(f"{what} cannot be empty")
    return text


def _check_category(store: Store, category: str) -> None:
    """A category must be in the study's codebook (codebook.py), not merely well-formed."""
    keys = codebook.load(store).keys
    if category not in keys:
        raise EditError(f"unknown category {category!r} (one of: {', '.join(keys)})")

