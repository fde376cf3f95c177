"""`bertsum summarize`: summarize plain text, or a JSONL file of documents into JSONL."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tqdm import tqdm

from model.commands import ray_backend
from model.commands.options import add_model_options, positive_int, ratio
from model.errors import InputError, NoSentencesError
from model.types import Budget, PreparedDocument, Summary

if TYPE_CHECKING:
    from model.inference import Summarizer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `bertsum summarize`."""
    parser.add_argument(
        "input",
        nargs="?",
        default="-",
        help="text file, .jsonl file of {id, article} rows, or - for stdin (default)",
    )
    parser.add_argument(
        "--jsonl",
        action="store_true",
        help="read JSONL even when the input is stdin or has no .jsonl suffix",
    )
    parser.add_argument("--output", "-o", type=Path, help="write here instead of stdout")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument(
        "--num-sentences", "-k", type=positive_int, help="sentences to pick (default 3)"
    )
    budget.add_argument("--ratio", type=ratio, help="share of the document's sentences to pick")
    budget.add_argument("--max-words", type=positive_int, help="word budget of the summary")
    add_model_options(parser)
    ray_backend.add_arguments(parser)


def read_rows(handle: TextIO, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """JSON objects with an `article` string with their line numbers; blank lines are skipped."""
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{name}, line {number}: not JSON ({error.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("article"), str):
            raise InputError(f"{name}, line {number}: expected an object with an 'article' string")
        yield number, row


def open_input(name: str) -> TextIO:
    """The named file, or stdin for ``-``."""
    if name == "-":
        return sys.stdin
    return Path(name).open(encoding="utf-8")


def summary_record(summary: Summary) -> dict[str, Any]:
    """A summary as JSON-ready data."""
    return {
        "summary": summary.text,
        "sentences": [asdict(s) for s in summary.sentences],
        "num_document_sentences": summary.num_document_sentences,
        "fewer_sentences_than_requested": summary.fewer_sentences_than_requested,
        "method": summary.method,
        "warning": summary.warning,
    }


def prepare_rows(
    summarizer: Summarizer, rows: list[tuple[int, dict[str, Any]]], name: str, budget: Budget
) -> list[PreparedDocument]:
    """Each row's article split and tokenized; an article without sentences names its line."""
    prepared = []
    for number, row in rows:
        try:
            prepared.append(summarizer.prepare(row["article"], budget))
        except NoSentencesError as error:
            document = "" if row.get("id") is None else f"document {row['id']!r}: "
            raise InputError(f"{name}, line {number}: {document}{error}") from error
    return prepared


def summarize_jsonl(
    summarizer: Summarizer,
    rows: list[tuple[int, dict[str, Any]]],
    budget: Budget,
    args: argparse.Namespace,
    out: TextIO,
) -> None:
    """Summarize rows in batches, writing one JSON line per row in input order."""
    with tqdm(total=len(rows), desc="summarize", unit="doc", file=sys.stderr) as bar:
        for start in range(0, len(rows), args.batch_size):
            numbered = rows[start : start + args.batch_size]
            prepared = prepare_rows(summarizer, numbered, args.input, budget)
            summaries = summarizer.summarize_prepared(
                prepared, args.trigram_blocking, args.batch_size
            )
            group = [row for _, row in numbered]
            for row, summary in zip(group, summaries, strict=True):
                out.write(json.dumps({"id": row.get("id"), **summary_record(summary)}) + "\n")
            bar.update(len(group))


def budget_from_args(args: argparse.Namespace) -> Budget:
    """The length budget the options ask for."""
    return Budget(num_sentences=args.num_sentences, ratio=args.ratio, max_words=args.max_words)


def run(args: argparse.Namespace) -> int:
    """Summarize the input and write the result; bad input raises `InputError` or `OSError`."""
    budget = budget_from_args(args)
    if args.backend == "ray" or ray_backend.ray_options_given(args):
        return ray_backend.run(args, budget)
    from model.inference import load_summarizer  # torch loads only when there is work

    is_jsonl = args.jsonl or str(args.input).endswith(".jsonl")
    with open_input(args.input) as source:
        rows = list(read_rows(source, args.input)) if is_jsonl else []
        text = "" if is_jsonl else source.read()
    summarizer = load_summarizer(args.checkpoint, device=args.device, dtype=args.dtype)
    out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    try:
        if is_jsonl:
            summarize_jsonl(summarizer, rows, budget, args, out)
            return 0
        summary = summarizer.summarize(text, budget, args.trigram_blocking)
        for sentence in summary.sentences:
            out.write(sentence.text + "\n")
        return 0
    finally:
        if out is not sys.stdout:
            out.close()
