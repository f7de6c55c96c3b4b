"""How theme edits apply over the two-level machine themes (part of the overlay; `overlay.py`
re-exports everything here, so callers keep using `overlay.*`).

What an edit means in the hierarchy (top-level themes, each with optional sub-themes):
- A quote's assignment is ONE theme id: its machine sub-theme (else its machine top-level theme),
  or the theme a researcher moved it into (`quote.theme_id` edit), which may be either level.
  `place_in_hierarchy` turns that id into (top-level theme, sub-theme or None).
- Moving a quote into a top-level theme puts it directly in that theme (in no sub-theme); moving
  it into a sub-theme puts it there and so in that sub-theme's parent.
- Rename, tag: the theme itself, at either level. Parents' quote lists are always recomputed as
  everything under them, so nothing about a sub-theme's edit changes its parent's label.
- Merge A into B (`merged_into`), at any levels: A's quotes follow B. Merging a top-level theme
  into another re-parents its sub-themes under the survivor, so no finer distinction is lost.
  Merging a sub-theme into a top-level theme puts its quotes directly in that theme.
- Delete: a deleted top-level theme takes its sub-themes with it (all quotes unthemed, still
  visible and assignable); a deleted sub-theme dissolves into its parent (its quotes stay there).
- Nesting (`parent_id` edit): a theme becomes a sub-theme of another top-level theme, or with None
  a sub-theme becomes top-level. Only two levels exist: nesting a theme that has sub-themes of its
  own lifts those sub-themes to the new parent.
- A sub-theme's category is its parent's.
Every id here is stable across re-mining (themes.py matches both levels), so each of these edits
survives a new `mine` as long as its theme is still found.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .models import Quote, Theme
from .themes import ThemeList

FieldEdits = Mapping[str, Any]
EditsById = Mapping[str, FieldEdits]


def resolve_theme(theme_id: str | None, theme_edits: EditsById) -> str | None:
    """Follow merges (A merged into B merged into C -> C); a deleted theme leaves quotes unthemed.

    >>> resolve_theme("a", {"a": {"merged_into": "b"}, "b": {"merged_into": "c"}})
    'c'
    >>> resolve_theme("a", {"a": {"deleted": True}}) is None
    True
    """
    seen = set()
    while theme_id and theme_id not in seen:
        seen.add(theme_id)
        e = theme_edits.get(theme_id, {})
        if e.get("merged_into"):
            theme_id = e["merged_into"]
        elif e.get("deleted"):
            return None
        else:
            break
    return theme_id


def parent_of(theme_id: str, theme_edits: EditsById, machine_parents: Mapping[str, str | None]) -> str | None:
    """The parent a theme was given (by a `parent_id` edit, else by mining); None: top level."""
    e = theme_edits.get(theme_id, {})
    return e["parent_id"] if "parent_id" in e else machine_parents.get(theme_id)


def place_in_hierarchy(
    theme_id: str | None, theme_edits: EditsById, machine_parents: Mapping[str, str | None],
) -> tuple[str | None, str | None]:
    """(top-level theme, sub-theme or None) where a quote assigned to `theme_id` sits, after
    merges, deletions and nesting edits; (None, None): unthemed. Cycles end (a read never hangs).

    >>> parents = {"s1": "p", "s2": "p", "p": None, "q": None}
    >>> place_in_hierarchy("s1", {}, parents)
    ('p', 's1')
    >>> place_in_hierarchy("s1", {"s1": {"deleted": True}}, parents)  # dissolves into its parent
    ('p', None)
    >>> place_in_hierarchy("s2", {"p": {"merged_into": "q"}}, parents)  # follows its parent
    ('q', 's2')
    >>> place_in_hierarchy("s2", {"p": {"deleted": True}}, parents)  # goes with its parent
    (None, None)
    """
    seen: set[str] = set()
    current = theme_id
    while current and current not in seen:
        seen.add(current)
        e = theme_edits.get(current, {})
        parent = parent_of(current, theme_edits, machine_parents)
        if e.get("merged_into"):
            current = e["merged_into"]
        elif e.get("deleted"):
            if not parent:
                return None, None
            current = parent  # a deleted sub-theme: its quotes stay in the parent
        elif not parent:
            return current, None
        else:
            top = _top_of(parent, theme_edits, machine_parents, seen)
            return (top, current) if top else (None, None)
    return (current, None) if current else (None, None)


def _top_of(theme_id: str, theme_edits: EditsById, machine_parents: Mapping[str, str | None],
            seen: set[str]) -> str | None:
    """The top-level theme `theme_id` ends up as or under (two levels only: a parent that is
    itself nested lends its own parent)."""
    current: str | None = theme_id
    while current and current not in seen:
        seen.add(current)
        e = theme_edits.get(current, {})
        if e.get("merged_into"):
            current = e["merged_into"]
        elif e.get("deleted"):
            return None
        else:
            parent = parent_of(current, theme_edits, machine_parents)
            if not parent:
                return current
            current = parent
    return None


def apply_quote_placement(q: Quote, assigned: str | None, theme_edits: EditsById,
                          machine_parents: Mapping[str, str | None]) -> None:
    """Set `q.theme_id` (top level) and `q.sub_theme_id` from the theme it is assigned to."""
    q.theme_id, q.sub_theme_id = place_in_hierarchy(assigned, theme_edits, machine_parents)


def apply_theme_edits(
    machine_themes: Iterable[Theme], theme_edits: EditsById, quotes: list[Quote],
    participant_of: Mapping[int, str],
) -> ThemeList:
    """Themes as the researcher sees them: top-level themes sorted by id, their sub-themes (sorted
    by id) in `.sub_themes`. Researcher-made themes added, deleted and merged ones dropped,
    labels/categories/tags edited, nesting applied, and each theme's quotes (and how many
    different participants said them) recomputed from `quotes`, whose edits are already applied
    (`theme_id` is a quote's top-level theme, `sub_theme_id` its sub-theme). `participant_of`
    maps interview id -> who was interviewed.

    >>> quotes = [Quote("q1", 1, 0, 1, "a", theme_id="t1"), Quote("q2", 2, 0, 1, "b", theme_id="t1")]
    >>> [t] = apply_theme_edits([Theme("t1", "fear", "Leaks")], {"t1": {"label": "Data leaks"}},
    ...                         quotes, {1: "Ana", 2: "Ben"})
    >>> (t.label, t.quote_ids, t.n_participants, t.representative_quote_id)
    ('Data leaks', ['q1', 'q2'], 2, 'q1')
    """
    by_id = {t.id: t for t in machine_themes}
    for tid, e in theme_edits.items():
        if tid not in by_id and "created" in e:
            c = e["created"]
            by_id[tid] = Theme(id=tid, category=c["category"], label=c.get("label", "New theme"))
    parents = {tid: t.parent_id for tid, t in by_id.items()}
    top_members: dict[str | None, list[Quote]] = {}
    sub_members: dict[str | None, list[Quote]] = {}
    for q in quotes:
        top_members.setdefault(q.theme_id, []).append(q)
        sub_members.setdefault(q.sub_theme_id, []).append(q)
    tops: dict[str, Theme] = {}
    subs: list[Theme] = []
    for tid, t in sorted(by_id.items()):
        e = theme_edits.get(tid, {})
        top, sub = place_in_hierarchy(tid, theme_edits, parents)
        if top == tid and sub is None:
            t.parent_id = None
            _refresh(t, e, top_members.get(tid, []), participant_of)
            tops[tid] = t
        elif sub == tid:
            t.parent_id = top
            _refresh(t, e, sub_members.get(tid, []), participant_of)
            subs.append(t)
        # else: merged into another theme, deleted, or gone with its parent
    for s in subs:
        s.category = tops[s.parent_id].category if s.parent_id in tops else s.category
    return ThemeList(list(tops.values()), [s for s in subs if s.parent_id in tops])


def _refresh(t: Theme, e: FieldEdits, members: list[Quote], participant_of: Mapping[int, str]) -> None:
    t.label = e.get("label", t.label)
    t.category = e.get("category", t.category)
    t.tags = list(e.get("tags", []))
    t.quote_ids = [q.id for q in members]
    t.n_participants = len({participant_of.get(q.interview_id, q.interview_id) for q in members})
    if t.representative_quote_id not in t.quote_ids:
        t.representative_quote_id = t.quote_ids[0] if t.quote_ids else None


def sub_themes_of(themes: Iterable[Theme], parent_id: str) -> list[Theme]:
    """The sub-themes under one top-level theme (from a `ThemeList`'s `.sub_themes` or a flat list),
    most participants first."""
    return sorted((t for t in themes if t.parent_id == parent_id),
                  key=lambda t: (-t.n_participants, -len(t.quote_ids), t.label.casefold(), t.id))
