"""Tests for the greedy oracle: its scores against rouge-score and its selection rule."""

from __future__ import annotations

import itertools

import pytest
from rouge_score import rouge_scorer

from model.evaluation.rouge_fast import Reference
from model.training.oracle import (
    RougeSelection,
    oracle_labels,
    sentence_ngrams,
    sentence_rouge_targets,
)
from model.types import Budget

ARTICLE = [
    "The council approved the new bridge on Monday.",
    "Weather was mild.",
    "The bridge will cost 40 million pounds.",
    "",
    "Critics said the bridge cost too much money.",
    "Local cafes reported a busy weekend.",
]
REFERENCE = ["Council approves 40 million pound bridge.", "Critics say it costs too much."]


def rouge_score_sum(chosen: list[str], reference: list[str]) -> float:
    scores = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True).score(
        "\n".join(reference), "\n".join(chosen)
    )
    return float(scores["rouge1"].fmeasure + scores["rouge2"].fmeasure)


def test_selection_scores_equal_rouge_score_on_every_small_selection() -> None:
    reference = Reference.from_sentences(REFERENCE)
    sentences = [sentence_ngrams(text, reference) for text in ARTICLE]
    for size in (1, 2, 3, 4):
        for combination in itertools.permutations(range(len(ARTICLE)), size):
            selection = RougeSelection(sentences, reference)
            for index in combination[:-1]:
                selection.add(index)
            chosen = sorted(combination)
            expected = rouge_score_sum([ARTICLE[i] for i in chosen], REFERENCE)
            assert selection.score_with(combination[-1]) == pytest.approx(expected, abs=1e-6)
            selection.add(combination[-1])
            assert selection.score() == pytest.approx(expected, abs=1e-6)
            assert selection.chosen == chosen


def test_selection_counts_bigrams_across_sentence_boundaries() -> None:
    sentences = ["x a b", "", "c d y", "b c"]
    reference = Reference.from_sentences(["a b c d"])
    selection = RougeSelection([sentence_ngrams(text, reference) for text in sentences], reference)
    for index in (2, 1, 0):  # "b c" spans the boundary once "x a b" joins before "c d y"
        selection.add(index)
    assert selection.score() == pytest.approx(rouge_score_sum(["x a b", "c d y"], ["a b c d"]))
    before = selection.score()
    selection.add(3)  # splits that boundary: (b, c) now comes from inside sentence 3 instead
    assert selection.score() == pytest.approx(
        rouge_score_sum(["x a b", "c d y", "b c"], ["a b c d"])
    )
    assert selection.score() != before


def test_selection_refuses_a_sentence_twice() -> None:
    reference = Reference.from_sentences(REFERENCE)
    selection = RougeSelection([sentence_ngrams(text, reference) for text in ARTICLE], reference)
    selection.add(1)
    with pytest.raises(ValueError, match="already chosen"):
        selection.add(1)


def brute_force_greedy(sentences: list[str], reference: list[str], limit: int) -> list[int]:
    chosen: list[int] = []
    best = 0.0
    while len(chosen) < limit:
        scored = [
            (rouge_score_sum([sentences[j] for j in sorted([*chosen, i])], reference), -i)
            for i in range(len(sentences))
            if i not in chosen
        ]
        score, negative_index = max(scored)
        if score <= best:
            break
        chosen.append(-negative_index)
        best = score
    return sorted(chosen)


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_oracle_matches_greedy_search_with_rouge_score(limit: int) -> None:
    assert oracle_labels(ARTICLE, REFERENCE, limit) == brute_force_greedy(ARTICLE, REFERENCE, limit)


def test_oracle_picks_the_matching_sentences() -> None:
    assert oracle_labels(ARTICLE, REFERENCE, 3) == [2, 4]  # stops: a third adds nothing


def test_oracle_stops_when_nothing_improves() -> None:
    assert oracle_labels(["unrelated words here", "more noise"], ["the reference"], 3) == []


def test_oracle_budget_ratio_scales_with_document_length() -> None:
    sentences = [f"fact number {i} is here." for i in range(10)]
    reference = [f"fact number {i} is here." for i in range(6)]
    assert oracle_labels(sentences, reference, Budget(ratio=0.4)) == [0, 1, 2, 3]
    assert oracle_labels(sentences, reference, 6) == [0, 1, 2, 3, 4, 5]


def test_oracle_handles_empty_inputs() -> None:
    assert oracle_labels([], ["ref"], 3) == []
    assert oracle_labels(["a sentence"], [], 3) == []


def test_oracle_rejects_a_zero_maximum() -> None:
    with pytest.raises(ValueError, match="at least one"):
        oracle_labels(["a"], ["a"], 0)


def test_soft_targets_give_the_best_sentence_one_and_unrelated_ones_zero() -> None:
    targets = sentence_rouge_targets(ARTICLE, REFERENCE)
    assert len(targets) == len(ARTICLE)
    assert max(targets) == 1.0
    assert min(targets) >= 0.0
    best = max(range(len(ARTICLE)), key=targets.__getitem__)
    assert best in oracle_labels(ARTICLE, REFERENCE, 3)
    assert sentence_rouge_targets(["unrelated words", "more noise"], ["the reference"]) == [0, 0]
