"""Tests for ROUGE scoring, bootstrap intervals, paired gains and the report table."""

from __future__ import annotations

import numpy as np
import pytest
from rouge_score import rouge_scorer

from model.evaluation.rouge import METRICS, format_table, intervals, report, rouge_f1

PREDICTION = ["police arrested two men .", "the men were charged on friday ."]
REFERENCE = ["two men were arrested by police .", "they were charged on friday ."]


def test_rouge_f1_is_rouge_score_with_stemming_and_one_sentence_a_line() -> None:
    expected = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True).score(
        "\n".join(REFERENCE), "\n".join(PREDICTION)
    )
    scores = rouge_f1([PREDICTION, REFERENCE], [REFERENCE, REFERENCE])
    assert scores.shape == (2, 3)
    assert scores[0].tolist() == pytest.approx([expected[m].fmeasure for m in METRICS])
    assert scores[1].tolist() == pytest.approx([1.0, 1.0, 1.0])


def test_rouge_lsum_sees_sentence_lines() -> None:
    # Summary-level LCS takes the union of per-sentence matches: swapping the sentences keeps
    # ROUGE-Lsum at 1 here, while one long line would lose the order of the two halves.
    reference = ["a b c .", "d e f ."]
    swapped = rouge_f1([["d e f .", "a b c ."]], [reference])[0]
    assert swapped[2] == pytest.approx(1.0)


def test_rouge_f1_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="as many"):
        rouge_f1([PREDICTION], [])


def test_intervals_are_seeded_and_bracket_the_mean() -> None:
    values = np.random.default_rng(0).random((200, 3))
    first, second = intervals(values), intervals(values)
    assert first == second
    for column, interval in enumerate(first):
        assert interval.mid == pytest.approx(100 * values[:, column].mean())
        assert interval.low < interval.mid < interval.high
        assert interval.high - interval.low < 10  # about 4 standard errors of 100*U(0,1)/sqrt(200)


def test_intervals_of_a_constant_collapse() -> None:
    (only,) = intervals(np.full((5, 1), 0.25))
    assert (only.low, only.mid, only.high) == pytest.approx((25.0, 25.0, 25.0))


def test_intervals_need_documents() -> None:
    with pytest.raises(ValueError, match="no documents"):
        intervals(np.zeros((0, 3)))


def test_report_has_the_json_shape_and_paired_gain() -> None:
    baseline = np.random.default_rng(1).random((50, 3)) * 0.5
    system = baseline + 0.1
    result = report("textrank", system, ("lead", baseline))
    assert set(result) == {"system", "n", *METRICS, "gain_vs_baseline"}
    assert result["system"] == "textrank"
    assert result["n"] == 50
    assert set(result["rouge1"]) == {"low", "mid", "high"}
    gain = result["gain_vs_baseline"]
    assert gain["baseline"] == "lead"
    # Paired: the per-document difference is a constant, so the whole interval is 10 points.
    assert gain["rouge2"] == {"low": 10.0, "mid": 10.0, "high": 10.0}


def test_report_refuses_a_baseline_on_other_documents() -> None:
    with pytest.raises(ValueError, match="same documents"):
        report("x", np.zeros((3, 3)), ("lead", np.zeros((2, 3))))


def test_format_table_puts_systems_side_by_side() -> None:
    lead = report("lead", np.full((4, 3), 0.4))
    oracle = report("oracle", np.full((4, 3), 0.5), ("lead", np.full((4, 3), 0.4)))
    lines = format_table([lead, oracle]).splitlines()
    assert lines[0].split()[:3] == ["system", "n", "R-1"]
    assert lines[2].split() == ["lead", "4", *(["40.00", "[40.00,", "40.00]"] * 3)]
    assert lines[3].startswith("oracle")
    assert lines[4].split()[:4] == ["gain", "vs", "lead", "10.00"]
