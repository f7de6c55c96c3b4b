"""Themes: inside each category, quotes from across interviews clustered into labelled themes,
two levels deep: a reviewable number of top-level themes, each with the finer sub-themes it was
built from.

Public API:
- `build_themes(quotes, vectors, previous=(), nps_scores=None, ...) -> ThemeList`: the stage.
  Quotes carry their category; `vectors` are their unit-length embeddings (row i for quotes[i]);
  `previous` are the themes of the last run, whose ids are reused for the new clusters that match
  them (top-level against top-level, sub-themes against sub-themes), so researcher edits keyed by
  theme id survive. The result is the list of top-level themes (each quote in at most one, as
  before); `result.sub_themes` holds the sub-themes (`parent_id` set; quotes sit in the finest
  level, a parent's quote list is the union of its sub-themes'), `result.all()` both.
- `ThemeOptions`: clustering knobs; none of them is a similarity constant (see 3.).
- `match_ids(new_groups, previous) -> list[str]`: the id matching on its own (`theme_ids.py`).

Method (BERTopic's shape: fine clusters, then topic reduction into a hierarchy):
1. Uncertain words, steadier vectors: a quote the recogniser was unsure of (low mean word
   probability, `Quote.asr_confidence`) leans on the rest of its answer to the same question: its
   vector is blended with the answer's other quotes in proportion to its uncertainty; typed text
   is never moved. A weak prior on purpose: answers usually make several points (in the labelled
   corpora adjacent sentences of a turn share a theme a third of the time), see `_smooth_uncertain`.
2. Fine clusters per category: HDBSCAN (scikit-learn) on the unit vectors, minimum cluster size
   growing with the category (2 for interview-sized data, ~sqrt(n)/4 for thousands), identical
   texts collapsed first, PCA (fixed seed) above `pca_above` quotes.
3. Calibration from THIS corpus: for every member of a fine cluster, its mean similarity to the
   other members ("how close a member is"). An outlier joins the fine cluster it is closest to
   (mean similarity to the members) only when it is at least as close as the `assign_quantile`
   least typical members are; two outliers that close to each other form a small theme of their
   own; otherwise a quote stays unthemed, visible and assignable. A study too small for that
   (under five members in all its fine clusters) reads a level per category from how far a pair of
   two interviews' quotes stands out from the category's other pairs (`toy_study_levels`).
4. Top-level themes: fine clusters are merged by average linkage (exact: the mean similarity of
   two groups' members is the dot product of their mean vectors) while the closest pair is at
   least the `merge_quantile` of the same within-cluster distribution, and always until at most
   `max_top_themes` remain per category, so the board stays reviewable at any corpus size.
5. Context: an unthemed quote continuing a themed neighbour of the same answer joins its theme.
6. `nps_score` quotes are grouped by class (promoter / passive / detractor), not by wording.
7. Labels (`labels.py`): a phrase from the clearest central quotes; keywords (`keywords.py`): c-TF-IDF's
   candidates closest in meaning to the theme.
8. Ids: new clusters are matched to previous themes of the same category by quote overlap
   (Jaccard, Hungarian assignment); unmatched clusters get `t_` + a hash of their sorted quote ids.
Deterministic: inputs are sorted by quote id, seeds are fixed; same input -> same themes.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import keywords as keywords_mod, label_doubts, labels as labels_mod, languages
from . import nps as nps_mod
from .models import Quote, Theme
from .theme_ids import match_ids, new_theme_id  # noqa: F401 - re-exported: themes.match_ids
from .vocab import nps_band



@dataclass
class ThemeOptions:
    min_cluster_size: int | None = None  # fine clusters; None: grows with the category's size
    min_samples: int = 1
    selection: str = "leaf"  # HDBSCAN cluster_selection_method: "leaf" gives the finest clusters
    max_top_themes: int = 20  # top-level themes per category at most, whatever the corpus size
    merge_quantile: float = 0.1  # of within-cluster similarities: how close two groups must be to merge
    assign_quantile: float = 0.01  # of within-cluster similarities: how close an outlier must be to join
    context_weight: float = 0.5  # how far a fully uncertain quote leans on the rest of its answer
    pca_above: int = 1500  # reduce dimensions when a category has more quotes than this
    pca_dims: int = 32
    match_min_jaccard: float = 0.2
    n_keywords: int = 6
    seed: int = 0
    skip_categories: tuple[str, ...] = field(default_factory=tuple)
    context_assign: bool = True
    context_threshold: float = 0.3  # an unthemed quote continuing a themed neighbour joins its theme


class ThemeList(list):
    """The top-level themes (a plain list of `Theme`, as `build_themes` always returned) with the
    sub-themes one level down in `sub_themes`."""

    def __init__(self, themes: Sequence[Theme] = (), sub_themes: Sequence[Theme] = ()):
        super().__init__(themes)
        self.sub_themes: list[Theme] = list(sub_themes)

    def all(self) -> list[Theme]:
        return [*self, *self.sub_themes]


# ---------------------------------------------------------------------------------------------
# Clustering
# ---------------------------------------------------------------------------------------------


def fine_cluster_size(n: int) -> int:
    """HDBSCAN's minimum cluster size for a category of n quotes: 2 while a theme said by two
    people is worth seeing (interview-sized data), then ~sqrt(n)/4 so that 10,000s of quotes give
    hundreds, not thousands, of fine clusters."""
    return max(2, int(round(math.sqrt(max(n, 1)) / 4)))


def _cluster(vecs: np.ndarray, min_size: int, opts: ThemeOptions) -> np.ndarray:
    """Labels (-1 = noise) for unit vectors; handles tiny and duplicate-heavy inputs."""
    n = len(vecs)
    if n == 0:
        return np.zeros(0, dtype=int)
    # Collapse exact (and near-exact) duplicates: HDBSCAN on many identical points is degenerate.
    keys = np.round(vecs, 3)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    counts = np.bincount(inverse)
    uniq = vecs[first]
    m = len(uniq)
    if m <= 2:  # too few distinct points to cluster: a duplicated text is a theme on its own
        lab = np.where(counts >= min_size, np.arange(m), -1)
        return lab[inverse]
    x = uniq
    if m > opts.pca_above:
        from sklearn.decomposition import PCA

        x = PCA(n_components=min(opts.pca_dims, m - 1, x.shape[1]), random_state=opts.seed).fit_transform(x)
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
    from sklearn.cluster import HDBSCAN

    hdb = HDBSCAN(
        min_cluster_size=max(2, min(min_size, m)), min_samples=max(1, min(opts.min_samples, m - 1)),
        cluster_selection_method=opts.selection, metric="euclidean", allow_single_cluster=True, copy=True,
    )
    lab = hdb.fit_predict(x.astype(np.float64))
    # A duplicated text is a cluster of its own even if HDBSCAN saw it as one point.
    nxt = lab.max() + 1
    for u in range(m):
        if lab[u] == -1 and counts[u] >= min_size:
            lab[u] = nxt
            nxt += 1
    return lab[inverse]


def _member_closeness(vecs: np.ndarray, labels: np.ndarray, limit: int = 200) -> np.ndarray:
    """For each member of each cluster: its mean similarity to the other members (up to `limit`
    members sampled per cluster, deterministically, so big corpora stay cheap)."""
    out = []
    for lab in sorted(set(labels.tolist()) - {-1}):
        members = np.where(labels == lab)[0][:limit]
        if len(members) < 2:
            continue
        v = vecs[members]
        sims = v @ v.T
        out.append((sims.sum(axis=1) - np.diag(sims)) / (len(members) - 1))
    return np.concatenate(out) if out else np.zeros(0)


@dataclass
class Calibration:
    """Similarity levels read off this corpus's own fine clusters (see the module docstring)."""

    assign: float  # an outlier this close (mean similarity to a cluster's members) joins it
    merge: float  # two groups this close (mean similarity across their members) merge

    @classmethod
    def from_closeness(cls, closeness: np.ndarray, opts: ThemeOptions) -> Calibration:
        if len(closeness) < 5:  # too few clusters to read a distribution from: nothing joins
            return cls(assign=1.0, merge=1.0)
        return cls(assign=float(np.quantile(closeness, opts.assign_quantile)),
                   merge=float(np.quantile(closeness, opts.merge_quantile)))


MIN_TOY_PAIRS = 6  # pairs of quotes (one category, two interviews) needed to read a stand-out level


def toy_study_levels(fine: dict, quotes: Sequence[Quote]) -> dict[str, Calibration]:
    """Per category, the level at which two quotes of different interviews stand out as one point,
    for a study too small for clusters to calibrate from (a few short interviews: before, nothing
    joined). Within a category, quotes of different interviews mostly make different points; the
    pairs that make one are the outliers above the rest. Each category's pair similarities are
    taken from its own median (answers to one question share words), pooled over the study, and the
    level is Tukey's upper fence of the pool (Q3 + 1.5 IQR) above the category's median: scale-free,
    so it holds for any embedding model. A category with no pairs of two interviews joins nothing."""
    spread, medians = [], {}
    for cat, (idx, vecs, _) in fine.items():
        ivs = np.array([quotes[i].interview_id for i in idx])
        pairs = np.triu(ivs[:, None] != ivs[None, :], 1)
        if pairs.any():
            sims = (vecs @ vecs.T)[pairs]
            medians[cat] = float(np.median(sims))
            spread.append(sims - medians[cat])
    pooled = np.concatenate(spread) if spread else np.zeros(0)
    if len(pooled) < MIN_TOY_PAIRS:
        return {}
    q1, q3 = np.quantile(pooled, [0.25, 0.75])
    fence = q3 + 1.5 * (q3 - q1)
    return {cat: Calibration(assign=min(1.0, m + fence), merge=min(1.0, m + fence)) for cat, m in medians.items()}


def _group_means(vecs: np.ndarray, labels: np.ndarray) -> tuple[list[int], np.ndarray]:
    ids = sorted(set(labels.tolist()) - {-1})
    if not ids:
        return [], np.zeros((0, vecs.shape[1]))
    return ids, np.stack([vecs[labels == t].mean(axis=0) for t in ids])


def _assign_outliers(vecs: np.ndarray, labels: np.ndarray, threshold: float) -> np.ndarray:
    """Noise quotes join the cluster whose members they are closest to on average (the dot
    product with the members' mean vector), when at least `threshold`."""
    labels = labels.copy()
    noise = np.where(labels == -1)[0]
    ids, means = _group_means(vecs, labels)
    if not ids or len(noise) == 0:
        return labels
    sims = vecs[noise] @ means.T
    best = sims.argmax(axis=1)
    for row, i in enumerate(noise):
        if sims[row, best[row]] >= threshold:
            labels[i] = ids[best[row]]
    return labels


def _pair_outliers(vecs: np.ndarray, labels: np.ndarray, threshold: float) -> np.ndarray:
    """Outliers close to each other but to no cluster form small clusters of their own (average
    linkage at the calibrated level). HDBSCAN needs density that a handful of quotes in a
    category never has, so in small studies this is what finds "two people said the same thing"."""
    noise = np.where(labels == -1)[0]
    if len(noise) < 2 or threshold >= 1 or len(noise) > 3000:  # big inputs: HDBSCAN has had its say
        return labels
    from sklearn.cluster import AgglomerativeClustering

    sub = AgglomerativeClustering(
        n_clusters=None, distance_threshold=1.0 - threshold, metric="cosine", linkage="average"
    ).fit_predict(vecs[noise])
    labels = labels.copy()
    nxt = labels.max() + 1
    for lab in sorted(set(sub.tolist())):
        members = noise[sub == lab]
        if len(members) >= 2:
            labels[members] = nxt
            nxt += 1
    return labels


def _relabel(labels: np.ndarray, mapping: dict[int, int]) -> np.ndarray:
    return np.array([mapping.get(int(x), -1) if x >= 0 else -1 for x in labels], dtype=int)


def _assign_to_top(vecs: np.ndarray, labels: np.ndarray, top_of: dict[int, int], threshold: float) -> np.ndarray:
    """Noise quotes join the top-level group they are closest to (mean similarity to its members)
    when at least `threshold`; inside it they go to the nearest fine cluster (finest level)."""
    tops = _relabel(labels, top_of)
    joined = _assign_outliers(vecs, tops, threshold)
    labels = labels.copy()
    for i in np.where((labels == -1) & (joined >= 0))[0]:
        fines = [f for f, t in top_of.items() if t == joined[i]]
        labels[i] = max(fines, key=lambda f: (float(vecs[i] @ vecs[labels == f].mean(axis=0)), -f))
    return labels


def _merge_into_top(vecs: np.ndarray, labels: np.ndarray, threshold: float, max_top: int) -> dict[int, int]:
    """Fine cluster label -> top-level group (one of the fine labels): average-linkage merging of
    whole fine clusters while the closest pair's mean cross-similarity is >= `threshold`, and
    always while more than `max_top` groups remain."""
    ids, means = _group_means(vecs, labels)
    sizes = [int((labels == t).sum()) for t in ids]
    groups = {t: [t] for t in ids}
    mean = dict(zip(ids, means))
    size = dict(zip(ids, sizes))
    alive = list(ids)
    while len(alive) > 1:
        m = np.stack([mean[t] for t in alive])
        sims = m @ m.T
        np.fill_diagonal(sims, -np.inf)
        a, b = np.unravel_index(int(np.argmax(sims)), sims.shape)
        if sims[a, b] < threshold and len(alive) <= max_top:
            break
        ta, tb = alive[a], alive[b]
        keep, gone = min(ta, tb), max(ta, tb)
        mean[keep] = (mean[ta] * size[ta] + mean[tb] * size[tb]) / (size[ta] + size[tb])
        size[keep] = size[ta] + size[tb]
        groups[keep] += groups.pop(gone)
        alive.remove(gone)
    return {f: top for top, fines in groups.items() for f in fines}


def _smooth_uncertain(quotes: Sequence[Quote], idx: list[int], vectors: np.ndarray, weight: float) -> np.ndarray:
    """Vectors of `idx`, each blended with the mean of its answer's other quotes (same interview,
    same question, same category) in proportion to how unsure the recogniser was of its words:
    `weight * (1 - confidence)`: ~0.35 for a sentence heard at 0.3 mean word probability, ~0.1
    for a typical one (0.8), nothing for typed text. Kept small on purpose (measured, dev corpus
    and held-out voiced interviews, tiny.en): same-theme vs different-theme pair separation (ROC
    AUC) is 0.750 raw, 0.728 with this blend, 0.68-0.71 at weight 1-2 or when blending with the
    turn's neighbouring sentences; a quote's own words rank its true theme first as often at confidence
    < 0.7 as at > 0.8. What the small blend buys: a misheard sentence in an answer making one point
    is themed with that point instead of left alone (tests/test_themes_noise.py)."""
    vecs = vectors[idx].astype(np.float64, copy=True)
    if weight <= 0:
        return vecs
    answers: dict[tuple, list[int]] = {}
    for row, i in enumerate(idx):
        answers.setdefault((quotes[i].interview_id, quotes[i].question), []).append(row)
    for rows in answers.values():
        if len(rows) < 2:
            continue
        total = vecs[rows].sum(axis=0)
        for r in rows:
            conf = quotes[idx[r]].asr_confidence
            w = weight * (1.0 - min(1.0, max(0.0, conf))) if conf is not None else 0.0
            if w > 0:
                others = (total - vectors[idx[r]]) / (len(rows) - 1)
                vecs[r] = vectors[idx[r]] + w * others
    return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)


# ---------------------------------------------------------------------------------------------
# The stage
# ---------------------------------------------------------------------------------------------


@dataclass
class _Group:
    category: str
    members: list[int]  # indices into quotes
    parent: int | None = None  # index of the top-level group (sub-themes only)


def build_themes(
    quotes: Sequence[Quote],
    vectors: np.ndarray,
    previous: Sequence[Theme] = (),
    nps_scores: dict[int, int] | None = None,
    participants: dict[int, str] | None = None,
    options: ThemeOptions | None = None,
    protected: set[str] | frozenset[str] = frozenset(),
    encode: Callable[[list[str]], np.ndarray] | None = None,
) -> ThemeList:
    """Top-level themes over `quotes` (each with `.category`), sorted by id, with their sub-themes
    in `.sub_themes`. `encode` embeds label candidates in the space of `vectors` (the pipeline's
    cached encoder); without it labels are chosen by how many of a theme's quotes share them."""
    opts = options or ThemeOptions()
    order = sorted(range(len(quotes)), key=lambda i: quotes[i].id)
    by_cat: dict[str, list[int]] = {}
    for i in order:
        c = quotes[i].category
        if c and c not in opts.skip_categories:
            by_cat.setdefault(c, []).append(i)

    # 1-2. Fine clusters per category, on confidence-smoothed vectors.
    fine: dict[str, tuple[list[int], np.ndarray, np.ndarray]] = {}
    closeness = []
    for cat in sorted(by_cat):
        if cat == "nps_score":
            continue
        idx = by_cat[cat]
        vecs = _smooth_uncertain(quotes, idx, vectors, opts.context_weight)
        labels = _cluster(vecs, opts.min_cluster_size or fine_cluster_size(len(idx)), opts)
        closeness.append(_member_closeness(vecs, labels))
        fine[cat] = (idx, vecs, labels)
    # 3. Calibration from this corpus, then outliers and the top level.
    closeness = np.concatenate(closeness) if closeness else np.zeros(0)
    cal = Calibration.from_closeness(closeness, opts)
    toy = toy_study_levels(fine, quotes) if len(closeness) < 5 else {}  # too few clusters: a toy study
    merged: dict[str, tuple[np.ndarray, dict[int, int]]] = {}
    top_closeness = []
    for cat in sorted(fine):
        idx, vecs, labels = fine[cat]
        c = toy.get(cat, cal)
        labels = _assign_outliers(vecs, labels, c.assign)
        labels = _pair_outliers(vecs, labels, c.assign)
        top_of = _merge_into_top(vecs, labels, c.merge, opts.max_top_themes)
        merged[cat] = (labels, top_of)
        top_closeness.append(_member_closeness(vecs, _relabel(labels, top_of)))
    # A quote close to no fine cluster may still clearly belong to a broader top-level theme:
    # it joins when as close to its members as that level's own least typical members are.
    top_cal = Calibration.from_closeness(np.concatenate(top_closeness) if top_closeness else np.zeros(0), opts)
    tops: list[_Group] = []
    subs: list[_Group] = []
    for cat in sorted(fine):
        idx, vecs, _ = fine[cat]
        labels, top_of = merged[cat]
        labels = _assign_to_top(vecs, labels, top_of, toy[cat].assign if cat in toy else top_cal.assign)
        members: dict[int, list[int]] = {}
        for i, lab in zip(idx, labels):
            if lab >= 0:
                members.setdefault(int(lab), []).append(i)
        by_top: dict[int, list[int]] = {}
        for lab in members:
            by_top.setdefault(top_of[lab], []).append(lab)
        for top in sorted(by_top, key=lambda t: min(quotes[i].id for f in by_top[t] for i in members[f])):
            fines = sorted(by_top[top], key=lambda f: quotes[members[f][0]].id)
            tops.append(_Group(cat, sorted(i for f in fines for i in members[f])))
            if len(fines) > 1:
                subs += [_Group(cat, members[f], parent=len(tops) - 1) for f in fines]
    if opts.context_assign:
        _context_assign(quotes, vectors, tops, subs, opts.context_threshold)
    for cat in sorted(by_cat):
        if cat == "nps_score":
            tops += [_Group("nps_score", g) for _, g in _nps_groups(quotes, by_cat[cat], nps_scores or {})]
    if not tops:
        return ThemeList()

    # 4. Ids: top level against previous top-level themes, sub-themes against previous sub-themes.
    prev_top = [t for t in previous if t.parent_id is None]
    prev_sub = [t for t in previous if t.parent_id is not None]
    top_ids = match_ids([(g.category, [quotes[i].id for i in g.members]) for g in tops], prev_top,
                        opts.match_min_jaccard, protected)
    sub_ids = match_ids([(g.category, [quotes[i].id for i in g.members]) for g in subs], prev_sub,
                        opts.match_min_jaccard, protected)
    taken = set(top_ids)
    sub_ids = [sid if sid not in taken else new_theme_id(g.category, [*(quotes[i].id for i in g.members), "#sub"])
               for sid, g in zip(sub_ids, subs)]

    # 5. Keywords and labels.
    groups = tops + subs
    central = [_by_centrality(vectors, g.members) for g in groups]
    label_inputs = [
        labels_mod.LabelInput(
            texts=[quotes[i].text for i in ranked[:8]], category=g.category,
            confidences=[_confidence(quotes[i]) for i in ranked[:8]], centroid=cent,
        )
        for g, (ranked, cent) in zip(groups, central)
    ]
    odd = label_doubts.rare_and_said_once(quotes)  # passed over in English labels and keywords: likely misheard
    odd_of = [odd if labels_mod.group_language(x) == "en" else None for x in label_inputs]
    kws = [kw for level in (range(len(tops)), range(len(tops), len(groups)))
           for kw in keywords_mod.theme_keywords(["\n".join(quotes[i].text for i in groups[n].members) for n in level],
                                                 opts.n_keywords, [central[n][1] for n in level], encode,
                                                 [odd_of[n] for n in level])]
    for x, kw in zip(label_inputs, kws):
        x.keywords = kw
    # Top-level themes first; a sub-theme then passes over its parent's label, which would say
    # nothing finer ("Chasing invoices > Chasing invoices").
    label_of: dict[int, str] = {}
    # Within a category's themes and within a theme's sub-themes no two names are alike; the
    # largest group picks first.
    for level in (range(len(tops)), range(len(tops), len(groups))):
        todo = sorted((n for n in level if groups[n].category != "nps_score"), key=lambda n: -len(groups[n].members))
        avoid = [[label_of.get(groups[n].parent, "")] if groups[n].parent is not None else [] for n in todo]
        scopes = [(groups[n].category, groups[n].parent) for n in todo]
        label_of.update(zip(todo, labels_mod.theme_labels([label_inputs[n] for n in todo], encode, avoid, odd, scopes)))
    out = []
    ids = top_ids + sub_ids
    for n, (g, (ranked, _), kw) in enumerate(zip(groups, central, kws)):
        if g.category == "nps_score":
            klass = nps_band(_score_of(quotes[g.members[0]], nps_scores or {}))
            wording = languages.phrases(labels_mod.group_language(label_inputs[n]))
            label = wording.nps_band_label(klass) if klass else "Scores"
        else:
            label = label_of[n]
        # The representative quote: the clearest of the three most central ones.
        rep = max(ranked[:3], key=lambda i: (_confidence(quotes[i]) >= _confidence(quotes[ranked[0]]) - 0.1, -ranked.index(i)))
        who = {(participants or {}).get(quotes[i].interview_id, quotes[i].interview_id) for i in g.members}
        out.append(Theme(
            id=ids[n], category=g.category, label=label, keywords=kw,
            quote_ids=sorted(quotes[i].id for i in g.members), representative_quote_id=quotes[rep].id,
            n_participants=len(who), parent_id=top_ids[g.parent] if g.parent is not None else None,
        ))
    n_top = len(tops)
    return ThemeList(sorted(out[:n_top], key=lambda t: t.id), sorted(out[n_top:], key=lambda t: t.id))


def _confidence(q: Quote) -> float:
    return 1.0 if q.asr_confidence is None else float(q.asr_confidence)


def _by_centrality(vectors: np.ndarray, members: list[int]) -> tuple[list[int], np.ndarray]:
    """Members, most central first (ties by position), and the unit centroid."""
    v = vectors[members]
    cent = v.mean(axis=0)
    cent = cent / max(float(np.linalg.norm(cent)), 1e-9)
    order = np.argsort(-(v @ cent), kind="stable")
    return [members[k] for k in order], cent


def _context_assign(quotes: Sequence[Quote], vectors: np.ndarray, tops: list[_Group], subs: list[_Group],
                    threshold: float) -> None:
    """A quote that fits no theme on its own, said right after (else right before) a themed quote
    of the same category in the same answer, usually continues that point ("It wasn't the first
    time, either."): it joins that neighbour's finest theme (and so its parent), unless it is
    unrelated to that theme (cosine to its centroid below `threshold`). Updates groups in place."""
    finest: dict[int, _Group] = {i: g for g in tops for i in g.members}
    finest.update({i: g for g in subs for i in g.members})
    cents = {}
    for g in {id(g): g for g in finest.values()}.values():
        c = vectors[g.members].mean(axis=0)
        cents[id(g)] = c / max(float(np.linalg.norm(c)), 1e-9)
    pos = {(q.interview_id, q.index): i for i, q in enumerate(quotes)}
    for i, q in enumerate(quotes):
        if i in finest or not q.category or q.category == "nps_score":
            continue
        for step in (-1, 1):
            j = pos.get((q.interview_id, q.index + step))
            if j is None or j not in finest:
                continue
            nb, g = quotes[j], finest[j]
            if nb.category == q.category and nb.question == q.question and float(vectors[i] @ cents[id(g)]) >= threshold:
                g.members.append(i)
                if g.parent is not None:
                    tops[g.parent].members.append(i)
                break
    for g in [*tops, *subs]:
        g.members.sort(key=lambda k: quotes[k].id)


def _score_of(q: Quote, nps_scores: dict[int, int]) -> int | None:
    """The score whose band a score quote is grouped under: its interview's (one score per
    interview, as the NPS table shows it: an answer's earlier "I'd have said a six" sits with the
    promoters when the interview's score, said next, is a nine), else the one the quote states."""
    s = nps_scores.get(q.interview_id)
    return s if s is not None else nps_mod.parse_score(q.text)


def _nps_groups(quotes: Sequence[Quote], idx: list[int], nps_scores: dict[int, int]) -> list[tuple[str, list[int]]]:
    by_class: dict[str, list[int]] = {}
    for i in idx:
        klass = nps_band(_score_of(quotes[i], nps_scores))
        if klass:
            by_class.setdefault(klass, []).append(i)
    return [("nps_score", by_class[k]) for k in ("promoter", "passive", "detractor") if k in by_class]
