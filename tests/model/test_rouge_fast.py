"""Tests that fast ROUGE-1/2 equals Google's rouge-score."""

from __future__ import annotations

import pytest
from rouge_score import rouge_scorer

from model.evaluation.rouge_fast import Reference, rouge12_text, rouge_tokens

PAIRS = [
    ("The cats were running quickly.", "A cat runs quickly, the dogs ran."),
    ("police arrested 3 men on tuesday .", "three men were arrested by police on tuesday ."),
    ("It's a U.S.-led deal worth $1.5bn!", "the u.s. deal is worth 1.5bn dollars"),
    ("the the the the", "the cat sat on the mat"),
    ("nothing in common", "completely different words"),
    ("", "an empty prediction"),
    ("?!", "only punctuation on one side"),
    ("Généralement, ça va.", "generally it goes"),
]


@pytest.mark.parametrize(("prediction", "reference"), PAIRS)
def test_rouge12_equals_rouge_score(prediction: str, reference: str) -> None:
    expected = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True).score(
        reference, prediction
    )
    rouge1, rouge2 = rouge12_text(prediction, reference)
    assert rouge1 == pytest.approx(expected["rouge1"].fmeasure, abs=1e-6)
    assert rouge2 == pytest.approx(expected["rouge2"].fmeasure, abs=1e-6)


def test_tokens_are_stemmed_lower_case_alphanumerics() -> None:
    assert rouge_tokens("The Cats were RUNNING, it's 2024!") == [
        "the", "cat", "were", "run", "it", "s", "2024",
    ]  # fmt: skip


def test_reference_joins_sentences_into_one_stream() -> None:
    reference = Reference.from_sentences(["a b", "c"])
    assert reference.num_tokens == 3
    assert reference.bigrams[("b", "c")] == 1  # rouge-score counts bigrams across lines too
