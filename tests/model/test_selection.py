"""Tests for sentence selection: budgets, trigram blocking and document order."""

from __future__ import annotations

import pytest

from model.selection import select_sentences, summarize_scores
from model.types import Budget
from tests.helpers import as_sentences

SENTENCES = [
    "The cat sat on the mat.",
    "A dog barked at the postman loudly.",
    "The cat sat on the mat again today.",
    "Rain fell all day.",
    "Markets rose sharply.",
]
SCORES = [0.9, 0.5, 0.8, 0.3, 0.7]


def test_top_k_in_document_order_with_trigram_blocking() -> None:
    assert select_sentences(SENTENCES, SCORES, Budget(num_sentences=3)) == [0, 1, 4]


def test_without_blocking_redundant_sentence_is_taken() -> None:
    chosen = select_sentences(SENTENCES, SCORES, Budget(num_sentences=3), trigram_blocking=False)
    assert chosen == [0, 2, 4]


def test_ratio_budget() -> None:
    assert len(select_sentences(SENTENCES, SCORES, Budget(ratio=0.4))) == 2


def test_word_budget_is_never_exceeded() -> None:
    for limit in range(1, 30):
        chosen = select_sentences(SENTENCES, SCORES, Budget(max_words=limit))
        assert sum(len(SENTENCES[i].split()) for i in chosen) <= limit
    assert select_sentences(SENTENCES, SCORES, Budget(max_words=6)) == [0]


def test_short_document_returns_everything() -> None:
    assert select_sentences(SENTENCES[:2], SCORES[:2], Budget(num_sentences=5)) == [0, 1]


def test_mismatched_scores_are_refused() -> None:
    with pytest.raises(ValueError):
        select_sentences(SENTENCES, SCORES[:2], Budget())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_sentences": 0},
        {"ratio": 0.0},
        {"ratio": 1.5},
        {"max_words": 0},
        {"num_sentences": 2, "ratio": 0.5},
    ],
)
def test_invalid_budgets(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Budget(**kwargs)  # type: ignore[arg-type]


def test_a_document_shorter_than_the_count_comes_back_whole_without_blocking() -> None:
    sentences = as_sentences(["The cat sat on the mat.", "The cat sat on the mat again."])
    summary = summarize_scores(sentences, [0.9, 0.8], Budget(num_sentences=3))
    assert [s.index for s in summary.sentences] == [0, 1]
    assert summary.fewer_sentences_than_requested
    blocked = summarize_scores(sentences, [0.9, 0.8], Budget(num_sentences=2))
    assert [s.index for s in blocked.sentences] == [0]
    assert not blocked.fewer_sentences_than_requested


@pytest.mark.parametrize(
    "budget", [Budget(ratio=1.0), Budget(max_words=100), Budget(num_sentences=6)]
)
def test_only_a_count_larger_than_the_document_is_flagged(budget: Budget) -> None:
    sentences = as_sentences(SENTENCES)
    summary = summarize_scores(sentences, SCORES, budget, trigram_blocking=False)
    assert summary.fewer_sentences_than_requested is (budget.num_sentences is not None)
    assert summary.scores == [float(x) for x in SCORES]
    assert [s.score for s in summary.sentences] == [SCORES[s.index] for s in summary.sentences]
