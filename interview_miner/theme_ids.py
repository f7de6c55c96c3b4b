"""Theme ids that survive re-mining: a new cluster takes the id of the previous theme it matches
(same category, Jaccard overlap of quote ids, one-to-one by the Hungarian assignment), so a
researcher's rename, merge or moved quote, stored against that id in the edit overlay, stays
attached when the corpus grows or the clustering shifts; an unmatched cluster gets `t_` + a hash
of its sorted quote ids, so the same quotes always get the same id.

Public API (re-exported by `themes`):
- `match_ids(new_groups, previous, min_jaccard, protected) -> list[str]`;
- `new_theme_id(category, quote_ids) -> str`;
- `keep_researcher_sub_themes(themes, previous, protected, participant_of)`: a sub-theme a
  researcher touched stays when re-mining lifts its quotes to the top level.

    >>> new_theme_id("fear", ["q2", "q1"]) == new_theme_id("fear", ["q1", "q2"])
    True
"""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .models import Theme

if TYPE_CHECKING:
    from .themes import ThemeList


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


def keep_researcher_sub_themes(themes: ThemeList, previous: Sequence[Theme], protected: set[str],
                               participant_of: Mapping[str, str], min_jaccard: float = 0.2) -> list[str]:
    """Keep a sub-theme a researcher touched when re-mining lifted its quotes to the top level.

    Why: ids are matched level by level (themes.py), so when new interviews pull a parent's
    sub-themes apart (each now a top-level theme built from one fine cluster, with no sub-themes
    of its own), a renamed sub-theme, or one quotes were moved into, would find no sub-theme to
    match and its edits would go dormant. It is kept instead as the sub-theme of the new top-level
    theme holding most of its quotes (Jaccard >= `min_jaccard`), with the quotes of its own that
    are still there. Only top-level themes without sub-themes take one, so no quote changes its
    top-level theme and no machine sub-theme is split. `participant_of`: quote id -> who said it.
    Updates `themes` in place; returns the ids kept.
    """
    present = {t.id for t in themes.all()}
    has_subs = {t.parent_id for t in themes.sub_themes}
    kept = []
    for old in previous:
        if old.parent_id is None or old.id not in protected or old.id in present or not old.quote_ids:
            continue
        mine = set(old.quote_ids)
        best, best_j = None, min_jaccard
        for t in themes:
            if t.category != old.category or t.id in has_subs:
                continue
            j = len(mine & set(t.quote_ids)) / len(mine | set(t.quote_ids))
            if j >= best_j:
                best, best_j = t, j
        if best is None:
            continue
        quote_ids = [q for q in best.quote_ids if q in mine]
        who = {participant_of.get(q, q) for q in quote_ids}
        themes.sub_themes.append(Theme(
            id=old.id, category=best.category, label=old.label, keywords=list(old.keywords), quote_ids=quote_ids,
            representative_quote_id=old.representative_quote_id if old.representative_quote_id in quote_ids
            else quote_ids[0], n_participants=len(who), parent_id=best.id,
        ))
        has_subs.add(best.id)
        kept.append(old.id)
    themes.sub_themes.sort(key=lambda t: t.id)
    return kept
