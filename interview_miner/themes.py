"""Themes: inside each category, quotes from across interviews clustered into labelled themes.

Public API:
- `build_themes(quotes, vectors, previous=(), nps_scores=None, options=None) -> list[Theme]`:
  the stage. Quotes carry their category; `vectors` are their unit-length embeddings (row i for
  quotes[i]); `previous` are the themes of the last run (`store.machine_themes()`), whose ids are
  reused for the new clusters that match them, so researcher edits keyed by theme id survive.
- `ThemeOptions`: clustering knobs with sensible defaults.
- `match_ids(new_groups, previous) -> list[str]`: the id matching on its own.

Method (BERTopic's shape, tuned for interview-sized data):
1. Per category, HDBSCAN (scikit-learn) on the embeddings (unit vectors, so euclidean distance is
   a monotone function of cosine). Small minimum cluster size (2): a theme said by two people
   is worth seeing. Identical texts are collapsed first (HDBSCAN is degenerate on duplicate
   points) and large categories are reduced with PCA (fixed seed) so clustering stays fast.
2. Outlier reduction: a noise quote joins the theme whose centroid it is closest to when the
   cosine similarity is at least `assign_threshold`; the rest stay visible as unthemed.
3. `nps_score` quotes are grouped by class (promoter / passive / detractor), not by wording.
4. Labels: c-TF-IDF keywords (each theme's words weighted against all themes) plus the most
   representative quote (closest to the centroid).
5. Ids: new clusters are matched to previous themes of the same category by quote overlap
   (Jaccard, Hungarian assignment); unmatched clusters get `t_` + a hash of their sorted quote ids.
Deterministic: inputs are sorted by quote id, seeds are fixed; same input -> same themes.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from . import nps as nps_mod
from .models import Quote, Theme
from .vocab import FILLER_WORDS, NPS_BANDS, nps_band

NPS_LABELS = {b.key: b.label for b in NPS_BANDS}


@dataclass
class ThemeOptions:
    min_cluster_size: int = 2
    min_samples: int = 1
    selection: str = "leaf"  # HDBSCAN cluster_selection_method: "leaf" gives finer themes
    assign_threshold: float = 0.35  # cosine to a theme centroid for an outlier to join it
    pca_above: int = 1500  # reduce dimensions when a category has more quotes than this
    pca_dims: int = 32
    match_min_jaccard: float = 0.2
    n_keywords: int = 6
    seed: int = 0
    skip_categories: tuple[str, ...] = field(default_factory=tuple)
    pair_threshold: float = 0.4  # outliers this similar (average linkage) form a small theme of their own
    context_assign: bool = True
    context_threshold: float = 0.3  # an unthemed quote continuing a themed neighbour joins its theme


# ---------------------------------------------------------------------------------------------
# Clustering
# ---------------------------------------------------------------------------------------------


def _cluster(vecs: np.ndarray, opts: ThemeOptions) -> np.ndarray:
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
    if m == 1:
        return np.zeros(n, dtype=int) if n >= opts.min_cluster_size else np.full(n, -1)
    if m == 2:
        sim = float(uniq[0] @ uniq[1])
        if sim >= opts.assign_threshold:
            lab = np.zeros(2, dtype=int)
        else:
            lab = np.array([0 if counts[0] >= opts.min_cluster_size else -1,
                            1 if counts[1] >= opts.min_cluster_size else -1])
            if lab[0] == -1 and lab[1] == 1:
                lab[1] = 0
        return lab[inverse]
    x = uniq
    if m > opts.pca_above:
        from sklearn.decomposition import PCA

        x = PCA(n_components=min(opts.pca_dims, m - 1, x.shape[1]), random_state=opts.seed).fit_transform(x)
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
    from sklearn.cluster import HDBSCAN

    hdb = HDBSCAN(
        min_cluster_size=max(2, opts.min_cluster_size), min_samples=max(1, min(opts.min_samples, m - 1)),
        cluster_selection_method=opts.selection, metric="euclidean", allow_single_cluster=True, copy=True,
    )
    lab = hdb.fit_predict(x.astype(np.float64))
    # A duplicated text is a cluster of its own even if HDBSCAN saw it as one point.
    nxt = lab.max() + 1
    for u in range(m):
        if lab[u] == -1 and counts[u] >= opts.min_cluster_size:
            lab[u] = nxt
            nxt += 1
    return lab[inverse]


def _reduce_outliers(vecs: np.ndarray, labels: np.ndarray, threshold: float) -> np.ndarray:
    labels = labels.copy()
    ids = sorted(set(labels.tolist()) - {-1})
    noise = np.where(labels == -1)[0]
    if not ids or len(noise) == 0:
        return labels
    cents = np.stack([vecs[labels == t].mean(axis=0) for t in ids])
    cents /= np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-9)
    sims = vecs[noise] @ cents.T
    best = sims.argmax(axis=1)
    for row, i in enumerate(noise):
        if sims[row, best[row]] >= threshold:
            labels[i] = ids[best[row]]
    return labels


def _pair_outliers(vecs: np.ndarray, labels: np.ndarray, threshold: float) -> np.ndarray:
    """Outliers that are close to each other but to no theme form themes of their own (average
    linkage, cosine). HDBSCAN needs density that a handful of quotes in a category never has, so
    in small studies this is what finds "two people said the same thing"."""
    noise = np.where(labels == -1)[0]
    if len(noise) < 2 or threshold >= 1:
        return labels
    if len(noise) > 3000:  # big inputs: HDBSCAN has had its say; keep this step bounded
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


# ---------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------

_STOP_EXTRA = FILLER_WORDS | {"yeah", "gonna", "got", "get", "thing", "things", "lot", "bit", "don", "didn", "wasn", "isn", "ve", "ll", "re"}


def _keywords(docs: list[str], n: int) -> list[list[str]]:
    """c-TF-IDF: per document (all quotes of one theme joined), its most distinctive words.

    Sparse throughout: thousands of themes x tens of thousands of terms stay small."""
    if not docs:
        return []
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    stop = sorted(ENGLISH_STOP_WORDS | _STOP_EXTRA)
    try:
        cv = CountVectorizer(ngram_range=(1, 2), stop_words=stop, token_pattern=r"(?u)\b[^\W\d_][\w\-']+\b", lowercase=True)
        tf = cv.fit_transform(docs).tocsr().astype(np.float64)
    except ValueError:  # nothing but stop words
        return [[] for _ in docs]
    vocab = cv.get_feature_names_out()
    words_per_class = np.asarray(tf.sum(axis=1)).ravel()
    avg = max(1.0, float(words_per_class.mean()))
    idf = np.log(1 + avg / np.maximum(np.asarray(tf.sum(axis=0)).ravel(), 1e-9))
    out = []
    for r in range(tf.shape[0]):
        start, end = tf.indptr[r], tf.indptr[r + 1]
        cols, counts = tf.indices[start:end], tf.data[start:end]
        scores = counts / max(words_per_class[r], 1e-9) * idf[cols]
        terms = vocab[cols]
        order = np.lexsort((terms, -scores))  # ties broken alphabetically: deterministic
        chosen: list[str] = []
        for j in order:
            if len(chosen) >= n:
                break
            term = str(terms[j])
            if any(term in c or c in term for c in chosen):
                continue  # "no shows" and "shows" say one thing
            chosen.append(term)
        out.append(chosen)
    return out


_TOKEN = re.compile(r"[^\W\d_][\w\-']*")  # letters of any script


def _label(keywords: list[str], central_texts: list[str], max_words: int = 6) -> str:
    """A readable label: the short span of a central quote that covers the most distinctive
    keywords ("Afraid of losing my old invoices"), rather than a bare keyword list. Falls back to
    the keywords, then to the quote's first words."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    stop = ENGLISH_STOP_WORDS | _STOP_EXTRA
    weights = {tuple(k.split()): 1.0 / (rank + 1) for rank, k in enumerate(keywords[:4])}
    best: tuple[float, int, int, str] | None = None
    for order, text in enumerate(central_texts[:5]):
        tokens = _TOKEN.findall(text)
        low = [t.lower() for t in tokens]
        for i in range(len(tokens)):
            if low[i] in stop:
                continue
            for j in range(i + 2, min(len(tokens), i + max_words) + 1):
                if low[j - 1] in stop:
                    continue
                window = low[i:j]
                hit = sum(w for k, w in weights.items()
                          if any(tuple(window[x:x + len(k)]) == k for x in range(len(window) - len(k) + 1)))
                if hit <= 0:
                    continue
                score = hit - 0.08 * (j - i)
                cand = (-score, order, i, " ".join(tokens[i:j]))
                if best is None or cand < best:
                    best = cand
    if best is not None:
        text = best[3]
    elif keywords:
        text = ", ".join(keywords[:3])
    else:
        text = " ".join(_TOKEN.findall(central_texts[0] if central_texts else "")[:8]) or "Theme"
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------------------------
# Ids
# ---------------------------------------------------------------------------------------------


def new_theme_id(category: str, quote_ids: Sequence[str]) -> str:
    key = category + "|" + "|".join(sorted(quote_ids))
    return "t_" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


def match_ids(
    groups: list[tuple[str, list[str]]], previous: Sequence[Theme], min_jaccard: float = 0.2,
    protected: set[str] | frozenset[str] = frozenset(),
) -> list[str]:
    """Ids for new (category, quote_ids) groups: a matched previous theme's id, else a new one.

    One-to-one matching on the Jaccard overlap of quote ids (same category only): the Hungarian
    assignment on each connected set of overlapping themes (a greedy best-first pass when one
    such set is very large). A match needs Jaccard >= `min_jaccard`, or any overlap for
    `protected` themes (ones a researcher has edited), so their renames and moved quotes stay
    attached. Only overlapping pairs are ever looked at, so 10,000s of themes match in
    milliseconds and small memory."""
    ids = [new_theme_id(c, q) for c, q in groups]
    prev = [t for t in previous if t.quote_ids]
    if not prev or not groups:
        return _dedupe_ids(ids, groups, set(), {t.id for t in previous})
    owner: dict[str, int] = {}
    for j, t in enumerate(prev):
        for q in t.quote_ids:
            owner.setdefault(q, j)
    pairs: dict[tuple[int, int], float] = {}
    for i, (cat, qids) in enumerate(groups):
        counts = Counter(owner[q] for q in set(qids) if q in owner)
        for j, inter in counts.items():
            if prev[j].category == cat:
                pairs[(i, j)] = inter / len(set(qids) | set(prev[j].quote_ids))

    def score(i: int, j: int) -> float:
        return pairs[(i, j)] + (1.0 if prev[j].id in protected else 0.0)

    # Connected components of the bipartite overlap graph (union-find over "g<i>" / "p<j>").
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs:
        parent[find(f"g{i}")] = find(f"p{j}")
    components: dict[str, list[tuple[int, int]]] = {}
    for i, j in sorted(pairs):
        components.setdefault(find(f"g{i}"), []).append((i, j))
    matched: dict[int, int] = {}
    for edges in components.values():
        gs = sorted({i for i, _ in edges})
        ps = sorted({j for _, j in edges})
        if len(gs) * len(ps) <= 250_000:
            from scipy.optimize import linear_sum_assignment

            m = np.zeros((len(gs), len(ps)))
            gi, pj = {g: n for n, g in enumerate(gs)}, {p: n for n, p in enumerate(ps)}
            for i, j in edges:
                m[gi[i], pj[j]] = score(i, j)
            for r, c in zip(*linear_sum_assignment(-m)):
                if m[r, c] > 0:
                    matched[gs[r]] = ps[c]
        else:  # greedy, best overlap first; ties broken by position (deterministic)
            used: set[int] = set()
            for i, j in sorted(edges, key=lambda e: (-score(*e), e)):
                if i not in matched and j not in used:
                    matched[i] = j
                    used.add(j)
    kept: set[int] = set()
    for i, j in matched.items():
        if pairs[(i, j)] >= min_jaccard or prev[j].id in protected:
            ids[i] = prev[j].id
            kept.add(i)
    return _dedupe_ids(ids, groups, kept, {t.id for t in previous})


def _dedupe_ids(ids: list[str], groups: list[tuple[str, list[str]]], kept: set[int], prev_ids: set[str]) -> list[str]:
    """A fresh id never takes a previous theme's id by accident, and ids are unique."""
    out = list(ids)
    for i, tid in enumerate(out):
        if i not in kept and tid in prev_ids:
            out[i] = new_theme_id(groups[i][0], [*groups[i][1], "#new"])
    seen: Counter[str] = Counter()
    for i, tid in enumerate(out):
        seen[tid] += 1
        if seen[tid] > 1:
            out[i] = f"{tid}_{seen[tid]}"
    return out


# ---------------------------------------------------------------------------------------------
# The stage
# ---------------------------------------------------------------------------------------------


def build_themes(
    quotes: Sequence[Quote],
    vectors: np.ndarray,
    previous: Sequence[Theme] = (),
    nps_scores: dict[int, int] | None = None,
    participants: dict[int, str] | None = None,
    options: ThemeOptions | None = None,
    protected: set[str] | frozenset[str] = frozenset(),
) -> list[Theme]:
    """Themes over `quotes` (each with `.category`); returns them sorted by id."""
    opts = options or ThemeOptions()
    order = sorted(range(len(quotes)), key=lambda i: quotes[i].id)
    by_cat: dict[str, list[int]] = {}
    for i in order:
        c = quotes[i].category
        if c and c not in opts.skip_categories:
            by_cat.setdefault(c, []).append(i)

    groups: list[tuple[str, list[int]]] = []
    for cat in sorted(by_cat):
        idx = by_cat[cat]
        if cat == "nps_score":
            groups += _nps_groups(quotes, idx, nps_scores or {})
            continue
        vecs = vectors[idx]
        labels = _cluster(vecs, opts)
        labels = _reduce_outliers(vecs, labels, opts.assign_threshold)
        labels = _pair_outliers(vecs, labels, opts.pair_threshold)
        members: dict[int, list[int]] = {}
        for i, lab in zip(idx, labels):
            if lab >= 0:
                members.setdefault(int(lab), []).append(i)
        for lab in sorted(members, key=lambda k: quotes[members[k][0]].id):
            if len(members[lab]) >= 1:
                groups.append((cat, members[lab]))

    if opts.context_assign:
        groups = _context_assign(quotes, vectors, groups, opts.context_threshold)
    if not groups:
        return []
    docs = [" ".join(quotes[i].text for i in g) for _, g in groups]
    kws = _keywords(docs, opts.n_keywords)
    ids = match_ids([(c, [quotes[i].id for i in g]) for c, g in groups], previous, opts.match_min_jaccard, protected)
    themes = []
    for (cat, g), kw, tid in zip(groups, kws, ids):
        v = vectors[g]
        cent = v.mean(axis=0)
        centrality = v @ cent
        rep = g[int(np.argmax(centrality))]
        if cat == "nps_score":
            klass = nps_band(_score_of(quotes[g[0]], nps_scores or {}))
            label = NPS_LABELS.get(klass or "", "Scores")
        else:
            central = [quotes[g[k]].text for k in np.argsort(-centrality, kind="stable")[:5]]
            label = _label(kw, central)
        who = {(participants or {}).get(quotes[i].interview_id, quotes[i].interview_id) for i in g}
        themes.append(Theme(
            id=tid, category=cat, label=label, keywords=kw, quote_ids=sorted(quotes[i].id for i in g),
            representative_quote_id=quotes[rep].id, n_participants=len(who),
        ))
    return sorted(themes, key=lambda t: t.id)


def _context_assign(
    quotes: Sequence[Quote], vectors: np.ndarray, groups: list[tuple[str, list[int]]], threshold: float
) -> list[tuple[str, list[int]]]:
    """A quote that fits no theme on its own, said right after (else right before) a themed quote
    of the same category in the same answer, usually continues that point ("It wasn't the first
    time, either."): it joins that neighbour's theme, unless it is unrelated to that theme
    (cosine to its centroid below `threshold`)."""
    theme_of = {i: g for g, (_, members) in enumerate(groups) for i in members}
    cents = []
    for _, members in groups:
        c = vectors[members].mean(axis=0)
        cents.append(c / max(float(np.linalg.norm(c)), 1e-9))
    pos = {(q.interview_id, q.index): i for i, q in enumerate(quotes)}
    added: dict[int, list[int]] = {}
    for i, q in enumerate(quotes):
        if i in theme_of or not q.category or q.category == "nps_score":
            continue
        for step in (-1, 1):
            j = pos.get((q.interview_id, q.index + step))
            if j is None or j not in theme_of:
                continue
            nb = quotes[j]
            if nb.category == q.category and nb.question == q.question and float(vectors[i] @ cents[theme_of[j]]) >= threshold:
                added.setdefault(theme_of[j], []).append(i)
                break
    return [(c, sorted(m + added.get(g, []), key=lambda k: quotes[k].id)) for g, (c, m) in enumerate(groups)]


def _score_of(q: Quote, nps_scores: dict[int, int]) -> int | None:
    s = nps_mod.parse_score(q.text)
    return s if s is not None else nps_scores.get(q.interview_id)


def _nps_groups(quotes: Sequence[Quote], idx: list[int], nps_scores: dict[int, int]) -> list[tuple[str, list[int]]]:
    by_class: dict[str, list[int]] = {}
    for i in idx:
        klass = nps_band(_score_of(quotes[i], nps_scores))
        if klass:
            by_class.setdefault(klass, []).append(i)
    return [("nps_score", by_class[k]) for k in ("promoter", "passive", "detractor") if k in by_class]
