"""The study's codebook: which categories quotes are sorted into, as study data.

Every study starts from the package's default categories (`vocab.DEFAULT_CATEGORIES`: the method's
eleven plus `adjacent_purchase` for the fish-pond answers). A researcher renames them, rewrites a
description, adds example quotes, adds categories of their own ("pricing", JTBD's push / pull /
anxiety / habit) or removes one. Each change is a researcher edit (`overlay`, entity "category"),
so it survives re-mining and has a history like every other edit.

Why a new category works without training data: the categorizer gets, per category, a
`CategoryPrior` with the study's guide questions that collect it (guide.py), its description and
its example quotes; these become prototypes next to the built-in ones, so the category is scored
zero-shot from the first mine, and corrections into it train the same correction classifiers as
the built-in categories.

Removing a category never drops a quote: its quotes read as "other" (`Codebook.effective`) and
the categorizer no longer proposes it, but every correction stays stored, so restoring the
category brings them back. The structural categories (`REQUIRED_CATEGORIES`: the recommendation
score and its reasons, and "other" itself) cannot be removed.

The codebook also travels as a plain YAML file (`to_yaml` / `import_yaml`): a list of
{key, title, description, examples}; a file that does not parse is refused with the line named.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from .categorize import QUESTION_PROTOTYPES, QUOTE_PROTOTYPES, REQUIRED_CATEGORIES, CategoryPrior
from .errors import InterviewMinerError
from .models import CodebookEntry
from .overlay import CATEGORY_KEY, Edit, EditError, apply_category_edits
from .vocab import DEFAULT_CATEGORIES

if TYPE_CHECKING:
    from .guide import Guide
    from .store import Store

FALLBACK = "other"


class CodebookFileError(InterviewMinerError, ValueError):
    """A codebook or guide file that does not parse or does not describe valid entries; the
    message names the line."""


def default_entries() -> list[CodebookEntry]:
    """The package's categories as codebook entries (fresh objects: callers may edit them)."""
    return [CodebookEntry(c.key, c.title, c.description, [], True) for c in DEFAULT_CATEGORIES]


_DEFAULT_DESCRIPTION = {c.key: c.description for c in DEFAULT_CATEGORIES}


@dataclass(frozen=True)
class Codebook:
    """The study's categories in reading order (the order of exports and the Themes board)."""

    entries: tuple[CodebookEntry, ...]

    @classmethod
    def default(cls) -> Codebook:
        return cls(tuple(default_entries()))

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(e.key for e in self.entries)

    def get(self, key: str) -> CodebookEntry | None:
        return next((e for e in self.entries if e.key == key), None)

    def title(self, key: str | None) -> str:
        """What a researcher reads for a category key; a removed category reads as its words."""
        entry = self.get(key) if key else None
        if entry:
            return entry.title
        return key.replace("_", " ").capitalize() if key else "Uncategorised"

    def rank(self, key: str | None) -> int:
        """Position in reading order (unknown keys last), for sorting."""
        return self.keys.index(key) if key in self.keys else len(self.entries)

    def effective(self, key: str | None) -> str | None:
        """The category a quote is shown under: its own, or "other" when it was removed."""
        return key if key is None or key in self.keys else FALLBACK

    def priors(self, guide: Guide | None = None) -> list[CategoryPrior]:
        """What the categorizer is told per category: the guide's questions that collect it, and
        its description (for a category the package has no prototypes for, or whose
        description the researcher rewrote) and example quotes."""
        asked: dict[str, list[str]] = {}
        for question in guide.all_questions() if guide else ():
            asked.setdefault(question.category, []).append(question.text)
        out = []
        for e in self.entries:
            statements = list(e.examples)
            questions = list(asked.get(e.key, ()))
            if e.description and (e.key not in QUOTE_PROTOTYPES or e.description != _DEFAULT_DESCRIPTION.get(e.key)):
                statements.insert(0, e.description)
            if e.description and e.key not in QUESTION_PROTOTYPES:
                # A new category has no prototype questions: its description ("How they first
                # heard of the product") is the best statement of what is asked to collect it.
                questions.append(e.description)
            out.append(CategoryPrior(e.key, tuple(questions), tuple(statements)))
        return out


def load(store: Store) -> Codebook:
    """The study's codebook: defaults with the researcher's category edits applied."""
    return Codebook(tuple(apply_category_edits(default_entries(), store.current_edits("category"))))


# ---------------------------------------------------------------------------------------------
# Researcher operations (each writes edits; the codebook is never stored whole)
# ---------------------------------------------------------------------------------------------


def category_key(title: str) -> str:
    """A key for a new category from its title: 'Pricing & cost' -> 'pricing_cost'."""
    key = re.sub(r"[^a-z0-9]+", "_", title.casefold()).strip("_")[:40]
    return key if key and key[0].isalpha() else f"c_{key}"[:40]


def add_category(store: Store, title: str, description: str, examples: Sequence[str] = (),
                 key: str | None = None) -> str:
    """A researcher-made category; returns its key. A key that exists (or existed and was
    removed) is refused: restore or edit that one instead."""
    key = key or category_key(title)
    if not CATEGORY_KEY.match(key):
        raise EditError(f"category key {key!r} must be lowercase letters, digits and _")
    known = set(Codebook.default().keys) | set(store.current_edits("category"))
    if key in known:
        raise EditError(f"category {key!r} already exists (edit it, or restore it if it was removed)")
    if not description.strip():
        raise EditError("a new category needs a description: it is what quotes are matched against")
    edits = [Edit("category", key, "created", {"title": title}), Edit("category", key, "description", description)]
    if examples:
        edits.append(Edit("category", key, "examples", [x for x in examples if x.strip()]))
    with store.transaction():
        for edit in edits:
            store.save_edit(edit)
    return key


def update_category(store: Store, key: str, *, title: str | None = None, description: str | None = None,
                    examples: Sequence[str] | None = None) -> None:
    """Rename a category, rewrite its description or set its example quotes."""
    if key not in load(store).keys:
        raise EditError(f"unknown category {key!r} (one of: {', '.join(load(store).keys)})")
    with store.transaction():
        for field, value in (("title", title), ("description", description), ("examples", examples)):
            if value is not None:
                store.save_edit(Edit("category", key, field, list(value) if field == "examples" else value))


def remove_category(store: Store, key: str) -> None:
    """Remove a category from the codebook: its quotes read as "other" and are re-categorized on
    the next mine; nothing is dropped (see `restore_category`)."""
    if key in REQUIRED_CATEGORIES:
        raise EditError(f"category {key!r} is part of every codebook and cannot be removed")
    if key not in load(store).keys:
        raise EditError(f"unknown category {key!r}")
    store.save_edit(Edit("category", key, "deleted", True))


def restore_category(store: Store, key: str) -> None:
    """Bring a removed category back, with its quotes' corrections."""
    if not store.current_edits("category", [key]).get(key, {}).get("deleted"):
        raise EditError(f"category {key!r} was not removed")
    store.save_edit(Edit("category", key, "deleted", False))


def removed_categories(store: Store) -> list[str]:
    """Keys of removed categories (restorable)."""
    return sorted(k for k, e in store.current_edits("category").items() if e.get("deleted"))


# ---------------------------------------------------------------------------------------------
# The plain file
# ---------------------------------------------------------------------------------------------


def to_yaml(codebook: Codebook) -> str:
    """The codebook as a YAML list a researcher can edit and import again."""
    rows = [{"key": e.key, "title": e.title, "description": e.description, "examples": list(e.examples)}
            for e in codebook.entries]
    return yaml.safe_dump({"categories": rows}, sort_keys=False, allow_unicode=True, width=100)


def parse_yaml(text: str, what: str = "codebook") -> Any:
    """YAML text -> data; CodebookFileError naming the line when it does not parse."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark, context = getattr(err, "problem_mark", None), getattr(err, "context_mark", None)
        mark = mark or context
        where = f"line {mark.line + 1}" if mark is not None else "somewhere"
        if context is not None and context.line != mark.line:  # an unclosed bracket or quote
            where += f" ({err.context} at line {context.line + 1})"
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise CodebookFileError(f"{what} file does not parse at {where}: {problem}") from None


def _line_of(text: str, key: str) -> int | None:
    for n, line in enumerate(text.splitlines(), 1):
        if re.search(rf"\bkey:\s*['\"]?{re.escape(key)}\b", line):
            return n
    return None


def entries_from_yaml(text: str) -> list[CodebookEntry]:
    """Parse a codebook file; every problem names the line (or the entry) it is on."""
    data = parse_yaml(text)
    rows = data.get("categories") if isinstance(data, Mapping) else data
    if not isinstance(rows, list) or not rows:
        raise CodebookFileError("codebook file must hold a list under 'categories:' (line 1)")
    out: list[CodebookEntry] = []
    for n, row in enumerate(rows, 1):
        key = row.get("key") if isinstance(row, Mapping) else None
        where = f"line {_line_of(text, key)}" if isinstance(key, str) and _line_of(text, key) else f"entry {n}"
        if not isinstance(key, str) or not CATEGORY_KEY.match(key):
            raise CodebookFileError(f"codebook file, {where}: each category needs a key of lowercase letters, digits and _")
        examples = row.get("examples") or []
        if not isinstance(row.get("title", ""), str) or not isinstance(examples, list):
            raise CodebookFileError(f"codebook file, {where}: title must be text and examples a list")
        out.append(CodebookEntry(key, str(row.get("title") or key), str(row.get("description") or ""),
                                 [str(x) for x in examples]))
    return out


def import_yaml(store: Store, text: str) -> list[str]:
    """Make the study's codebook the file's: changed fields are edited, new keys added, keys the
    file leaves out removed (recoverably). Returns one line per change. Nothing is written when
    the file is refused."""
    wanted = entries_from_yaml(text)
    missing = [k for k in REQUIRED_CATEGORIES if k not in {e.key for e in wanted}]
    if missing:
        raise CodebookFileError(f"codebook file leaves out {', '.join(missing)}, which every codebook keeps")
    current = {e.key: e for e in load(store).entries}
    removed = set(removed_categories(store))
    edits: list[Edit] = []
    changes: list[str] = []
    for e in wanted:
        have = current.get(e.key)
        if have is None and e.key in removed:
            edits.append(Edit("category", e.key, "deleted", False))
            changes.append(f"restored {e.key}")
        if have is None and e.key not in removed and e.key not in Codebook.default().keys:
            if not e.description.strip():
                raise CodebookFileError(f"codebook file, line {_line_of(text, e.key)}: new category {e.key!r} needs a description")
            edits.append(Edit("category", e.key, "created", {"title": e.title}))
            changes.append(f"added {e.key}")
        for field in ("title", "description", "examples"):
            if have is None or getattr(have, field) != getattr(e, field):
                edits.append(Edit("category", e.key, field, getattr(e, field)))
        if have is not None and any(getattr(have, f) != getattr(e, f) for f in ("title", "description", "examples")):
            changes.append(f"edited {e.key}")
    for key in current:
        if key not in {e.key for e in wanted}:
            edits.append(Edit("category", key, "deleted", True))
            changes.append(f"removed {key} (its quotes read as other)")
    with store.transaction():
        for edit in edits:
            store.save_edit(edit)
    return changes

