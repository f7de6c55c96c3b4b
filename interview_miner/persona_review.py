"""Researcher review operations on personas (the evidence itself is reviewed in `review.py`).

Re-suggest (the `personas` stage over what is in the store), create, rename, edit any field, pick
the quotes behind a claim, set members, delete and restore. Every change is one typed
`overlay.Edit.persona(id, field, value)` stored with `store.save_edit`, so two tabs editing
different fields of one persona never overwrite each other, and edits survive re-suggesting
(persona ids are stable). How the edits apply is `overlay.apply_persona_edits`.

    >>> from interview_miner.store import Store
    >>> store = Store(":memory:")
    >>> p = create_persona(store, "Owner-clinician")
    >>> p = set_field(store, p.id, "goals", "Grow without hiring")
    >>> (p.name, p.fields["goals"].text)
    ('Owner-clinician', 'Grow without hiring')
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from .mining import Miner
from .models import PERSONA_FIELDS, Persona
from .overlay import PERSONA_ATTRIBUTES, Edit, EditError, persona_field_key
from .overview import unclear_names
from .personas import MAX_GROUPS
from .review import clean_text


def suggest_and_save(store, max_groups: int = MAX_GROUPS, miner: Miner | None = None,
                     language: str | None = None) -> list[Persona]:
    """Re-suggest personas from the store's quotes, themes and NPS (edits applied) with the
    miner's persona stage, save them as the machine personas, and return what the researcher now
    sees (edits applied on top). `language`: the study's language setting, which claims and names
    are written in (None: the interviews' own, `languages.written_language`). Themes whose name
    may be misheard are passed over for persona names where another sets the group apart as well."""
    quotes = store.quotes()
    unclear = [u.theme.id for u in unclear_names(store)]  # names not to call a persona by, where another will do
    suggested = (miner or Miner()).suggest_personas(
        store.list_interviews(), quotes, store.themes(quotes), store.nps(),
        max_groups=max_groups, previous=store.personas(),
        # a custom persona stage need not take these
        **({"language": language} if language else {}), **({"unclear_names": unclear} if unclear else {}),
    )
    store.save_personas(suggested)
    return store.personas()


def list_personas(store) -> list[Persona]:
    return store.personas()


def get_persona(store, persona_id: str) -> Persona:
    for p in store.personas():
        if p.id == persona_id:
            return p
    raise KeyError(f"no persona with id {persona_id}")


def create_persona(store, name: str, interview_ids: Iterable[int] = ()) -> Persona:
    """A researcher-made persona (id `u_…`), empty fields ready to fill."""
    name = _clean(name, "name")
    pid = "u_" + uuid.uuid4().hex[:10]
    with store.transaction():
        store.save_edit(Edit.persona(pid, "created", {"name": name}))
        ids = sorted({int(i) for i in interview_ids})
        if ids:
            _check_interviews(store, ids)
            store.save_edit(Edit.persona(pid, "interview_ids", ids))
    return get_persona(store, pid)


def rename_persona(store, persona_id: str, name: str) -> Persona:
    return set_field(store, persona_id, "name", name)


def set_field(store, persona_id: str, field: str, value: str) -> Persona:
    """Set `name`, `role`, `demographics`, `description`, `avatar`, or a PERSONA_FIELDS text
    (`goals`, `fears`, ... or the explicit `fields.goals.text`)."""
    get_persona(store, persona_id)
    key = _field_key(field)
    if key == "name":
        value = _clean(value, "name")
    store.save_edit(Edit.persona(persona_id, key, "" if value is None else str(value)))
    return get_persona(store, persona_id)


def set_quotes(store, persona_id: str, field: str, quote_ids: Sequence[str]) -> Persona:
    """Pick the supporting quotes of one persona field (replaces that field's list)."""
    get_persona(store, persona_id)
    fname = _persona_field_name(field)
    known = {q.id for q in store.quotes()}
    missing = [q for q in quote_ids if q not in known]
    if missing:
        raise EditError(f"unknown quote id(s): {', '.join(missing)}")
    store.save_edit(Edit.persona(persona_id, persona_field_key(fname, "quote_ids"), list(dict.fromkeys(quote_ids))))
    return get_persona(store, persona_id)


def set_members(store, persona_id: str, interview_ids: Iterable[int]) -> Persona:
    """Move interviews into / out of a persona (its member list, not its field texts)."""
    get_persona(store, persona_id)
    ids = sorted({int(i) for i in interview_ids})
    _check_interviews(store, ids)
    store.save_edit(Edit.persona(persona_id, "interview_ids", ids))
    return get_persona(store, persona_id)


def delete_persona(store, persona_id: str) -> None:
    get_persona(store, persona_id)
    store.save_edit(Edit.persona(persona_id, "deleted", True))


def restore_persona(store, persona_id: str) -> Persona:
    store.save_edit(Edit.persona(persona_id, "deleted", False))
    return get_persona(store, persona_id)


def _field_key(field: str) -> str:
    f = field.strip()
    if f in PERSONA_ATTRIBUTES:
        return f
    if f.startswith("fields."):
        parts = f.split(".")
        if len(parts) == 3 and parts[1] in PERSONA_FIELDS and parts[2] == "text":
            return f
    elif f in PERSONA_FIELDS:
        return persona_field_key(f)
    raise EditError(
        f"unknown persona field {field!r}: use one of {', '.join(PERSONA_ATTRIBUTES + PERSONA_FIELDS)}"
    )


def _persona_field_name(field: str) -> str:
    f = field.strip().removeprefix("fields.").removesuffix(".quote_ids")
    if f not in PERSONA_FIELDS:
        raise EditError(f"unknown persona field {field!r}: use one of {', '.join(PERSONA_FIELDS)}")
    return f


def _check_interviews(store, ids: Sequence[int]) -> None:
    known = {i.id for i in store.list_interviews()}
    missing = [str(i) for i in ids if i not in known]
    if missing:
        raise EditError(f"unknown interview id(s): {', '.join(missing)}")


def _clean(value: str, what: str) -> str:
    return clean_text(value, f"persona {what}")
