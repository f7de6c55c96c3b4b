"""Roles participants state about themselves fill a persona's role and name when the interviews'
metadata has none. Real components: the bundled spaCy English parser. The sentences are written
for these tests (no labelled interview's content)."""
from __future__ import annotations

import pytest

from interview_miner import personas as P
from interview_miner.models import Interview, Quote, Theme
from interview_miner.persona_grouping import participants_of
from interview_miner.said_roles import said_role


@pytest.mark.parametrize("text, role", [
    ("Sure. I'm the head of marketing at a software company.", "Head of marketing"),
    ("So I'm basically the warehouse supervisor, twelve people on two shifts.", "Warehouse supervisor"),
    ("I'm an independent bookkeeper and I work with about thirty small businesses.", "Independent bookkeeper"),
    ("Well, I am the owner and head baker of a small bakery.", "Owner and head baker"),
    ("I'm the IT lead at a law firm.", "IT lead"),
    ("I'm the co-founder.", "Co-founder"),
    # a business they own, run or started says who they are
    ("Honestly, I own a little flower shop and a market stall.", "Owner"),
    ("I run three hair salons across the city.", "Owner"),
    ("I started my own landscaping company about ten years ago.", "Founder"),
])
def test_a_stated_job_is_the_role(text, role):
    assert said_role(["We have eight people.", text]) == (role, 1)


@pytest.mark.parametrize("text", [
    "I'm a big fan of anything that saves me time.",  # likes, not a job
    "I'm a heavy user of spreadsheets.",
    "I'm not the owner, my sister is.",  # negated
    "I'm the one who ends up fixing it.",  # no job noun
    "My manager is the one who decides.",  # not about the speaker
    "I'm worried about the price.",
    "I run the front desk, so the phones are mine.",  # runs a desk, a process or a team: no owner
    "I run payroll for the whole group.",
    "I run a team of six engineers.",
    "I don't own the company, I just manage the office.",
    "We own a small bakery.",  # not the speaker alone
])
def test_other_statements_are_not_roles(text):
    assert said_role([text]) is None


def _study(said: dict[int, str], metadata: dict[int, dict] | None = None):
    interviews, quotes = [], []
    for i in range(1, 5):
        interviews.append(Interview(id=i, content_hash=str(i), file_name=f"i{i}.txt", kind="transcript",
                                    participant=f"P{i}", metadata=(metadata or {}).get(i, {})))
        texts = ["Thanks for having me.", said.get(i, "We started about five years ago."), "It was chaos."]
        quotes += [Quote(id=f"q{i}_{k}", interview_id=i, start=k, end=k + 1, text=t, index=k,
                         category="trigger" if k == 2 else "other", theme_id="trigger_chaos" if k == 2 else None)
                   for k, t in enumerate(texts)]
    return interviews, quotes, [Theme(id="trigger_chaos", category="trigger", label="Chaos at the front desk")]


def test_a_persona_is_named_after_the_role_its_members_said():
    said = {1: "I'm the office manager at a dental practice.", 2: "I'm the practice manager here.",
            3: "I'm the office manager for two clinics."}
    interviews, quotes, themes = _study(said)
    found = {p.name: (p.said_role, p.said_role_quote) for p in participants_of(interviews, quotes)}
    assert found["P1"] == ("Office manager", "q1_1") and found["P4"] == ("", None)
    [persona] = P.suggest_personas(interviews, quotes, themes, {})
    # "Office manager" is 2 of 4, not a majority; "manager" is what 3 of 4 share
    assert persona.role == "Manager" and persona.name.startswith("Manager ")


def test_typed_metadata_wins_over_what_was_said_and_different_roles_are_listed():
    said = {1: "I'm a physiotherapist.", 2: "I'm a chiropractor.", 3: "I'm the office manager."}
    interviews, quotes, themes = _study(said, metadata={3: {"role": "Clinic director"}})
    assert {p.name: p.said_role for p in participants_of(interviews, quotes)}["P3"] == ""
    [persona] = P.suggest_personas(interviews, quotes, themes, {})
    assert persona.role == "Physiotherapist, chiropractor, clinic director"
    assert persona.name.startswith("Customer ")  # no role they share: the name does not pick one


def test_roles_that_share_only_their_qualifier_are_listed_after_it():
    """'Operations lead' and 'operations manager' share "operations", which alone is no job."""
    said = {1: "I'm the operations lead at an electrical contractor.", 2: "I'm the operations manager for four hotels.",
            3: "I'm the operations manager at a plumbing firm."}
    interviews, quotes, themes = _study(said)
    [persona] = P.suggest_personas(interviews, quotes, themes, {})
    assert persona.role == "Operations lead or manager"  # "operations manager" is 2 of 4: not most
    said[3] = "I'm the operations director at a plumbing firm."
    interviews, quotes, themes = _study(said)
    [persona] = P.suggest_personas(interviews, quotes, themes, {})
    assert persona.role == "Operations lead, manager or director" and persona.name.startswith("Operations lead, manager or director ")


def test_a_role_said_by_few_members_is_shown_with_how_many_said_it():
    """One of four said their job: the Role field under the persona's name read "Office manager",
    as if the persona were office managers."""
    interviews, quotes, themes = _study({1: "I'm the office manager at a dental practice."})
    [persona] = P.suggest_personas(interviews, quotes, themes, {})
    assert persona.role == "Office manager (1 of 4)" and persona.name.startswith("Customer ")
