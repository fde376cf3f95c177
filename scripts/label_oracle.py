"""Time greedy oracle labelling of a JSONL file and report how many sentences it selects."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from model.text.data import read_jsonl
from model.text.sentences import split_sentences
from model.training.oracle import oracle_labels
from model.types import Budget


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The script's options."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", help="JSONL file of {id, article, summary} rows")
    limit = parser.add_mutually_exclusive_group()
    limit.add_argument("--max", type=int, default=3, help="most sentences per document (default 3)")
    limit.add_argument("--ratio", type=float, help="most sentences as a share of the document's")
    parser.add_argument("--limit", type=int, help="label only the first N documents")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Split and label every document, timing the two steps apart."""
    args = parse_args(argv)
    max_sentences: int | Budget = Budget(ratio=args.ratio) if args.ratio else args.max
    split_s = label_s = 0.0
    documents = selected = sentences_total = 0
    for example in read_jsonl(args.data):
        if args.limit is not None and documents >= args.limit:
            break
        start = time.perf_counter()
        sentences = [s.text for s in split_sentences(example.article)]
        middle = time.perf_counter()
        labels = oracle_labels(sentences, example.summary_sentences, max_sentences)
        label_s += time.perf_counter() - middle
        split_s += middle - start
        documents += 1
        selected += len(labels)
        sentences_total += len(sentences)
    print(f"documents: {documents}, sentences: {sentences_total}")
    print(
        f"splitting: {split_s:.1f} s; oracle labelling: {label_s:.1f} s "
        f"({1000 * label_s / max(documents, 1):.2f} ms per document)"
    )
    print(f"mean selected: {selected / max(documents, 1):.2f} sentences per document")


if __name__ == "__main__":
    main()
