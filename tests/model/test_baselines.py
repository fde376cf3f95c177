"""Tests for the lead, oracle and TextRank systems."""

from __future__ import annotations

import numpy as np
import pytest

from model.baselines import (
    SYSTEMS,
    content_words,
    lead,
    oracle,
    pagerank,
    textrank,
    textrank_scores,
    textrank_similarity,
)
from model.text.data import Example
from tests.helpers import as_sentences

ARTICLE = as_sentences(
    [
        "The weather was pleasant today.",
        "The central bank raised interest rates by half a point.",
        "Banks expect the higher interest rates to slow lending.",
        "A cat was rescued from a tree.",
        "Higher rates from the central bank worry home buyers.",
    ]
)
EXAMPLE = Example("doc", " ".join(s.text for s in ARTICLE), ["The central bank raised rates."])


def test_lead_takes_the_first_k() -> None:
    assert lead(ARTICLE, EXAMPLE, 3) == [0, 1, 2]
    assert lead(ARTICLE[:2], EXAMPLE, 3) == [0, 1]


def test_oracle_reads_the_reference() -> None:
    assert oracle(ARTICLE, EXAMPLE, 3) == [1]


def test_textrank_picks_the_connected_sentences_in_document_order() -> None:
    assert textrank(ARTICLE, EXAMPLE, 3) == [1, 2, 4]


def test_textrank_handles_tiny_documents() -> None:
    assert textrank([], EXAMPLE, 3) == []
    assert textrank(ARTICLE[:1], EXAMPLE, 3) == [0]
    assert textrank(as_sentences(["...", "?!"]), EXAMPLE, 1) == [0]  # no words: ties, first wins


def test_content_words_drop_stop_words_and_stem() -> None:
    assert content_words("The banks were raising rates") == ["bank", "rais", "rate"]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (["bank", "rate"], ["rate", "rise", "bank"], 2 / (np.log(2) + np.log(3))),
        (["bank"], ["bank"], 1.0),  # log 1 + log 1 = 0: count the shared word
        ([], ["bank"], 0.0),
    ],
)
def test_textrank_similarity(a: list[str], b: list[str], expected: float) -> None:
    assert textrank_similarity(a, b) == pytest.approx(expected)


def test_pagerank_is_a_distribution_favouring_the_hub() -> None:
    star = np.array([[0, 1, 1, 1], [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]], dtype=float)
    scores = pagerank(star)
    assert scores.sum() == pytest.approx(1.0)
    assert scores[0] > scores[1] == pytest.approx(scores[2])


def test_pagerank_of_isolated_sentences_is_uniform() -> None:
    assert textrank_scores(["alpha beta", "gamma delta"]).tolist() == pytest.approx([0.5, 0.5])


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_every_registered_system_keeps_to_k_and_document_order(name: str) -> None:
    for k in (1, 2, len(ARTICLE) + 1):
        chosen = SYSTEMS[name](ARTICLE, EXAMPLE, k)
        assert 1 <= len(chosen) <= k
        assert chosen == sorted(set(chosen)) and all(0 <= i < len(ARTICLE) for i in chosen)
