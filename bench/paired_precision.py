"""Precisions of the model on the same documents, one document at a time: paired R-1 differences.

For each document in turn (the datasets alternate), every precision picks its sentences, in an
order that rotates from one document to the next; each pick and its time go to a JSONL file
as soon as they are made. So a run on a busy machine can stop anywhere and the report covers
the documents done, speeds are interleaved (a busy spell hits every precision alike), and
running again goes on where it stopped.

    python bench/paired_precision.py --limit 200 --out runs/precision.jsonl   # run or resume
    python bench/paired_precision.py --out runs/precision.jsonl --report      # figures so far
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bench.compare import DATASETS, MODEL_DTYPES, Dataset, load_documents, paired_gain, score
from bench.project_systems import model_picker

# The rule for offering a precision: R-1 within this many points of fp32.
TOLERANCE_R1 = 0.2


def interleaved(datasets: Sequence[Dataset], limit: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """(dataset name, document) pairs: the first document of each dataset, then the second..."""
    documents = [load_documents(dataset, limit) for dataset in datasets]
    for index in range(limit):
        for dataset, docs in zip(datasets, documents, strict=True):
            if index < len(docs):
                yield dataset.name, docs[index]


def done_keys(path: Path) -> set[tuple[str, str]]:
    """(dataset, document id) pairs already in the output file."""
    if not path.exists():
        return set()
    return {(row["dataset"], row["id"]) for row in read_rows(path)}


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Every finished document of the output file."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def run(args: argparse.Namespace) -> None:
    """Pick with every precision, document by document, appending to ``args.out``."""
    pickers = {dtype: model_picker(args.checkpoint, dtype, 1)[0] for dtype in args.dtypes}
    done = done_keys(args.out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a", encoding="utf-8") as out:
        for number, (name, doc) in enumerate(interleaved(args.datasets, args.limit)):
            if (name, doc["id"]) in done:
                continue
            shift = number % len(args.dtypes)
            row: dict[str, Any] = {"dataset": name, "id": doc["id"], "chosen": {}, "seconds": {}}
            for dtype in [*args.dtypes[shift:], *args.dtypes[:shift]]:
                started = time.perf_counter()
                (row["chosen"][dtype],) = pickers[dtype]([doc])
                row["seconds"][dtype] = time.perf_counter() - started
            row["load_average"] = os.getloadavg()[0]
            out.write(json.dumps(row) + "\n")
            out.flush()


def paired_scores(
    rows: Sequence[dict[str, Any]], dataset: Dataset, limit: int
) -> tuple[dict[str, Any], dict[str, float]]:
    """Per precision: per-document ROUGE ``[n, 3]`` on ``dataset``'s finished documents, docs/s."""
    mine = [row for row in rows if row["dataset"] == dataset.name]
    docs = {doc["id"]: doc for doc in load_documents(dataset, limit)}
    ordered = [docs[row["id"]] for row in mine]
    dtypes = list(rows[0]["chosen"])
    values = {d: score(ordered, [row["chosen"][d] for row in mine]) for d in dtypes}
    timed = [row for row in mine if row.get("seconds")]  # rows carried over have no times
    rates = {
        d: len(timed) / sum(row["seconds"][d] for row in timed) if timed else float("nan")
        for d in dtypes
    }
    return values, rates


def report_lines(scored: dict[str, tuple[dict[str, Any], dict[str, float]]]) -> list[str]:
    """Per dataset and precision: n, R-1, the paired R-1 difference to the first, docs/s."""
    lines = [
        "| dataset | n | precision | R-1 | R-1 minus the first [paired 95% CI] | docs/s "
        "| vs first |",
        "| --- | ---: | --- | ---: | --- | ---: | ---: |",
    ]
    for name, (values, rates) in scored.items():
        reference = next(iter(values))
        for dtype, value in values.items():
            gain = paired_gain(value, values[reference])
            lines.append(
                f"| {name} | {len(value)} | {dtype} | {100 * value[:, 0].mean():.2f} | "
                f"{gain['mid']:+.2f} [{gain['low']:+.2f}, {gain['high']:+.2f}] | "
                f"{rates[dtype]:.2f} | {rates[dtype] / rates[reference]:.2f}x |"
            )
    return lines


def verdict(scored: dict[str, tuple[dict[str, Any], dict[str, float]]], dtype: str) -> str:
    """Whether ``dtype`` is shown within the tolerance of the first precision on every dataset:
    the lower end of its paired 95% interval at most ``TOLERANCE_R1`` below."""
    lows = []
    for values, _ in scored.values():
        reference = next(iter(values))
        lows.append(paired_gain(values[dtype], values[reference])["low"])
    holds = min(lows) >= -TOLERANCE_R1
    return (
        f"{dtype}: lowest paired 95% bound {min(lows):+.2f} R-1: the {TOLERANCE_R1} R-1 rule "
        f"{'holds' if holds else 'is not shown'}"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True, help="JSONL of the picks (appended)")
    parser.add_argument("--limit", type=int, default=200, help="documents per dataset")
    parser.add_argument("--checkpoint", help="default: the shipped checkpoint")
    parser.add_argument(
        "--dtypes",
        nargs="+",
        default=list(MODEL_DTYPES),
        choices=MODEL_DTYPES,
        help="the first is the reference",
    )
    parser.add_argument("--report", action="store_true", help="print the figures, run nothing")
    args = parser.parse_args(argv)
    args.datasets = DATASETS[:2]  # the two CNN/DM dev sets: tokenized and original prose
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run (or resume), or report on the documents done."""
    args = parse_args(argv)
    if not args.report:
        run(args)
    rows = read_rows(args.out)
    scored = {
        dataset.name: paired_scores(rows, dataset, args.limit)
        for dataset in args.datasets
        if any(row["dataset"] == dataset.name for row in rows)
    }
    print("\n".join(report_lines(scored)))
    loads = [row["load_average"] for row in rows if row.get("load_average") is not None]
    if loads:
        print(f"load average (1 min) while timed: {min(loads):.1f} to {max(loads):.1f}")
    for dtype in list(rows[0]["chosen"])[1:]:
        print(verdict(scored, dtype))
    return 0


if __name__ == "__main__":
    sys.exit(main())
