"""Interview-guide questions are filed under the category they collect, on the bundled MiniLM.

The interviewer's question is the categorizer's strongest signal: a channel question filed as a
trigger files its whole answer there, and every theme and persona claim built on it. The banks in
tests/data/guide_questions.tsv are written like real guides (customer discovery, switch and
buyer-persona interviews) in wordings the built-in prototypes do not contain; banks A and D were
used to fix the cue patterns, B, C and E were not (see the file's header for what was read when).
Each question is judged on its own, as the first question of an answer (no earlier topic to inherit).
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
def file_question():
    """questions -> the category each is filed under on its own."""
    embedder = embed.load_embedder()
    model = categorize.Categorizer(embedder.encode)

    def file(questions: list[str]) -> list[str]:
        logits, _ = model.question_logits(questions, embedder.encode(questions))
        return [model.keys[int(k)] for k in logits.argmax(axis=1)]
    return file


@pytest.fixture(scope="module")
def filed(file_question) -> dict[str, list[tuple[str, str, str]]]:
    """Per bank: (true category, filed category, question)."""
    return {bank: [(c, got, q) for (c, q), got in zip(rows, file_question([q for _, q in rows]))]
            for bank, rows in _banks().items()}


def _share_right(rows) -> float:
    return sum(truth == got for truth, got, _ in rows) / len(rows)


def test_the_banks_cover_every_question_type():
    banks = _banks()
    assert set(banks) == {"A", "B", "C", "D", "E", "F", "G", "H"}
    for bank, rows in banks.items():
        if bank not in "GH":  # G and H probe one question type (what has changed since) and its neighbours
            assert {c for c, _ in rows} >= set(categorize.CATEGORIES) - {"adjacent_purchase", "nps_score", "nps_reason"}, bank


def test_guide_questions_are_filed_under_what_they_ask(filed):
    # Measured 2026-12-02: A 72/74 and D 43/44 (the banks the cues were fitted to); B 47/56,
    # C 36/43, E 35/42, F 20/25 (138/166 = 0.83; the code before these changes: 123/166 = 0.74).
    # 2026-12-03, with realised outcomes: E 36/42, H 15/20 (B, C, E, F, H: 154/186 = 0.83).
    unseen = filed["B"] + filed["C"] + filed["E"] + filed["F"] + filed["H"]
    misses = [f"{q!r}: {truth} filed as {got}" for truth, got, q in unseen if truth != got]
    assert _share_right(filed["A"]) >= 0.95 and _share_right(filed["D"]) >= 0.95
    assert _share_right(unseen) >= 0.80, "\n".join(misses)
    # The recommendation question is structural: never missed, in any bank.
    for rows in filed.values():
        assert all(got == "nps_score" for truth, got, _ in rows if truth == "nps_score")


def test_a_question_about_the_team_is_not_background_when_it_asks_for_objections(filed):
    by_question = {q: got for rows in filed.values() for _, got, q in rows}
    assert by_question["Were there any objections from your boss or your team?"] == "objection"
    assert by_question["How big is your team?"] == "other"
    assert by_question["Were you considering anything else back then?"] == "alternatives"
    assert by_question["What was the catch for you?"] == "objection"


def test_a_time_of_day_before_is_not_the_way_things_were_done_before(file_question):
    # "doing / using ... before that" asks what came before the product; "before work" does not.
    assert file_question(["What do you use every morning before work?",
                          "And what were you using before that?"]) == ["usage", "alternatives"]


def test_a_question_about_what_has_changed_since_asks_for_an_outcome(filed):
    """Guides ask what has changed as often as what was hoped for; every outcome prototype was a
    hoped-for one, so "What has changed since you started using it?" went to the fish-pond
    category and "What's better now than before?" to background. Measured 2026-12-03: 14 of 15
    outcome questions of banks G (fitted) and H (written after) filed as outcomes; 4 of 15 before."""
    outcome = [(got, q) for bank in "GH" for truth, got, q in filed[bank] if truth == "outcome"]
    assert sum(got == "outcome" for got, _ in outcome) >= 13, [q for got, q in outcome if got != "outcome"]
