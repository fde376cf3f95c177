"""Trigram-blocking rules compared on the same model scores: never, always (Liu & Lapata), and
only for budgets that take at most a share of the document (the rule `model.selection` uses).

The model scores each document once; every rule then picks from the same scores, so the
differences are the rule's alone (paired bootstrap against blocking always). Choose on held-out
training documents; report on dev sets.

    python scripts/compare_blocking.py --data runs/cnndm-holdout-500.jsonl 3 \
        --data runs/bbc-holdout.jsonl reference --data runs/bbc-holdout.jsonl ratio:0.4
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from model.evaluation.rouge import intervals, rouge_f1
from model.inference import Summarizer, load_summarizer
from model.selection import BLOCKING_UP_TO, select_sentences
from model.text.data import Example, as_served, read_jsonl
from model.training.data import parse_budget
from model.types import Budget, PreparedDocument

# Rule name -> (trigram blocking, the largest budget share it applies to).
RULES = {
    "never": (False, 0.0),
    "always": (True, 1.0),
    **{
        f"up to {share:g}": (True, share)
        for share in sorted({0.15, 0.25, 0.35, 0.5, BLOCKING_UP_TO})
    },
}
BASELINE = "always"


def budget_of(spec: str, reference: Sequence[str]) -> Budget:
    """A budget spec: ``ratio:R``, or what training's dev budgets take (a count, ``reference``)."""
    if spec.startswith("ratio:"):
        return Budget(ratio=float(spec.removeprefix("ratio:")))
    return Budget(num_sentences=parse_budget(spec, reference))


Scored = tuple[list[Example], list[PreparedDocument], list[list[float]]]


def scored_file(summarizer: Summarizer, path: Path, limit: int | None, spec: str) -> Scored:
    """A file's examples in the form served, prepared for budget ``spec``, and the model's
    sentence scores."""
    examples = [as_served(e) for e in list(read_jsonl(path))[:limit]]
    budgets = [budget_of(spec, e.summary_sentences) for e in examples]
    prepared = [summarizer.prepare(e.article, b) for e, b in zip(examples, budgets, strict=True)]
    scores = [s for i in range(0, len(prepared), 8) for s in summarizer.score(prepared[i : i + 8])]
    return examples, prepared, scores


def rule_scores(scored: Scored) -> dict[str, np.ndarray]:
    """Per-document ROUGE [N, 3] of each rule, each document under its prepared budget."""
    examples, prepared, scores = scored
    results = {}
    for name, (blocking, up_to) in RULES.items():
        summaries = []
        for doc, doc_scores in zip(prepared, scores, strict=True):
            texts = [s.text for s in doc.sentences]
            chosen = select_sentences(texts, doc_scores, doc.budget, blocking, up_to)
            summaries.append([texts[i] for i in chosen])
        results[name] = rouge_f1(summaries, [e.summary_sentences for e in examples])
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Print each rule's ROUGE and its gain over blocking always, per data file and budget."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--data", nargs=2, action="append", required=True, metavar=("FILE", "BUDGET")
    )
    parser.add_argument("--checkpoint", default=None, help="default: the shipped checkpoint")
    parser.add_argument("--limit", type=int, default=None, help="first N documents of each file")
    parser.add_argument("--dtype", default="float32")
    args = parser.parse_args(argv)
    summarizer = load_summarizer(args.checkpoint, device="cpu", dtype=args.dtype)
    for name, spec in args.data:
        results = rule_scores(scored_file(summarizer, Path(name), args.limit, spec))
        print(f"\n{name}, budget {spec} ({len(results[BASELINE])} documents)")
        for rule, values in results.items():
            r1, r2, rl = intervals(values)
            gain = intervals(values[:, :1] - results[BASELINE][:, :1])[0]
            print(
                f"  {rule:9} R-1 {r1.mid:6.2f}  R-2 {r2.mid:6.2f}  R-Lsum {rl.mid:6.2f}  "
                f"R-1 vs {BASELINE}: {gain.mid:+.2f} [{gain.low:+.2f}, {gain.high:+.2f}]"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
