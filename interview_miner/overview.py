"""Study-level numbers: what the app's Study and Overview pages (and scripts) summarise.

Plain reads over the store (researcher edits applied), returning dicts and lists ready to print
or chart. No SQL here and no Streamlit.

    from interview_miner import overview
    overview.nps_summary(Store("study.db"))["score"]   # e.g. 20
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .label_doubts import rare_and_said_once, unclear_label_words
from .models import Quote, Segment, Theme
from .quotes import unsure_spans, words_in
from .second_hearing import kept_hearing
from .store import Store
from .vocab import NPS_BANDS, nps_breakdown, participant_key
from .vocab import participant_name as participant_label


def study_summary(store: Store) -> dict[str, Any]:
    """Headline counts: interviews, participants, transcribed, audio seconds, quotes, themes..."""
    interviews = store.list_interviews()
    quotes = store.quotes()
    themes = store.themes(quotes)
    return {
        "interviews": len(interviews),
        "participants": len({participant_key(i) for i in interviews}),
        "transcribed": sum(1 for i in interviews if i.status == "transcribed"),
        "failed": sum(1 for i in interviews if i.status == "failed"),
        "audio_seconds": sum(i.duration or 0 for i in interviews if i.kind == "audio"),
        "quotes": len(quotes),
        "mined_interviews": len({q.interview_id for q in quotes}),
        "themes": len(themes),
        "themed_quotes": sum(len(t.quote_ids) for t in themes),
        "starred": sum(1 for q in quotes if q.starred),
        "personas": len(store.personas()),
    }


def interview_rows(store: Store) -> list[dict[str, Any]]:
    """One row per interview for the study table, with transcription progress (0..1)."""
    quotes_per = Counter(q.interview_id for q in store.quotes())
    rows = []
    for i in store.list_interviews():
        progress = 1.0 if i.status == "transcribed" else 0.0
        if i.kind == "audio" and i.status != "transcribed":
            t = store.get_transcription(i.id)
            if t and i.duration:
                progress = 0.99 if t.completed else min(0.99, t.transcribed_s / i.duration)
        meta = {k: v for k, v in (i.metadata or {}).items()
                if k not in ("channels", "codec", "tracks", "speaker_names", "times_estimated")}
        rows.append({
            "id": i.id,
            "participant": i.participant or "",
            "file": i.file_name,
            "kind": i.kind,
            "duration": i.duration,
            "language": i.language or "",
            "status": i.status,
            "progress": round(progress, 3),
            "quotes": quotes_per.get(i.id, 0),
            "metadata": ", ".join(f"{k}={v}" for k, v in sorted(meta.items())),
            "error": i.error or "",
        })
    return rows


def nps_summary(store: Store) -> dict[str, Any]:
    """Promoters/passives/detractors, the NPS (-100..100, None without scores) and per-interview
    scores with the participant's name."""
    names = {i.id: participant_label(i) for i in store.list_interviews()}
    rows = [
        {"interview_id": iid, "participant": names.get(iid, str(iid)), "score": r.get("score"),
         "klass": r.get("klass"), "text": r.get("text")}
        for iid, r in sorted(store.nps().items()) if r.get("score") is not None
    ]
    counts = Counter(r["klass"] for r in rows)
    return {"counts": {b.key: counts.get(b.key, 0) for b in NPS_BANDS}, "n": len(rows),
            "score": nps_breakdown([r["score"] for r in rows])["nps"], "rows": rows}


def persona_interviews(store: Store) -> list[dict[str, Any]]:
    """Interviews per persona: name, count and the participants behind it."""
    names = {i.id: participant_label(i) for i in store.list_interviews()}
    return [
        {"persona": p.name, "interviews": len(p.interview_ids),
         "participants": ", ".join(names.get(i, str(i)) for i in sorted(p.interview_ids))}
        for p in store.personas()
    ]


def category_theme_rows(store: Store, quotes: list[Quote] | None = None) -> list[dict[str, Any]]:
    """(category, theme, quotes, participants) for every visible theme, plus one `Unthemed` row
    per category that has quotes outside any theme."""
    quotes = store.quotes() if quotes is None else quotes
    themes = store.themes(quotes)
    rows = [
        {"category": t.category, "theme": t.label, "quotes": len(t.quote_ids), "participants": t.n_participants}
        for t in themes
    ]
    visible = {t.id for t in themes}
    people = {i.id: participant_key(i) for i in store.list_interviews()}
    loose: dict[str, list[Quote]] = {}
    for q in quotes:
        if q.category and (q.theme_id is None or q.theme_id not in visible):
            loose.setdefault(q.category, []).append(q)
    for category, qs in sorted(loose.items()):
        rows.append({"category": category, "theme": "Unthemed", "quotes": len(qs),
                     "participants": len({people.get(q.interview_id) for q in qs})})
    return rows


@dataclass
class UnclearName:
    """A theme name holding words that may be misheard (heard unsure, rare and said once, or heard
    otherwise by a second model), and the quote to listen to."""

    theme: Theme
    words: list[str]
    quote: Quote


def unclear_name(theme: Theme, quotes: Mapping[str, Quote], segments_of: Callable[[int], list[Segment]],
                 language: str | None = None, odd: Callable[[str], bool] | None = None,
                 heard: Callable[[Quote], str | None] | None = None) -> UnclearName | None:
    """`label_doubts.unclear_label_words` for one theme (its representative quote first); None when
    nothing in its name was heard unsure (nor is `odd`, nor did a second hearing, `heard(quote)`:
    `second_hearing.kept_hearing`, hear it otherwise)."""
    held = [quotes[i] for i in dict.fromkeys([theme.representative_quote_id, *theme.quote_ids]) if i in quotes]
    sources = [(q.text, lambda q=q: unsure_spans(q.text, words_in(q, segments_of(q.interview_id))),
                (lambda q=q: heard(q)) if heard else None) for q in held]
    words, k = unclear_label_words(theme.label, theme.category, sources, (language or "en")[:2], odd)
    return UnclearName(theme, words, held[k]) if words and k is not None else None


def kept_hearings(store: Store, interviews: Mapping[int, Any]) -> Callable[[Quote], str | None]:
    """`heard(quote)` for `unclear_name`: the second hearing mining kept for it, if any."""
    def heard(q: Quote) -> str | None:
        interview = interviews.get(q.interview_id)
        return kept_hearing(store.get_embeddings, interview, q) if interview is not None else None

    return heard


def unclear_names(store: Store) -> list[UnclearName]:
    """Every theme and sub-theme name holding a word that may be misheard
    (`label_doubts.unclear_label_words` with `label_doubts.rare_and_said_once`): what to listen to before a
    report with these names is shared."""
    quotes = store.quotes()
    by_id = {q.id: q for q in quotes}
    interviews = {i.id: i for i in store.list_interviews()}
    language = {i: interview.language for i, interview in interviews.items()}
    segments: dict[int, list[Segment]] = {}

    def segments_of(iid: int) -> list[Segment]:
        if iid not in segments:
            segments[iid] = store.segments(iid)
        return segments[iid]

    odd: dict[str, Callable[[str], bool]] = {}
    out = []
    for t in store.themes(quotes).all():
        first = by_id.get(t.representative_quote_id) or next((by_id[i] for i in t.quote_ids if i in by_id), None)
        if t.category != "nps_score" and first is not None:
            lang = language.get(first.interview_id) or "en"
            if lang not in odd:
                odd[lang] = rare_and_said_once(quotes, lang)
            found = unclear_name(t, by_id, segments_of, lang, odd[lang], kept_hearings(store, interviews))
            if found:
                out.append(found)
    return out
