"""Grouping participants into personas: who each participant is (`participants_of`), their theme
profile (`profile_matrix`), the clustering with its test against shuffled data
(`group_participants`), and how a grouping scores against labelled personas (`grouping_scores`).

Separate from the writing of personas (persona_writing.py) because this half is numbers only:
it decides who belongs together and never produces a sentence, so it can be measured and tuned
on its own. `personas.suggest_personas` runs this, then the writing.

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

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .models import Interview, Persona, Quote, Theme
from .vocab import STOP_WORDS, participant_key, participant_name

# Categories that describe *who* someone is in the profile; `other` is background chatter and
# `nps_score` themes are replaced by the NPS class itself (more reliable than clustered "a nine"s).
PROFILE_EXCLUDED = frozenset({"other", "nps_score"})
META_WEIGHT = 0.5  # metadata words, relative to the (unit-norm) theme profile
MIN_SILHOUETTE = 0.1  # below this, the "groups" are noise whatever the null says
N_NULL = 19  # shuffled copies of the profiles that a grouping is tested against
PARSIMONY = 0.1  # a larger k must beat a smaller one's silhouette gap by more than 10%
ALPHA = 0.1  # largest permutation p-value at which groups are still suggested
MAX_GROUPS = 6

# Metadata keys that say who someone is (their role; their company) and so enter the profile;
# persona_writing.py names and describes personas by them too.
ROLE_KEYS = ("role", "title", "job_title", "job", "position")
SEGMENT_KEYS = ("organisation", "organization", "company_type", "company_size", "size", "team_size",
                "segment", "industry", "sector", "plan")
# Metadata written by the pipeline itself (not about the person): never shown as demographics.
TECHNICAL_META = frozenset({"channels", "codec", "tracks", "speaker_names", "times_estimated", "sample_rate",
                            "bit_rate", "format", "duration", "name", "participant", "email"})
_NPS_POSITION = {"promoter": (1.0, 0.0), "passive": (1.0, 1.0), "detractor": (0.0, 1.0)}


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
    said_role: str = ""  # the job they say they do, when the metadata names none (`said_roles`)
    said_role_quote: str | None = None  # the quote that says it


def participants_of(interviews: Iterable[Interview], quotes: Iterable[Quote]) -> list[Participant]:
    """Participants who have at least one quote (an unmined interview cannot be profiled)."""
    interviews, quotes = list(interviews), list(quotes)
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
    _add_said_roles(list(out.values()), quotes, {i.id: i.language for i in interviews})
    return list(out.values())


_I_AM = re.compile(r"\bI(?:'m|’m| am| own| run| founded| started| co-?founded)\b")  # see said_roles


def _add_said_roles(participants: list[Participant], quotes: Iterable[Quote], language: dict) -> None:
    """Fill `said_role` for participants whose metadata names no role, from the first English
    quote in which they state their job ("I'm the office manager at ...")."""
    from .said_roles import said_role

    own = {iid: p for p in participants if not any(k.casefold() in ROLE_KEYS for k in p.metadata)
           for iid in p.interview_ids}
    said: dict[str, list[Quote]] = defaultdict(list)
    for q in sorted(quotes, key=lambda q: (q.interview_id, q.start)):
        p = own.get(q.interview_id)
        if p is not None and (language.get(q.interview_id) or "en")[:2] == "en" and _I_AM.search(q.text):
            said[p.key].append(q)
    for p in participants:
        found = said_role([q.text for q in said[p.key]]) if said.get(p.key) else None
        if found:
            p.said_role, p.said_role_quote = found[0], said[p.key][found[1]].id


def _is_person_meta(key: str, value: Any) -> bool:
    return (key.casefold() not in TECHNICAL_META and isinstance(value, (str, int, float))
            and not isinstance(value, bool) and str(value).strip() != "")


def metadata_words(text: str) -> list[str]:
    """The words of a metadata value (role, company), lower case, stop words dropped."""
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
                for w in set(metadata_words(value)):
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
