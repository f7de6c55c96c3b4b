"""JSON Schemas (draft 2020-12) of every JSON document the tool writes or prints: the study
export, the transcript JSON and each command's `--json` output. They ship inside the package
(`load_schema("study")`), so another program can validate what it reads from us, and the tests
validate real outputs against them.

Each document carries `schema_version`; a schema file is named `<name>.v<version>.json` and its
`$id` is `urn:interview-miner:schema:<name>:<version>`. The version is bumped, and a new file
added, only when a key is renamed or removed or its type changes; new keys may appear at any time
(the schemas allow them).
"""
from __future__ import annotations

import json
from importlib import resources
from typing import Any

SCHEMA_VERSION = 1
NAMES = ("study", "transcript", "list", "personas", "persona", "mine", "eval")


def load_schema(name: str, version: int = SCHEMA_VERSION) -> dict[str, Any]:
    """The JSON Schema of one output, e.g. `load_schema("list")` for `list --json`."""
    if name not in NAMES:
        raise KeyError(f"no schema {name!r} (one of {', '.join(NAMES)})")
    return json.loads(resources.files(__name__).joinpath(f"{name}.v{version}.json").read_text(encoding="utf-8"))


def versioned(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` with `schema_version` first: how every JSON output says which schema it follows."""
    return {"schema_version": SCHEMA_VERSION, **payload}
