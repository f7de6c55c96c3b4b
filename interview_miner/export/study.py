"""The study as every export sees it: read once from the store (edits applied), then turned into
plain, ordered dicts that the Markdown/HTML templates, the PDF writer and the JSON/CSV writers all
share. No format decides what is in the report: `report_context` does, once.

Nothing here depends on the clock or on dict/set iteration order, so the same store always gives
byte-identical exports.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..customers_recruit import persona_value_shares
from ..languages import text_direction
from ..models import PERSONA_FIELDS, Interview, Persona, PersonaField, Quote, Segment, Theme
from ..overlay import metadata_key_renames
from ..personas import FIELD_TITLES
from .. import codebook as codebook_mod
from .. import guide as guide_mod
from .. import journey as journey_mod
from ..codebook import Codebook
from ..guide import Guide
from ..models import JourneyStage
from ..vocab import clock, nps_breakdown, participant_key, participant_name
from .method import method_context

GENERATED_BY = f"interview-miner {__version__}"
DEFAULT_TITLE = "Customer interview study"
QUOTES_PER_THEME_IN_REPORT = 3
# A theme with sub-themes shows its representative quote, then each sub-theme with its own few:
# the finer points carry the evidence, and no quote is printed twice.
QUOTES_PER_SUB_THEME_IN_REPORT = 2
# Fields that summarise other fields (their evidence is shown under the specific field).
SUMMARY_FIELDS = ("frustrations",)


@dataclass
class Study:
    """Everything an export needs, researcher edits applied."""

    title: str
    interviews: list[Interview]
    segments: dict[int, list[Segment]]
    quotes: list[Quote]
    themes: list[Theme]  # top level
    nps: dict[int, dict[str, Any]]
    personas: list[Persona]
    # answers heard again without a score taken: {interview_id: {listen_at, suggested}}
    nps_to_confirm: dict[int, dict[str, Any]] = field(default_factory=dict)
    sub_themes: list[Theme] = field(default_factory=list)  # one level down (`parent_id` set)
    # persona id -> the value of the customers behind its interviews (empty without customer data)
    persona_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    metadata_keys: dict[str, str] = field(default_factory=dict)  # study's key -> canvas fact (canvas.py)
    version: str | None = None  # the saved persona version this study was read from (versions.py)
    # The method's study data (codebook.py, journey.py, guide.py); defaults when not given.
    codebook: Codebook = field(default_factory=Codebook.default)
    stages: list[JourneyStage] = field(default_factory=journey_mod.default_stages)
    guide: Guide | None = None
    # (persona id, field) whose text a researcher wrote. The machine writes a field's text from
    # its claims, which the reports list with their quotes, so only a written text is printed
    # above them (the machine's would say everything twice). None: not known (a version saved
    # before this was recorded), and every text is printed, as then.
    written_texts: set[tuple[str, str]] | None = None
    quote_by_id: dict[str, Quote] = field(init=False)
    theme_by_id: dict[str, Theme] = field(init=False)  # top-level themes
    sub_theme_by_id: dict[str, Theme] = field(init=False)
    interview_by_id: dict[int, Interview] = field(init=False)

    def __post_init__(self) -> None:
        self.interviews = sorted(self.interviews, key=lambda i: i.id or 0)
        self.quotes = sorted(self.quotes, key=lambda q: (q.interview_id, q.index, q.start, q.id))
        self.themes = sorted(self.themes, key=lambda t: (self.codebook.rank(t.category), t.id))
        self.personas = sorted(self.personas, key=lambda p: (-len(p.interview_ids), p.name.casefold(), p.id))
        self.quote_by_id = {q.id: q for q in self.quotes}
        self.theme_by_id = {t.id: t for t in self.themes}
        self.sub_themes = sorted((t for t in self.sub_themes if t.parent_id in self.theme_by_id), key=lambda t: t.id)
        self.sub_theme_by_id = {t.id: t for t in self.sub_themes}
        self.interview_by_id = {i.id: i for i in self.interviews}

    def participant(self, interview_id: int) -> str:
        i = self.interview_by_id.get(interview_id)
        return participant_name(i) if i else f"interview {interview_id}"

    def participant_key(self, interview_id: int) -> str:
        i = self.interview_by_id.get(interview_id)
        return participant_key(i) if i else f"interview:{interview_id}"

    def nps_score(self, interview_id: int) -> int | None:
        row = self.nps.get(interview_id)
        return None if not row or row.get("score") is None else int(row["score"])


def load_study(store, title: str | None = None, with_segments: bool = True) -> Study:
    """Assemble the study once from the store: interviews, segments, quotes (with edits),
    themes, NPS and personas. `with_segments=False` skips the transcripts (the persona canvas,
    cards and versions never read them)."""
    interviews = store.list_interviews()
    quotes = store.quotes()
    themes = store.themes(quotes)
    return Study(
        title=title or DEFAULT_TITLE,
        interviews=interviews,
        segments={i.id: store.segments(i.id) for i in interviews} if with_segments else {},
        quotes=quotes,
        themes=list(themes),
        sub_themes=list(themes.sub_themes),
        nps=store.nps(),
        nps_to_confirm=store.nps_to_confirm(),
        personas=store.personas(),
        persona_values={v.persona_id: v.to_dict() for v in persona_value_shares(store)},
        metadata_keys=metadata_key_renames(store.current_edits("study")),
        codebook=codebook_mod.load(store),
        stages=journey_mod.load_stages(store),
        guide=_study_guide(store),
        written_texts=written_texts(store.current_edits("persona")),
    )


def written_texts(persona_edits: dict[str, dict[str, Any]]) -> set[tuple[str, str]]:
    """(persona id, field) of every section text a researcher set (an edit of `fields.<f>.text`).

    >>> sorted(written_texts({"p1": {"fields.goals.text": "Grow", "name": "Owner"}, "u_2": {"fields.fears.quote_ids": []}}))
    [('p1', 'goals')]
    """
    return {(pid, key.split(".")[1]) for pid, e in persona_edits.items() for key in e
            if key.startswith("fields.") and key.endswith(".text")}


def _study_guide(store) -> Guide | None:
    """The study's guide; None when its file was hand-edited into something that does not parse
    (the report still renders; the Journey map page and `interview-miner guide` name the line)."""
    try:
        return guide_mod.load(store)
    except codebook_mod.CodebookFileError:
        return None


# ---------------------------------------------------------------------------------------------
# The report's content, as plain data
# ---------------------------------------------------------------------------------------------


def quote_view(study: Study, q: Quote) -> dict[str, Any]:
    return {
        "id": q.id, "text": q.text, "participant": study.participant(q.interview_id),
        "interview_id": q.interview_id, "timestamp": clock(q.start),
        "file_name": study.interview_by_id[q.interview_id].file_name if q.interview_id in study.interview_by_id else "",
        "starred": q.starred, "category": q.category or "", "lang": _lang_tag(_interview_language(study, q)),
        "dir": text_direction(_interview_language(study, q)),
        "theme_id": q.theme_id if q.theme_id in study.theme_by_id else None,
        "sub_theme_id": q.sub_theme_id if q.sub_theme_id in study.sub_theme_by_id else None,
    }


def nps_view(study: Study, interview_ids: list[int] | None = None) -> dict[str, Any]:
    """The scores with the words they stand on. `not_in_words` marks a score the quote's words do
    not state (Whisper misheard the number: it was heard again in the audio, or set by the
    researcher after listening), so a reader does not take "Definitely attend." for a 10;
    `unscored` lists who answered the recommendation question without a score, and where to
    listen."""
    from ..nps import disagreement, parse_score
    from ..nps_audio import where_to_listen
    from ..vocab import digits_for_number_words

    ids = [i.id for i in study.interviews] if interview_ids is None else sorted(interview_ids)
    rows, unscored = [], []
    conflicts = disagreement(study.quotes, {i.id for i in study.interviews if i.kind == "audio"})  # neither was taken
    language = {i.id: i.language for i in study.interviews}
    for iid in ids:
        score = study.nps_score(iid)
        if score is None:
            heard = study.nps_to_confirm.get(iid) or {}
            at = heard.get("listen_at", where_to_listen(study.quotes, iid))
            if at is not None:
                conflict = conflicts.get(iid)
                read = f"The answer reads {conflict[0]}, the interviewer says back {conflict[1]}" if conflict else "No score read"
                unscored.append({"participant": study.participant(iid), "interview_id": iid, "listen_at": clock(at),
                                 "suggested": heard.get("suggested"),
                                 "why": ((read if conflict else "No score read or heard") if heard.get("suggested") is None else
                                         f"{read}; the audio suggests {heard['suggested']} (not confirmed)")})
            continue
        row = study.nps.get(iid, {})
        q = study.quote_by_id.get(row.get("quote_id") or "")
        rows.append({
            "participant": study.participant(iid), "interview_id": iid, "score": score,
            "klass": row.get("klass") or "", "quote": quote_view(study, q) if q else None,
            # read as mining reads it: "嗯，大概七分吧。" and "Ti, helt klart." state their scores
            "not_in_words": q is not None and parse_score(digits_for_number_words(q.text, language.get(iid))) != score,
        })
    b = nps_breakdown([r["score"] for r in rows])
    n = b["n"] or 1
    b["pct"] = {k: round(100 * b[k] / n) for k in ("promoters", "passives", "detractors")}
    b["rows"] = rows
    b["unscored"] = unscored
    wanted = set(ids)
    b["reasons"] = [t for t in theme_views(study, interview_ids=wanted) if t["category"] == "nps_reason"]
    return b


def theme_views(study: Study, interview_ids: set[int] | None = None) -> list[dict[str, Any]]:
    """Top-level themes with participant/quote counts (within `interview_ids` when given), most
    voiced first inside each category, each with its sub-themes (most voiced first) under
    "sub_themes"."""
    subs: dict[str, list[Theme]] = defaultdict(list)
    for s in study.sub_themes:
        subs[s.parent_id or ""].append(s)
    out = []
    for t in study.themes:
        view = _theme_view(study, t, interview_ids, QUOTES_PER_THEME_IN_REPORT)
        if view is None:
            continue
        sub_views = [v for v in (_theme_view(study, s, interview_ids, QUOTES_PER_SUB_THEME_IN_REPORT + 1)
                                 for s in subs[t.id]) if v is not None]
        if sub_views:
            view["quotes"] = view["quotes"][:1]
            shown = {_words_key(q["text"]) for q in view["quotes"]}
            for v in sub_views:
                v["quotes"] = [q for q in v["quotes"] if _words_key(q["text"]) not in shown][:QUOTES_PER_SUB_THEME_IN_REPORT]
            sub_views.sort(key=_most_voiced)
        view["sub_themes"] = sub_views
        out.append(view)
    out.sort(key=lambda t: (study.codebook.rank(t["category"]), *_most_voiced(t)))
    return out


def _most_voiced(t: dict[str, Any]) -> tuple:
    return -t["n_participants"], -t["n_quotes"], t["label"].casefold(), t["id"]


def _theme_view(study: Study, t: Theme, interview_ids: set[int] | None, n_quotes: int) -> dict[str, Any] | None:
    """One theme (either level) as the report shows it; None when none of its quotes is from
    `interview_ids`."""
    qs = [study.quote_by_id[qid] for qid in t.quote_ids if qid in study.quote_by_id]
    if interview_ids is not None:
        qs = [q for q in qs if q.interview_id in interview_ids]
        if not qs:
            return None
    people = {study.participant_key(q.interview_id) for q in qs}
    rep = study.quote_by_id.get(t.representative_quote_id or "")
    ordered = ([rep] if rep in qs else []) + [q for q in _one_per_person(study, qs) if q is not rep]
    return {
        "id": t.id, "category": t.category, "label": t.label, "keywords": list(t.keywords),
        "parent_id": t.parent_id, "n_participants": len(people), "n_quotes": len(qs),
        "quotes": [quote_view(study, q) for q in _distinct_words(ordered)[:n_quotes]],
    }


def _distinct_words(quotes: list[Quote], shown: set[str] | None = None) -> list[Quote]:
    """Quotes whose words differ (case, spacing and end punctuation aside) from every one before
    them and from `shown`: two participants saying "It wasn't the first time, either." is one
    example in a report, not two."""
    seen = set(shown or ())
    out = []
    for q in quotes:
        key = _words_key(q.text)
        if key not in seen:
            seen.add(key)
            out.append(q)
    return out


def _words_key(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(".!?…")


def _one_per_person(study: Study, qs: list[Quote]) -> list[Quote]:
    """Quotes reordered so the first ones come from different participants."""
    seen: dict[str, int] = defaultdict(int)
    ranked = []
    for q in qs:
        key = study.participant_key(q.interview_id)
        ranked.append((seen[key], q.interview_id, q.index, q.id, q))
        seen[key] += 1
    return [r[-1] for r in sorted(ranked, key=lambda r: r[:4])]


def persona_view(study: Study, p: Persona) -> dict[str, Any]:
    members = [i for i in sorted(p.interview_ids) if i in study.interview_by_id]
    people = list(dict.fromkeys(study.participant(i) for i in members))
    n = len({study.participant_key(i) for i in members})
    member_set = set(members)
    # A theme's quotes are shown once per persona, under its most specific field ("Triggers"
    # rather than "Frustrations"); elsewhere the claim points there instead of repeating them.
    home: dict[str, str] = {}
    for fname in sorted(PERSONA_FIELDS, key=lambda f: f in SUMMARY_FIELDS):
        for tid in (p.fields.get(fname) or PersonaField()).theme_ids:
            home.setdefault(tid, fname)
    fields = []
    for fname in PERSONA_FIELDS:
        f = p.fields.get(fname) or PersonaField()
        quotes = [study.quote_by_id[q] for q in f.quote_ids if q in study.quote_by_id]
        claims = []
        placed: set[str] = set()
        for tid in f.theme_ids:
            t = study.theme_by_id.get(tid)
            if t is None:
                continue
            voiced = {study.participant_key(study.quote_by_id[q].interview_id) for q in t.quote_ids
                      if q in study.quote_by_id and study.quote_by_id[q].interview_id in member_set}
            mine = [q for q in quotes if q.theme_id == tid]
            placed.update(q.id for q in mine)
            elsewhere = home.get(tid, fname) != fname
            claims.append({"theme_id": tid, "label": t.label, "count": len(voiced), "of": n,
                           "quotes": [] if elsewhere else [quote_view(study, q) for q in mine],
                           "see": FIELD_TITLES.get(home[tid], home[tid]) if elsewhere and mine else ""})
        other = [quote_view(study, q) for q in quotes if q.id not in placed]
        if not (f.text or claims or other):
            continue
        if other and all(q["category"] == "nps_score" for q in other):
            other_title = "Scores given"
        elif other and not any(q["theme_id"] for q in other):
            other_title = "Unthemed quotes"
        else:
            other_title = "Other evidence"
        written = study.written_texts is None or (p.id, fname) in study.written_texts
        fields.append({
            "key": fname, "title": FIELD_TITLES.get(fname, fname.capitalize()), "text": f.text,
            # what the reports print above the claims: the researcher's text, or the machine's
            # only where no claim or quote says it (an empty field's plain statement)
            "summary": f.text if written or not (claims or other) else "",
            "n_participants": f.n_participants, "of": n, "claims": claims, "other_quotes": other,
            "other_title": other_title,
        })
    said = role_in_their_words(study, members) if p.role else []
    return {
        "id": p.id, "name": p.name, "role": p.role, "demographics": p.demographics,
        # the line under the name: the role, unless the name already is it (no themes yet: "Owner")
        "role_line": p.role if p.role and p.role.strip().casefold() != (p.name or "").strip().casefold() else "",
        "role_said": said, "role_said_text": "In their words: " + "; ".join(
            f"“{q['text']}” ({q['participant']}, {q['timestamp']})" for q in said[:3])
        + (f" (and {len(said) - 3} more)" if len(said) > 3 else "") if said else "",
        "description": p.description, "avatar": p.avatar if _safe_avatar(p.avatar) else None,
        "n_participants": n, "participants": people, "interview_ids": members,
        "fields": fields, "nps": nps_view(study, members) if members else None,
    }


def role_in_their_words(study: Study, members: list[int]) -> list[dict[str, Any]]:
    """Where members whose details name no role said the job they do ("I'm the office manager at
    ..."), which the persona's role is built from: a role nobody typed in is shown with its
    evidence, like every other claim of the report."""
    from ..persona_grouping import participants_of

    member_set = set(members)
    interviews = [study.interview_by_id[i] for i in members]
    quotes = [q for q in study.quotes if q.interview_id in member_set]
    return [quote_view(study, study.quote_by_id[p.said_role_quote]) for p in participants_of(interviews, quotes)
            if p.said_role_quote in study.quote_by_id]


def _safe_avatar(avatar: str | None) -> bool:
    """Only inline raster images: a report must load nothing from elsewhere."""
    return bool(avatar) and avatar.startswith(("data:image/png;base64,", "data:image/jpeg;base64,",
                                               "data:image/gif;base64,", "data:image/webp;base64,"))


_LANG_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def _lang_tag(code: str | None) -> str | None:
    """A BCP 47 tag as HTML `lang` and PDF /Lang want it, or None (Whisper gives "en", "de"...)."""
    code = (code or "").strip().replace("_", "-")
    return code if _LANG_TAG.match(code) else None


def _interview_language(study: Study, q: Quote) -> str | None:
    i = study.interview_by_id.get(q.interview_id)
    return i.language if i else None


def report_language(study: Study, default: str = "en") -> str:
    """The language most of the study's interviews are in (ties: the first interview's), else
    `default`: what screen readers pronounce the report in. Quotes in another language carry their own."""
    tags = [t for t in (_lang_tag(i.language) for i in study.interviews) if t]
    return max(dict.fromkeys(tags), key=tags.count) if tags else default


def counted(n: int, word: str, plural: str | None = None) -> str:
    """ "1 persona", "2 personas": a count with its noun, for report sentences.

    >>> counted(1, "persona"), counted(0, "theme"), counted(3, "sub-theme")
    ('1 persona', '0 themes', '3 sub-themes')
    """
    return f"{n} {word if n == 1 else plural or word + 's'}"


def summary_line(summary: dict[str, Any], nps: dict[str, Any]) -> str:
    """The report's one-sentence summary of the study (Markdown and PDF reports alike).

    >>> summary_line({"n_interviews": 1, "n_participants": 1, "minutes": 1, "n_quotes": 1, "n_themed": 1,
    ...               "n_unthemed": 0, "n_themes": 1, "n_sub_themes": 0, "n_personas": 1}, {"n": 0})
    '1 interview with 1 participant, 1 minute of conversation: 1 quote (1 themed, 0 unthemed), 1 theme, 1 persona.'
    """
    s = summary
    return (f"{counted(s['n_interviews'], 'interview')} with {counted(s['n_participants'], 'participant')}"
            + (f", {counted(s['minutes'], 'minute')} of conversation" if s["minutes"] else "")
            + f": {counted(s['n_quotes'], 'quote')} ({s['n_themed']} themed, {s['n_unthemed']} unthemed), "
            + counted(s["n_themes"], "theme")
            + (f" ({counted(s['n_sub_themes'], 'sub-theme')})" if s.get("n_sub_themes") else "")
            + f", {counted(s['n_personas'], 'persona')}"
            + (f", NPS {nps['nps']:+d} ({nps['n']} scored)" if nps.get("n") else "") + ".")


def report_context(study: Study) -> dict[str, Any]:
    """What a report shows, in order. Templates only lay this out."""
    themes = theme_views(study)
    by_cat: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in themes:
        by_cat[t["category"]].append(t)
    quotes_per_cat: dict[str, int] = defaultdict(int)
    unthemed_per_cat: dict[str, int] = defaultdict(int)
    for q in study.quotes:
        cat = q.category or "uncategorised"
        quotes_per_cat[cat] += 1
        if not q.theme_id or q.theme_id not in study.theme_by_id:
            unthemed_per_cat[cat] += 1
    cats = sorted(set(quotes_per_cat) | set(by_cat), key=lambda c: (study.codebook.rank(c), c))
    categories = [{
        "key": c, "title": study.codebook.title(c),
        "n_quotes": quotes_per_cat.get(c, 0), "n_unthemed": unthemed_per_cat.get(c, 0),
        "themes": by_cat.get(c, []),
    } for c in cats]
    n_unthemed = sum(unthemed_per_cat.values())
    participants = {study.participant_key(i.id) for i in study.interviews}
    interviews = []
    for i in study.interviews:
        n_q = sum(1 for q in study.quotes if q.interview_id == i.id)
        interviews.append({
            "id": i.id, "participant": participant_name(i), "file_name": i.file_name,
            "duration": clock(i.duration) if i.duration else "", "n_quotes": n_q,
            "nps": study.nps_score(i.id), "status": i.status,
        })
    summary = {
        "n_interviews": len(study.interviews), "n_participants": len(participants),
        "n_quotes": len(study.quotes), "n_themed": len(study.quotes) - n_unthemed,
        "n_unthemed": n_unthemed, "n_themes": len(study.themes), "n_sub_themes": len(study.sub_themes),
        "n_personas": len(study.personas),
        "minutes": round(sum(i.duration or 0 for i in study.interviews) / 60),
    }
    nps = nps_view(study)
    summary["line"] = summary_line(summary, nps)
    return {
        "title": study.title,
        "lang": report_language(study),
        "dir": text_direction(report_language(study)),  # rtl for Arabic, Hebrew, ...
        "generated_by": GENERATED_BY,
        "summary": summary,
        "nps": nps,
        "personas": [persona_view(study, p) for p in study.personas],
        "categories": categories,
        "interviews": interviews,
        "method": method_context(study),
    }
