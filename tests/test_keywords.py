"""Theme keywords (keywords.py): c-TF-IDF proposes, the theme's meaning chooses.

Real MiniLM (the bundled default encoder), no stand-in: the point is what a real embedding says of a
misheard pair next to the words a theme is about."""
from __future__ import annotations

import numpy as np
import pytest

from interview_miner import embed, keywords

# Three themes as a transcript gives them; the third invoice quote holds a pair said once across a
# misheard stretch ("recent scripture"), which c-TF-IDF ranks beside the theme's real words.
THEMES = ["We chase late invoices by hand every week.\nChasing late invoices takes the whole Friday.\n"
          "Invoices went out late, the recent scripture never matched.",
          "Support answered within the hour.\nTheir support team called me back the same day.",
          "The price went up at renewal.\nThe monthly price is too high for a small practice."]


@pytest.fixture(scope="module")
def encode():
    encoder = embed.load_embedder()
    return lambda texts: np.asarray(encoder.encode(texts))


@pytest.fixture(scope="module")
def centroids(encode):
    out = []
    for doc in THEMES:
        c = encode(doc.split("\n")).mean(axis=0)
        out.append(c / np.linalg.norm(c))
    return out


def test_a_pair_said_once_that_means_nothing_near_the_theme_gives_way(encode, centroids):
    counted = keywords.distinctive_terms(THEMES, 4)
    assert "recent scripture" in counted[0]  # what c-TF-IDF alone shows: the case is real
    chosen = keywords.theme_keywords(THEMES, 4, centroids, encode)
    assert "recent scripture" not in chosen[0], chosen
    assert chosen[0][0] == "invoices" and chosen[1][0] == "support", chosen
    for got, proposed in zip(chosen, keywords.distinctive_terms(THEMES, 4 * keywords.CANDIDATES_PER_KEYWORD)):
        assert len(got) == 4 and set(got) <= set(proposed)  # only ever c-TF-IDF's own candidates


def test_a_likely_misheard_word_is_no_keyword(encode, centroids):
    odd = [lambda w: w == "scripture", None, None]
    chosen = keywords.theme_keywords(THEMES, 6, centroids, encode, odd)
    assert not [t for t in chosen[0] if "scripture" in t] and len(chosen[0]) == 6, chosen


def test_without_an_encoder_the_counts_decide():
    assert keywords.theme_keywords(THEMES, 4) == keywords.distinctive_terms(THEMES, 4)


def test_plural_and_possessive_forms_are_one_keyword():
    assert keywords._same_thing("practice managers", "practice manager's")
    assert keywords._same_thing("invoices", "late invoice")
    assert not keywords._same_thing("price", "support")
