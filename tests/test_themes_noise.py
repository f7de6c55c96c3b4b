"""Themes under ASR noise: a misheard quote leans on the answer it was said in.

A small hand-written study (a bakery chain choosing ordering software; not the dev corpus), the
bundled MiniLM and scikit-learn's HDBSCAN: nothing is mocked.
"""
from __future__ import annotations

import numpy as np
import pytest

from interview_miner import embed, quotes as quotes_mod, themes
from interview_miner.models import Quote

QUESTION = "What worried you most before you switched?"
# (participant, what they said, mean word probability the recogniser gave it). Each answer names
# two worries (losing the order history, staff not using it), as answers to this question do.
STUDY = [
    (1, "I was scared we'd lose years of customer orders when we moved everything across.", 0.95),
    (1, "Our bakers are not computer people and I thought they'd refuse to touch a tablet.", 0.93),
    (2, "Mostly that the migration would wipe out the wholesale order history.", 0.94),
    (2, "And I doubted the night shift would bother learning a new screen.", 0.92),
    (3, "Losing the standing orders from our cafes during the switch.", 0.96),
    (3, "The older staff just wouldn't use an app, I was sure of it.", 0.95),
    (4, "That all our customer records would go missing in the import.", 0.93),
    (4, "I worried the counter staff would keep writing orders on paper anyway.", 0.94),
    (5, "Data loss, honestly, years of orders sitting in an old spreadsheet.", 0.95),
    (5, "Getting the team to actually use it instead of the notebook.", 0.92),
    # Participant 6 makes one point; its second sentence was misheard ("And the old records just
    # vanished overnight"), so its own words place it nowhere.
    (6, "I was terrified our order history would disappear when we changed over.", 0.95),
]
MISHEARD = "And the old wreck hurts just van ished over nigh."


@pytest.fixture(scope="module")
def encoder():
    return embed.load_embedder()


def _study(encoder, misheard_confidence: float) -> tuple[list[Quote], np.ndarray]:
    rows = [*STUDY, (6, MISHEARD, misheard_confidence)]
    quotes = [Quote(id=f"q_{k:03d}", interview_id=p, start=float(k), end=k + 1.0, index=k, text=text,
                    question=QUESTION, category="fear", asr_confidence=conf)
              for k, (p, text, conf) in enumerate(rows)]
    return quotes, encoder.encode([quotes_mod.embedding_text(q.text) for q in quotes])


def _theme_of(result: themes.ThemeList, quote_id: str) -> str | None:
    return next((t.id for t in result if quote_id in t.quote_ids), None)


def test_a_low_confidence_quote_joins_the_theme_of_its_answer(encoder):
    quotes, vectors = _study(encoder, misheard_confidence=0.32)
    result = themes.build_themes(quotes, vectors)
    history = _theme_of(result, "q_010")  # participant 6's clearly heard sentence
    assert history is not None
    assert _theme_of(result, "q_011") == history
    # The confidently heard answers keep their two worries apart.
    assert _theme_of(result, "q_001") not in (None, history)


def test_the_same_words_heard_confidently_stay_unthemed_and_visible(encoder):
    """Context moves a quote only as far as its own words are in doubt: typed or clearly heard
    words that fit no theme are a point of their own, left for the researcher to assign."""
    quotes, vectors = _study(encoder, misheard_confidence=1.0)
    result = themes.build_themes(quotes, vectors)
    assert _theme_of(result, "q_011") is None
    assert _theme_of(result, "q_010") is not None
