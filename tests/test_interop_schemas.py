"""Every JSON document the tool writes or prints validates against its shipped, versioned schema."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from corpus_fixture import load_literal_study
from interview_miner import export as E
from interview_miner import persona_review
from interview_miner.cli import main
from interview_miner.schemas import NAMES, load_schema

HELDOUT = Path(__file__).parent / "data" / "heldout"


def assert_matches_schema(name: str, doc) -> None:
    validator = Draft202012Validator(load_schema(name))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    assert doc["schema_version"] == 1


@pytest.mark.parametrize("name", NAMES)
def test_each_schema_is_a_valid_versioned_json_schema(name):
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"urn:interview-miner:schema:{name}:1"
    assert "schema_version" in schema["required"]


@pytest.mark.parametrize("hostile", [False, True])
def test_study_export_matches_its_schema(store, hostile):
    load_literal_study(store, hostile=hostile)
    persona_review.suggest_and_save(store)
    assert_matches_schema("study", json.loads(E.render_study(E.load_study(store), "json")))


def test_empty_study_export_matches_its_schema(store):
    assert_matches_schema("study", json.loads(E.render_study(E.load_study(store), "json")))


def test_a_document_that_breaks_the_contract_is_rejected(store):
    load_literal_study(store)
    doc = json.loads(E.render_study(E.load_study(store), "json"))
    doc["quotes"][0]["category"] = "gossip"
    del doc["schema_version"]
    errors = list(Draft202012Validator(load_schema("study")).iter_errors(doc))
    assert {e.validator for e in errors} >= {"required", "enum"}


def test_cli_json_outputs_match_their_schemas(store, capsys):
    load_literal_study(store)
    db = ["--db", store.path]
    assert main(["list", "--json", *db]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert_matches_schema("list", listed)
    assert len(listed["interviews"]) == 4
    assert main(["transcript", "1", "--format", "json", *db]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert_matches_schema("transcript", doc)
    assert doc["interview"] == listed["interviews"][0]
    assert main(["personas", "--suggest", "--json", *db]) == 0
    personas = json.loads(capsys.readouterr().out)
    assert_matches_schema("personas", personas)
    assert main(["personas", "show", personas["personas"][0]["id"], "--json", *db]) == 0
    assert_matches_schema("persona", json.loads(capsys.readouterr().out))


@pytest.mark.slow
def test_mine_and_eval_json_match_their_schemas(store, capsys):
    load_literal_study(store)
    assert main(["mine", "--json", "--db", store.path]) == 0
    assert_matches_schema("mine", json.loads(capsys.readouterr().out))
    assert main(["eval", str(HELDOUT), "--reference-transcripts", "--json"]) == 0
    assert_matches_schema("eval", json.loads(capsys.readouterr().out))
