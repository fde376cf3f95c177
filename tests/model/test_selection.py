"""Tests for sentence selection: budgets, trigram blocking and document order."""

from __future__ import annotations

import pytest

from model.selection import (
    BLOCKING_UP_TO,
    budget_share,
    select_sentences,
    summarize_scores,
    word_count,
)
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
# Seven more sentences that never score high: three sentences are then a quarter of the text.
FILLER = [f"Filler {word} stays below the others." for word in "abcdefg"]
LONG, LONG_SCORES = SENTENCES + FILLER, SCORES + [0.01] * len(FILLER)


def test_top_k_in_document_order_with_trigram_blocking() -> None:
    assert select_sentences(LONG, LONG_SCORES, Budget(num_sentences=3)) == [0, 1, 4]


def test_without_blocking_redundant_sentence_is_taken() -> None:
    chosen = select_sentences(LONG, LONG_SCORES, Budget(num_sentences=3), trigram_blocking=False)
    assert chosen == [0, 2, 4]


@pytest.mark.parametrize("budget", [Budget(num_sentences=3), Budget(ratio=0.6)])
def test_no_blocking_for_a_budget_over_a_third_of_the_document(budget: Budget) -> None:
    assert select_sentences(SENTENCES, SCORES, budget) == [0, 2, 4]  # 3 of 5 sentences
    assert select_sentences(SENTENCES, SCORES, budget, blocking_up_to=1.0) == [0, 1, 4]


def test_a_word_budget_is_blocked_by_its_share_of_the_words() -> None:
    words = sum(word_count(s) for s in LONG)
    quarter, more = Budget(max_words=words // 4), Budget(max_words=words * 4 // 10)
    assert budget_share(quarter, LONG) <= BLOCKING_UP_TO < budget_share(more, LONG)
    assert 2 not in select_sentences(LONG, LONG_SCORES, quarter)  # it repeats sentence 0
    assert 2 in select_sentences(LONG, LONG_SCORES, more)


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
    sentences_text = ["The cat sat on the mat.", "The cat sat on the mat again."]
    sentences = as_sentences(sentences_text)
    summary = summarize_scores(sentences, [0.9, 0.8], Budget(num_sentences=3))
    assert [s.index for s in summary.sentences] == [0, 1]
    assert summary.fewer_sentences_than_requested
    blocked = summarize_scores(
        as_sentences([*sentences_text, *FILLER]), [0.9, 0.8] + [0.01] * 7, Budget(num_sentences=2)
    )
    assert [s.index for s in blocked.sentences] == [0, 2]
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
