"""Personas: participants grouped by what they said (theme profile) plus who they are (metadata),
each persona backed by the quotes of its members.

Two layers, kept apart on purpose:
- `suggest_personas(...)` is a pure function over dataclasses (no store, no I/O): same input, same
  personas, byte for byte.
- The store-level operations the CLI and the Streamlit app call (`suggest_and_save`,
  `create_persona`, `set_field`, ...) live in `persona_review.py`. Every researcher change is one
  field-level edit (`overlay.Edit.persona`), so re-suggesting never loses an edit and two tabs
  editing different fields never overwrite each other.

How grouping works: each participant becomes a vector with one block per category (the themes they
voiced, TF-IDF weighted so a theme everybody voiced counts for nothing, each block normalised so a
category with many themes does not dominate), one block for their NPS class, and, at half weight,
words from role/company metadata. Participants are grouped by average-linkage agglomerative
clustering on cosine distance for every k in 2..min(6, n/2). Small sparse samples have sizeable
silhouettes even without structure, so each k is compared with the same data with every feature
shuffled across participants (19 seeded copies): the fewest groups within 10% of the best
silhouette gain over the shuffled data win, and only if that gain beats the shuffled copies'
(permutation p <= 0.1). Otherwise, and below four participants, one persona is suggested.

Measured on the labelled dev corpus (6 interviews, 2 latent personas): ARI 1.0 with ground-truth
themes, with or without metadata, and 1.0 end to end on the miner's own themes; on synthetic
studies without structure one persona is suggested 75-100% of the time (n = 4..30).
"""
from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .labels import CATEGORY_LEADS
from .languages import Phrases, phrases, written_language
from .models import PERSONA_FIELDS, Interview, Persona, PersonaField, Quote, Theme
from .vocab import STOP_WORDS, nps_breakdown, participant_key, participant_name

# Which quote categories feed which persona field.
FIELD_CATEGORIES: dict[str, tuple[str, ...]] = {
    "goals": ("outcome",),
    "frustrations": ("trigger", "objection"),
    "triggers": ("trigger",),
    "criteria": ("criteria",),
    "fears": ("fear",),
    "objections": ("objection",),
    "alternatives": ("alternatives",),
    "channels": ("channel",),
    "usage": ("usage",),
    "nps": ("nps_score", "nps_reason"),
}
# The app's and reports' field headings (English, the app's language; claims use `languages.phrases`).
FIELD_TITLES: dict[str, str] = dict(phrases("en").get("field_titles"))
# Top-level persona attributes a researcher can set (besides the PERSONA_FIELDS texts).
PERSONA_ATTRIBUTES = ("name", "role", "demographics", "description", "avatar")

# Categories that describe *who* someone is in the profile; `other` is background chatter and
# `nps_score` themes are replaced by the NPS class itself (more reliable than clustered "a nine"s).
PROFILE_EXCLUDED = frozenset({"other", "nps_score"})
META_WEIGHT = 0.5  # metadata words, relative to the (unit-norm) theme profile
MIN_SILHOUETTE = 0.1  # below this, the "groups" are noise whatever the null says
N_NULL = 19  # shuffled copies of the profiles that a grouping is tested against
PARSIMONY = 0.1  # a larger k must beat a smaller one's silhouette gap by more than 10%
ALPHA = 0.1  # largest permutation p-value at which groups are still suggested
MAX_GROUPS = 6
MAX_TEXT_THEMES = 5  # themes named in a field's summary text
QUOTES_PER_THEME = 3  # supporting quotes kept per theme in a field

ROLE_KEYS = ("role", "title", "job_title", "job", "position")
SEGMENT_KEYS = ("organisation", "organization", "company_type", "company_size", "size", "team_size",
                "segment", "industry", "sector", "plan")
# Metadata written by the pipeline itself (not about the person): never shown as demographics.
TECHNICAL_META = frozenset({"channels", "codec", "speaker_names", "times_estimated", "sample_rate",
                            "bit_rate", "format", "duration", "name", "participant", "email"})
_NPS_POSITION = {"promoter": (1.0, 0.0), "passive": (1.0, 1.0), "detractor": (0.0, 1.0)}
# Categories a persona's name may come from, most telling first.
_NAME_CATEGORIES = ("trigger", "fear", "objection", "outcome", "criteria", "usage", "alternatives", "channel")
_CONNECTORS = {
    "trigger": "driven by", "fear": "worried about", "objection": "put off by",
    "outcome": "wanting", "criteria": "who weighs", "nps_reason": "citing", "usage": "who relies on",
    "alternatives": "comparing", "channel": "who came via",
}


# ---------------------------------------------------------------------------------------------
# Participants and their profiles
# ---------------------------------------------------------------------------------------------


@dataclass
class Participant:
    """One person: usually one interview; several when the same participant name recurs."""

    key: str
    name: str
    interview_ids: list[int] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


def participants_of(interviews: Iterable[Interview], quotes: Iterable[Quote]) -> list[Participant]:
    """Participants who have at least one quote (an unmined interview cannot be profiled)."""
    with_quotes = {q.interview_id for q in quotes}
    out: dict[str, Participant] = {}
    for i in sorted(interviews, key=lambda i: i.id or 0):
        if i.id not in with_quotes:
            continue
        key = participant_key(i)
        p = out.setdefault(key, Participant(key, participant_name(i)))
        p.interview_ids.append(int(i.id))
        for k, v in (i.metadata or {}).items():
            if _is_person_meta(k, v):
                p.metadata.setdefault(k, v)
    return list(out.values())


def _is_person_meta(key: str, value: Any) -> bool:
    return (key.casefold() not in TECHNICAL_META and isinstance(value, (str, int, float))
            and not isinstance(value, bool) and str(value).strip() != "")


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z][a-z'\-]+", str(text).casefold()) if w not in STOP_WORDS]


def profile_matrix(
    participants: Sequence[Participant],
    quotes: Sequence[Quote],
    themes: Sequence[Theme],
    nps: dict[int, dict[str, Any]],
    meta_weight: float = META_WEIGHT,
) -> np.ndarray:
    """One unit-norm row per participant (all zeros when nothing distinguishes them)."""
    n = len(participants)
    owner = {iid: idx for idx, p in enumerate(participants) for iid in p.interview_ids}
    theme_cat = {t.id: t.category for t in themes if t.category not in PROFILE_EXCLUDED}
    # blocks: category -> feature -> per-participant counts
    blocks: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for q in quotes:
        idx = owner.get(q.interview_id)
        if idx is None or q.theme_id not in theme_cat:
            continue
        feats = blocks[theme_cat[q.theme_id]]
        feats.setdefault(q.theme_id, np.zeros(n))[idx] += 1
    parts = [_tfidf_block(blocks[c]) for c in sorted(blocks)]
    # NPS class as one more block, ordinal rather than one-hot: a passive sits between a promoter
    # and a detractor (cosine 0.71 to each), promoter and detractor are opposite (cosine 0).
    nps_block = np.zeros((n, 2))
    for idx, p in enumerate(participants):
        scored = [nps[i] for i in p.interview_ids if i in nps and nps[i].get("klass")]
        if scored:
            nps_block[idx] = _NPS_POSITION.get(scored[-1]["klass"], (0.0, 0.0))
    if np.count_nonzero(nps_block) and len({tuple(r) for r in nps_block}) > 1:
        parts.append(_normalize_rows(nps_block))
    theme_part = _normalize_rows(np.hstack(parts)) if parts else np.zeros((n, 0))
    meta: dict[str, np.ndarray] = {}
    for idx, p in enumerate(participants):
        for key, value in p.metadata.items():
            if key.casefold() in ROLE_KEYS + SEGMENT_KEYS:
                for w in set(_words(value)):
                    meta.setdefault(f"{key.casefold()}:{w}", np.zeros(n))[idx] = 1
    meta_part = _normalize_rows(_tfidf_block(meta)) * meta_weight if meta else np.zeros((n, 0))
    return _normalize_rows(np.hstack([theme_part, meta_part]))


def _tfidf_block(features: dict[str, np.ndarray]) -> np.ndarray:
    if not features:
        return np.zeros((0, 0))
    cols = []
    for name in sorted(features):
        counts = features[name]
        n = len(counts)
        df = int((counts > 0).sum())
        idf = math.log(n / df) if df else 0.0
        cols.append(np.where(counts > 0, 1 + np.log(np.maximum(counts, 1)), 0.0) * idf)
    return _normalize_rows(np.column_stack(cols))


def _normalize_rows(m: np.ndarray) -> np.ndarray:
    if m.size == 0:
        return m
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)


def cosine_distances(x: np.ndarray) -> np.ndarray:
    """1 - cosine similarity; an all-zero profile is at distance 1 from everything but itself."""
    n = len(x)
    d = np.ones((n, n)) if x.size == 0 else np.clip(1.0 - x @ x.T, 0.0, 2.0)
    zero = ~np.any(x != 0, axis=1) if x.size else np.ones(n, dtype=bool)
    d[zero, :] = 1.0
    d[:, zero] = 1.0
    np.fill_diagonal(d, 0.0)
    return np.round(d, 12)  # tiny float noise must not flip merge order between machines


def group_participants(
    x: np.ndarray,
    max_groups: int = MAX_GROUPS,
    min_silhouette: float = MIN_SILHOUETTE,
    n_null: int = N_NULL,
    alpha: float = ALPHA,
) -> tuple[list[int], dict[int, dict[str, float]]]:
    """Cluster labels (0..k-1, larger groups first) and, per k tried, the silhouette, the mean
    silhouette of `n_null` shuffled copies of the data and the gap between them.

    Silhouettes of small, sparse samples are high even without any structure, so every k is
    measured against copies with each feature permuted across participants (same theme
    frequencies, no co-occurrence). The chosen k is the fewest groups within PARSIMONY of the
    best gap; it is kept only if its silhouette is at least `min_silhouette` and its gap beats
    the best gap of the shuffled copies with permutation p <= `alpha` (the null takes the best
    over all k too, so trying six k's is no free lottery). Seeded: deterministic.
    """
    n = len(x)
    one = [0] * n
    k_max = min(max_groups, n // 2)
    if k_max < 2 or x.size == 0 or np.count_nonzero(np.any(x != 0, axis=1)) < 2:
        return one, {}
    ks = range(2, k_max + 1)
    observed = _silhouettes(cosine_distances(x), ks)
    rng = np.random.default_rng(0)
    null_runs: list[dict[int, float]] = []
    for _ in range(n_null):
        shuffled = _normalize_rows(np.column_stack([rng.permutation(col) for col in x.T]))
        null_runs.append({k: s for k, (s, _) in _silhouettes(cosine_distances(shuffled), ks).items()})
    mean = {k: float(np.mean([r[k] for r in null_runs if k in r] or [0.0])) for k in ks}
    gap = {k: s - mean[k] for k, (s, _) in observed.items()}
    scores = {k: {"silhouette": s, "null_mean": round(mean[k], 6), "gap": round(gap[k], 6)}
              for k, (s, _) in observed.items()}
    if not gap:
        return one, scores
    # Parsimony: the fewest groups whose gap is within PARSIMONY of the best gap (more groups
    # always fit a little better; a persona should be clearly distinct to exist).
    top = max(gap.values())
    best_k = min(k for k in gap if gap[k] >= top - PARSIMONY * abs(top))
    # The statistic is the best gap over every k, so the null is too (no multiple-k bonus).
    null_best = [max((r[k] - mean[k] for k in r), default=-1.0) for r in null_runs]
    exceed = sum(1 for t in null_best if t >= gap[best_k])
    p_value = (exceed + 1) / (n_null + 1)
    scores[best_k]["p_value"] = round(p_value, 4)
    if observed[best_k][0] < min_silhouette or p_value > alpha:
        return one, scores
    return _canonical(observed[best_k][1]), scores


def _silhouettes(d: np.ndarray, ks: Iterable[int]) -> dict[int, tuple[float, list[int]]]:
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_score

    out = {}
    for k in ks:
        labels = AgglomerativeClustering(n_clusters=k, metric="precomputed", linkage="average").fit_predict(d)
        if 1 < len(set(labels)) < len(labels):
            out[k] = (round(float(silhouette_score(d, labels, metric="precomputed")), 6), list(labels))
    return out


def _canonical(labels: Sequence[int]) -> list[int]:
    """Relabel so that larger groups come first, ties by first member: deterministic ids."""
    members: dict[int, list[int]] = defaultdict(list)
    for i, lab in enumerate(labels):
        members[lab].append(i)
    order = sorted(members, key=lambda lab: (-len(members[lab]), members[lab][0]))
    rank = {lab: r for r, lab in enumerate(order)}
    return [rank[lab] for lab in labels]


# ---------------------------------------------------------------------------------------------
# Suggesting personas
# ---------------------------------------------------------------------------------------------


def suggest_personas(
    interviews: Sequence[Interview],
    quotes: Sequence[Quote],
    themes: Sequence[Theme],
    nps: dict[int, dict[str, Any]] | None = None,
    *,
    max_groups: int = MAX_GROUPS,
    previous: Sequence[Persona] | None = None,
    meta_weight: float = META_WEIGHT,
    language: str | None = None,
) -> list[Persona]:
    """Group participants into personas, each with every PERSONA_FIELDS field filled from the
    themes and quotes of its members. Deterministic.

    `previous`: personas already saved; a new group that overlaps an old machine persona
    (Jaccard >= 0.5 on interview ids) keeps its id, so researcher edits keyed by that id survive
    re-suggesting after interviews are added or re-mined. `language`: the study's language setting;
    claims and names are written in it (`languages.written_language`: else the interviews' own),
    around the participants' untranslated words.

    >>> suggest_personas([], [], [], {})
    []
    """
    nps = nps or {}
    participants = participants_of(interviews, quotes)
    if not participants:
        return []
    x = profile_matrix(participants, quotes, themes, nps, meta_weight)
    labels, _ = group_participants(x, max_groups=max_groups)
    groups: dict[int, list[Participant]] = defaultdict(list)
    for p, lab in zip(participants, labels):
        groups[lab].append(p)
    ctx = _Context(participants, quotes, themes, nps,
                   phrases(written_language((i.language for i in interviews), language)))
    personas = [_build_persona(ctx, groups[lab], letter=chr(ord("A") + lab)) for lab in sorted(groups)]
    _dedupe_names(personas)
    _assign_ids(personas, previous or [])
    return personas


def persona_id(interview_ids: Iterable[int]) -> str:
    """Content key of a machine persona: the sorted ids of its interviews."""
    key = ",".join(str(i) for i in sorted(int(i) for i in interview_ids))
    return "p_" + hashlib.sha1(key.encode()).hexdigest()[:10]


def _assign_ids(personas: list[Persona], previous: Sequence[Persona]) -> None:
    old = [p for p in previous if p.id.startswith("p_")]
    used: set[str] = set()
    for p in personas:
        own = persona_id(p.interview_ids)
        if any(o.id == own for o in old):
            p.id = own
            used.add(own)
    for p in personas:
        if p.id:
            continue
        mine = set(p.interview_ids)
        best, best_j = None, 0.5
        for o in sorted(old, key=lambda o: o.id):
            if o.id in used:
                continue
            theirs = set(o.interview_ids)
            j = len(mine & theirs) / len(mine | theirs) if mine | theirs else 0.0
            if j > best_j or (j == best_j and best is None):
                best, best_j = o, j
        p.id = best.id if best else persona_id(p.interview_ids)
        used.add(p.id)


class _Context:
    """What every persona of one suggestion shares: lookups and study-wide theme shares."""

    def __init__(self, participants, quotes, themes, nps, ph: Phrases):
        self.ph = ph  # the wording claims and names are written in
        self.participants = participants
        self.n_total = len(participants)
        self.owner = {iid: p.key for p in participants for iid in p.interview_ids}
        self.quotes = [q for q in quotes if q.interview_id in self.owner]
        self.quote_by_id = {q.id: q for q in self.quotes}
        self.themes = {t.id: t for t in themes}
        self.nps = nps
        voiced: dict[str, set[str]] = defaultdict(set)
        for q in self.quotes:
            if q.theme_id in self.themes:
                voiced[q.theme_id].add(self.owner[q.interview_id])
        self.voiced = voiced  # theme id -> participant keys, study-wide


def _build_persona(ctx: _Context, members: list[Participant], letter: str) -> Persona:
    keys = {p.key for p in members}
    n = len(members)
    quotes = [q for q in ctx.quotes if ctx.owner[q.interview_id] in keys]
    interview_ids = sorted(i for p in members for i in p.interview_ids)

    def share_out(tid: str) -> float:
        others = ctx.n_total - n
        return len(ctx.voiced[tid] - keys) / others if others else 0.0

    fields: dict[str, PersonaField] = {}
    ranked: dict[str, list[tuple[str, int]]] = {}
    for fname in PERSONA_FIELDS:
        cats = FIELD_CATEGORIES[fname]
        fq = [q for q in quotes if q.category in cats]
        by_theme: dict[str, list[Quote]] = defaultdict(list)
        unthemed: list[Quote] = []
        for q in fq:
            t = ctx.themes.get(q.theme_id) if q.theme_id else None
            if t is not None and t.category in cats and t.category != "nps_score":
                by_theme[t.id].append(q)
            elif q.category != "nps_score":
                unthemed.append(q)
        counts = {tid: len({ctx.owner[q.interview_id] for q in qs}) for tid, qs in by_theme.items()}
        order = sorted(by_theme, key=lambda t: (-counts[t], -(counts[t] / n - share_out(t)),
                                                ctx.themes[t].label.casefold(), t))
        ranked[fname] = [(t, counts[t]) for t in order]
        strongest = {t: _strongest(by_theme[t], ctx.themes[t], ctx.owner, QUOTES_PER_THEME) for t in order}
        quote_ids = [q.id for t in order for q in strongest[t]]
        voicing = {ctx.owner[q.interview_id] for t in order for q in by_theme[t]}
        claims = [_claim(ctx.ph, ctx.themes[t].label, counts[t], n, strongest[t]) for t in order[:MAX_TEXT_THEMES]]
        if len(order) > MAX_TEXT_THEMES:
            claims.append(ctx.ph.plural("more_themes", len(order) - MAX_TEXT_THEMES, m=len(order) - MAX_TEXT_THEMES))
        text = ctx.ph.get("sentence_sep").join(claims) if claims else _no_claim(ctx.ph, fname, bool(fq or unthemed))
        if fname == "nps":
            text, score_qids, voicing = _nps_summary(ctx, members, claims)
            quote_ids = score_qids + quote_ids
        fields[fname] = PersonaField(text=text, quote_ids=quote_ids, theme_ids=list(order),
                                     n_participants=len(voicing))

    role = _role_phrase(members)
    name = _persona_name(ctx, members, keys, role, letter)
    return Persona(
        id="", name=name, role=role, demographics=_demographics(members),
        description=_description(ctx, members, ranked, fields), interview_ids=interview_ids, fields=fields,
    )


def _claim(ph: Phrases, label: str, k: int, n: int, quotes: list[Quote]) -> str:
    """One evidence sentence in the study's language: the theme, how many of the group voiced it
    ("3 af 5 deltagere"), and its strongest quotes in the participants' own words."""
    said = ph.get("quote_sep").join(ph.quote(_one_line(q.text)) for q in quotes)
    count = ph.plural("count", n, k=k)
    return ph.get("claim" if said else "claim_no_quotes").format(label=_sentence_start(label), count=count, quotes=said)


def _no_claim(ph: Phrases, fname: str, spoke: bool) -> str:
    """What an empty field says: plainly, without inventing a claim from unthemed quotes."""
    return ph.get("no_theme" if spoke else "nobody").format(title=ph.field_title_in_text(fname))


def _one_line(text: str) -> str:
    return " ".join(text.split()).rstrip(".。")


def _sentence_start(label: str) -> str:
    label = label.strip()
    return label[:1].upper() + label[1:]


def _strongest(quotes: list[Quote], theme: Theme, owner: dict[int, str], limit: int) -> list[Quote]:
    """Up to `limit` quotes backing a theme: its representative quote first when this group said
    it, then the most confidently categorised quote of each further participant (one voice does
    not make the evidence), then the rest by confidence."""
    ranked = sorted(quotes, key=lambda q: (q.id != theme.representative_quote_id, -(q.confidence or 0.0),
                                           q.interview_id, q.index, q.id))
    out: list[Quote] = []
    seen: set[str] = set()
    for q in ranked:  # one per participant first
        if owner[q.interview_id] not in seen and len(out) < limit:
            out.append(q)
            seen.add(owner[q.interview_id])
    out += [q for q in ranked if q not in out][: max(0, limit - len(out))]
    return out


def _nps_summary(ctx: _Context, members: list[Participant], reason_parts: list[str]):
    scores, qids, voicing = [], [], set()
    for p in members:
        rows = [ctx.nps[i] for i in sorted(p.interview_ids) if i in ctx.nps and ctx.nps[i].get("score") is not None]
        if rows:
            scores.append(int(rows[-1]["score"]))
            voicing.add(p.key)
            if rows[-1].get("quote_id") in ctx.quote_by_id:
                qids.append(rows[-1]["quote_id"])
    ph = ctx.ph
    sep = ph.get("sentence_sep")
    reasons = sep + ph.get("reasons") + sep.join(reason_parts) if reason_parts else ""
    if not scores:
        return ph.get("no_scores") + ph.get("stop") + reasons, qids, voicing
    b = nps_breakdown(scores)
    text = ph.get("nps").format(promoters=b["promoters"], passives=b["passives"], detractors=b["detractors"],
                                nps=f"{b['nps']:+d}", mean=f"{b['mean']:.1f}", k=len(scores), n=len(members))
    return text + reasons, qids, voicing


def _role_words(members: list[Participant], keys: Sequence[str]) -> list[str]:
    """Words present in more than half of the members' values for these metadata keys."""
    values = [next((str(p.metadata[k]) for k in p.metadata if k.casefold() in keys), "") for p in members]
    values = [v for v in values if v]
    if not values:
        return []
    counts = Counter(w for v in values for w in dict.fromkeys(_words(v)))
    common = [w for w, c in counts.items() if c > len(members) / 2]
    order = {w: i for i, w in enumerate(dict.fromkeys(w for v in values for w in _words(v)))}
    return sorted(common, key=lambda w: order[w])


def _role_phrase(members: list[Participant]) -> str:
    roles = [next((str(p.metadata[k]) for k in p.metadata if k.casefold() in ROLE_KEYS), "") for p in members]
    roles = [r.strip() for r in roles if r.strip()]
    if not roles:
        return ""
    top, count = Counter(roles).most_common(1)[0]
    if count > len(members) / 2:
        return top
    words = _role_words(members, ROLE_KEYS)
    return " ".join(words).capitalize() if words else ""


def _persona_name(ctx, members, keys, role: str, letter: str) -> str:
    """Who they are + the theme that sets this group apart ("Practice manager worried about
    losing patient data"). Who: the role most members share, else the segment words they share
    (company size, industry), else "Customer" - never "Persona A" nor a quote. The theme: among
    themes at least half as distinctive (share inside minus share outside) as the most
    distinctive one, the most telling category wins: a trigger or fear says more about a buyer
    than the channel they came from."""
    n = len(members)
    others = ctx.n_total - n
    scored = []
    for tid, who in ctx.voiced.items():
        t = ctx.themes[tid]
        inside = len(who & keys) / n
        if t.category not in _NAME_CATEGORIES or inside == 0:
            continue
        outside = len(who - keys) / others if others else 0.0
        scored.append((inside - outside, inside, t))
    segment = " ".join(_role_words(members, SEGMENT_KEYS))
    subject = role if role and len(role) <= 40 else (segment.capitalize() if segment and len(segment) <= 40
                                                      else ctx.ph.get("customer"))
    best_d = max((d for d, _, _ in scored), default=0.0)
    pool = [x for x in scored if x[0] > 0 and x[0] >= best_d / 2] or ([] if best_d > 0 else scored)
    if not pool:
        return subject
    _, _, t = min(pool, key=lambda x: (_NAME_CATEGORIES.index(x[2].category), -x[0], -x[1],
                                       x[2].label.casefold(), x[2].id))
    if ctx.ph.language != "en":  # "Klinikejer – Bekymring: tab af patientdata" (no English connectors)
        topic = ctx.ph.topic(t.category)
        label = re.sub(rf"^{re.escape(topic)}\s*[:：]\s*", "", t.label.strip())  # a label already led by its topic
        return ctx.ph.get("name").format(subject=subject, topic=topic, label=label)
    label = _in_sentence(t.label)
    if any(label.casefold().startswith(lead.casefold() + " ") for lead in CATEGORY_LEADS.values()):
        return f"{subject} {label}"  # the label already says how it relates ("worried about ...")
    return f"{subject} {_CONNECTORS[t.category]} {label}"


def _in_sentence(label: str) -> str:
    """A theme label inside running text; keyword-list labels ("price, cost, per seat") are
    quoted so the sentence still parses."""
    text = _lower_first(label)
    return f"“{text}”" if "," in text or ";" in text else text


def _lower_first(label: str) -> str:
    label = label.strip()
    if len(label) > 1 and label[1].isupper():  # acronym: keep "HIPAA", "EHR"
        return label
    return label[:1].lower() + label[1:]


def _dedupe_names(personas: list[Persona]) -> None:
    seen: Counter[str] = Counter(p.name for p in personas)
    for i, p in enumerate(personas):
        if seen[p.name] > 1:
            p.name = f"{p.name} ({chr(ord('A') + i)})"


def _demographics(members: list[Participant]) -> str:
    keys = sorted({k for p in members for k in p.metadata},
                  key=lambda k: (k.casefold() not in ROLE_KEYS, k.casefold() not in SEGMENT_KEYS, k.casefold()))
    parts = []
    for k in keys:
        values = Counter(str(p.metadata[k]).strip() for p in members if k in p.metadata)
        shown = "; ".join(v if c == 1 else f"{v} ({c})" for v, c in sorted(values.items(), key=lambda vc: (-vc[1], vc[0])))
        parts.append(f"{k.replace('_', ' ').capitalize()}: {shown}")
    return " · ".join(parts)


def _description(ctx, members, ranked, fields) -> str:
    """A few lines a stakeholder reads first: the top themes of the telling fields with their
    "k of n", then the NPS summary."""
    n, ph = len(members), ctx.ph
    out = []
    for fname in ("triggers", "criteria", "fears", "objections", "goals"):
        top = [ph.get("item").format(label=_lower_first(ctx.themes[t].label) if ph.get("lower_titles") else ctx.themes[t].label,
                                     k=c, n=n) for t, c in ranked[fname][:2]]
        if top:
            out.append(ph.get("field_line").format(title=ph.field_title(fname), items=ph.get("quote_sep").join(top)))
    nps_text = fields["nps"].text
    if nps_text and not nps_text.startswith(ph.get("no_scores")):
        out.append(nps_text.split(ph.get("sentence_sep") + ph.get("reasons"))[0])
    return ph.get("sentence_sep").join(out) or ph.get("no_themes_yet").format(participants=ph.plural("participants", n))


# ---------------------------------------------------------------------------------------------
# Evaluation against a labelled corpus
# ---------------------------------------------------------------------------------------------


def grouping_scores(personas: Sequence[Persona], truth: dict[int, str]) -> dict[str, float]:
    """Adjusted Rand index and purity of persona membership against true persona labels
    ({interview_id: persona key}); interviews in no persona count as their own group."""
    from sklearn.metrics import adjusted_rand_score

    assigned = {iid: p.id for p in personas for iid in p.interview_ids}
    ids = sorted(truth)
    pred = [assigned.get(i, f"none:{i}") for i in ids]
    gold = [truth[i] for i in ids]
    clusters: dict[str, Counter] = defaultdict(Counter)
    for p, g in zip(pred, gold):
        clusters[p][g] += 1
    purity = sum(c.most_common(1)[0][1] for c in clusters.values()) / len(ids) if ids else 0.0
    return {"ari": round(float(adjusted_rand_score(gold, pred)), 4) if ids else 0.0,
            "purity": round(purity, 4), "n_personas": len(personas)}


def persona_dict(p: Persona) -> dict[str, Any]:
    """The stable JSON shape of a persona (used by `personas --json` and the JSON export)."""
    return {
        "id": p.id, "name": p.name, "role": p.role, "demographics": p.demographics,
        "description": p.description, "interview_ids": sorted(int(i) for i in p.interview_ids),
        "avatar": p.avatar,
        "fields": {f: asdict(p.fields.get(f) or PersonaField()) for f in PERSONA_FIELDS},
    }
