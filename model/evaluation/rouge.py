"""ROUGE-1/2/Lsum F1 with Google's rouge-score, bootstrap 95% intervals, paired gains, tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from rouge_score import rouge_scorer

from model.evaluation.rouge_fast import RougeTokenizer

METRICS = ("rouge1", "rouge2", "rougeLsum")
METRIC_LABELS = {"rouge1": "R-1", "rouge2": "R-2", "rougeLsum": "R-Lsum"}
BOOTSTRAP_SAMPLES = 1000
CONFIDENCE = 0.95
SEED = 13

Scores = npt.NDArray[np.float64]  # [N, M]: per-document F1 of each metric


@dataclass(frozen=True, slots=True)
class Interval:
    """A point estimate (``mid``, the plain mean) with its bootstrap interval, in percent."""

    low: float
    mid: float
    high: float

    def as_dict(self) -> dict[str, float]:
        """The interval for JSON, rounded to 0.01 points."""
        return {"low": round(self.low, 2), "mid": round(self.mid, 2), "high": round(self.high, 2)}


def rouge_f1(predictions: Sequence[Sequence[str]], references: Sequence[Sequence[str]]) -> Scores:
    """Per-document F1 of each metric in ``METRICS``: an array ``[N, 3]`` in [0, 1].

    Each summary is given as its sentences; they are joined with ``"\\n"`` so that ROUGE-Lsum
    sees one sentence a line. Stemming is on, as in ROUGE-1.5.5 with ``-m``; CJK text is
    scored over characters (``model.evaluation.rouge_fast.rouge_tokens``).
    """
    if len(predictions) != len(references):
        raise ValueError("need as many predictions as references")
    # rouge-score's own tokenizer drops every CJK character; this one keeps them (and is the
    # same as use_stemmer=True for other text).
    scorer = rouge_scorer.RougeScorer(list(METRICS), tokenizer=RougeTokenizer())
    rows = []
    for prediction, reference in zip(predictions, references, strict=True):
        scores = scorer.score("\n".join(reference), "\n".join(prediction))
        rows.append([scores[metric].fmeasure for metric in METRICS])
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(METRICS))


def bootstrap_means(values: Scores, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED) -> Scores:
    """Column means of ``samples`` resamples (with replacement) of the rows: ``[samples, M]``."""
    indices = np.random.default_rng(seed).integers(
        0, len(values), size=(samples, len(values))
    )  # [samples, N]
    means: Scores = values[indices].mean(axis=1)  # [samples, M]
    return means


def intervals(values: Scores, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED) -> list[Interval]:
    """Mean and percentile bootstrap interval of each column of ``values``, in percent."""
    if len(values) == 0:
        raise ValueError("no documents to score")
    means = bootstrap_means(values, samples, seed)  # [samples, M]
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(means, [tail, 100 - tail], axis=0)  # [M] each
    mid = values.mean(axis=0)  # [M]
    return [
        Interval(100 * float(lo), 100 * float(m), 100 * float(hi))
        for lo, m, hi in zip(low, mid, high, strict=True)
    ]


def report(
    system: str,
    scores: Scores,
    baseline: tuple[str, Scores] | None = None,
    samples: int = BOOTSTRAP_SAMPLES,
) -> dict[str, Any]:
    """The JSON report of one system: n, and low/mid/high of each metric in percent.

    With ``baseline`` (its name and its per-document scores on the same documents), adds
    ``gain_vs_baseline``: the paired bootstrap interval of the mean difference, per metric.
    """
    result: dict[str, Any] = {"system": system, "n": len(scores)}
    for metric, interval in zip(METRICS, intervals(scores, samples), strict=True):
        result[metric] = interval.as_dict()
    if baseline is not None:
        name, baseline_scores = baseline
        if len(baseline_scores) != len(scores):
            raise ValueError("the baseline must be scored on the same documents")
        gains = intervals(scores - baseline_scores, samples)  # the paired bootstrap
        result["gain_vs_baseline"] = {
            "baseline": name,
            **{metric: gain.as_dict() for metric, gain in zip(METRICS, gains, strict=True)},
        }
    return result


def _cell(interval: dict[str, float]) -> str:
    return f"{interval['mid']:.2f} [{interval['low']:.2f}, {interval['high']:.2f}]"


def _table_rows(reports: Sequence[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for r in reports:
        rows.append([r["system"], str(r["n"]), *(_cell(r[m]) for m in METRICS)])
        gain = r.get("gain_vs_baseline")
        if gain is not None:
            rows.append([f"  gain vs {gain['baseline']}", "", *(_cell(gain[m]) for m in METRICS)])
    return rows


def format_table(reports: Sequence[dict[str, Any]]) -> str:
    """Reports side by side: one row a system, each metric as mean [95% interval], in percent.

    A system with a ``gain_vs_baseline`` gets a second row with its paired gain.
    """
    header = ["system", "n", *(f"{METRIC_LABELS[m]} mean [95% CI]" for m in METRICS)]
    rows = [header, *_table_rows(reports)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
