"""Interview-guide questions are filed under the category they collect, on the bundled MiniLM.

The interviewer's question is the categorizer's strongest signal: a channel question filed as a
trigger files its whole answer there, and every theme and persona claim built on it. The banks in
tests/data/guide_questions.tsv are written like real guides (customer discovery, switch and
buyer-persona interviews) in wordings the built-in prototypes do not contain; bank A was used to
fix the cue patterns, bank D was written after every change (see the file's header). Each question
is judged on its own, as the first question of an answer (no earlier topic to inherit).
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from interview_miner import categorize, embed

BANKS = Path(__file__).parent / "data" / "guide_questions.tsv"


def _banks() -> dict[str, list[tuple[str, str]]]:
    banks: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for line in BANKS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            bank, category, question = line.split("\t")
            banks[bank].append((category, question))
    return banks


@pytest.fixture(scope="module")
def filed() -> dict[str, list[tuple[str, str, str]]]:
    """Per bank: (true category, filed category, question)."""
    embedder = embed.load_embedder()
    model = categorize.Categorizer(embedder.encode)
    out = {}
    for bank, rows in _banks().items():
        questions = [q for _, q in rows]
        logits, _ = model.question_logits(questions, embedder.encode(questions))
        out[bank] = [(c, model.keys[int(k)], q) for (c, q), k in zip(rows, logits.argmax(axis=1))]
    return out


def _share_right(rows) -> float:
    return sum(truth == got for truth, got, _ in rows) / len(rows)


def test_the_banks_cover_every_question_type():
    banks = _banks()
    assert set(banks) == {"A", "B", "C", "D"}
    for bank, rows in banks.items():
        assert {c for c, _ in rows} == set(categorize.CATEGORIES) - {"adjacent_purchase"}, bank


def test_guide_questions_are_filed_under_what_they_ask(filed):
    # Measured 2026-12-02: A 72/74 (the bank the cues were fitted to); B 47/56, C 35/43, D 40/44
    # (122/143 = 0.85; the code before this change: 112/143 = 0.78, D alone 39/44).
    unseen = filed["B"] + filed["C"] + filed["D"]
    misses = [f"{q!r}: {truth} filed as {got}" for truth, got, q in unseen if truth != got]
    assert _share_right(filed["A"]) >= 0.95
    assert _share_right(unseen) >= 0.82, "\n".join(misses)
    # The recommendation question is structural: never missed, in any bank.
    for rows in filed.values():
        assert all(got == "nps_score" for truth, got, _ in rows if truth == "nps_score")


def test_a_question_about_the_team_is_not_background_when_it_asks_for_objections(filed):
    by_question = {q: got for rows in filed.values() for _, got, q in rows}
    assert by_question["Were there any objections from your boss or your team?"] == "objection"
    assert by_question["How big is your team?"] == "other"
    assert by_question["Were you considering anything else back then?"] == "alternatives"
