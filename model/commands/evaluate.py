"""`bertsum evaluate`: ROUGE of extractive systems on a JSONL file, with bootstrap intervals."""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, get_args

from model.baselines import SYSTEMS, System
from model.commands.options import add_model_options, positive_int, ratio
from model.errors import InputError
from model.evaluation.rouge import BOOTSTRAP_SAMPLES, Scores, format_table, report, rouge_f1
from model.text.data import Example, detokenize_example, read_jsonl
from model.text.sentences import SplitMode, split_sentences
from model.types import Budget, Sentence

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `bertsum evaluate`."""
    parser.add_argument(
        "--data", required=True, type=Path, help='JSONL file of {"id", "article", "summary"} rows'
    )
    parser.add_argument(
        "--system",
        dest="systems",
        action="append",
        required=True,
        choices=[*sorted(SYSTEMS), "model"],
        help="system to score; repeat for several, printed side by side "
        "(model: the BertSum checkpoint given by --checkpoint)",
    )
    model = parser.add_argument_group("model system")
    add_model_options(model)
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument(
        "--k", type=positive_int, default=3, help="summary length in sentences (default: 3)"
    )
    budget.add_argument(
        "--ratio", type=ratio, help="summary length as a share of the document's sentences"
    )
    budget.add_argument(
        "--match-reference-length",
        action="store_true",
        help="take as many sentences as the reference summary has",
    )
    parser.add_argument("--limit", type=positive_int, help="score only the first N documents")
    parser.add_argument("--json", type=Path, help="write the report(s) as JSON to this file")
    parser.add_argument(
        "--baseline",
        choices=sorted(SYSTEMS),
        help="add each system's paired-bootstrap gain over this system (e.g. lead)",
    )
    parser.add_argument(
        "--split-mode",
        choices=get_args(SplitMode),
        default="auto",
        help="sentence splitter: punkt for running text, ptb for tokenized text (default: auto)",
    )
    parser.add_argument(
        "--detokenize",
        action="store_true",
        help="score PTB-tokenized documents detokenized: split as given, then undo PTB escapes "
        "and spacing in sentences and references (changes ROUGE tokens; the reference "
        "figures are on the text as given)",
    )
    parser.add_argument(
        "--bootstrap-samples",
        type=positive_int,
        default=BOOTSTRAP_SAMPLES,
        help=f"bootstrap resamples for the intervals (default: {BOOTSTRAP_SAMPLES})",
    )


Document = tuple[Example, list[Sentence]]
# Picks sentence indices for every document, at most the given count for each.
Chooser = Callable[[Sequence[Document], Sequence[int]], list[list[int]]]


def one_by_one(system: System) -> Chooser:
    """A reference system, which reads one document at a time, as a chooser."""

    def choose(documents: Sequence[Document], lengths: Sequence[int]) -> list[list[int]]:
        return [
            system(sentences, example, k)
            for (example, sentences), k in zip(documents, lengths, strict=True)
        ]

    return choose


def model_chooser(args: argparse.Namespace) -> Chooser:
    """The checkpoint as a chooser: batched forward passes and the service's summary rule."""
    from model.inference import load_summarizer

    summarizer = load_summarizer(args.checkpoint, device=args.device, dtype=args.dtype)

    def choose(documents: Sequence[Document], lengths: Sequence[int]) -> list[list[int]]:
        prepared = [
            summarizer.prepare_sentences(example.article, sentences, Budget(num_sentences=k))
            for (example, sentences), k in zip(documents, lengths, strict=True)
        ]
        summaries = summarizer.summarize_prepared(prepared, args.trigram_blocking, args.batch_size)
        return [[s.index for s in summary.sentences] for summary in summaries]

    return choose


def build_chooser(name: str, args: argparse.Namespace) -> Chooser:
    """The system called ``name``; one that loads weights (the model) is built here, when asked."""
    return model_chooser(args) if name == "model" else one_by_one(SYSTEMS[name])


def summary_length(budget: Budget | None, sentences: Sequence[Sentence], example: Example) -> int:
    """How many sentences to pick: the budget's count, or the reference's length when ``None``."""
    if budget is None:
        return len(example.summary_sentences)
    return budget.max_sentences(len(sentences))


def budget_from_args(args: argparse.Namespace) -> Budget | None:
    """The length budget the options ask for; ``None`` means the reference's own length."""
    if args.match_reference_length:
        return None
    if args.ratio is not None:
        return Budget(ratio=args.ratio)
    return Budget(num_sentences=args.k)


def budget_label(budget: Budget | None) -> str:
    """A short description of the budget for the report."""
    if budget is None:
        return "reference length"
    if budget.ratio is not None:
        return f"ratio={budget.ratio}"
    return f"k={budget.num_sentences}"


def score_system(choose: Chooser, documents: Sequence[Document], budget: Budget | None) -> Scores:
    """Per-document ROUGE F1 of one system's summaries: ``[N, 3]``."""
    lengths = [summary_length(budget, sentences, example) for example, sentences in documents]
    predictions = [
        [sentences[i].text for i in sorted(chosen)]
        for (_, sentences), chosen in zip(documents, choose(documents, lengths), strict=True)
    ]
    return rouge_f1(predictions, [example.summary_sentences for example, _ in documents])


def prepare(example: Example, args: argparse.Namespace) -> Document:
    """The example and its sentences, as given or (``--detokenize``) as ordinary text."""
    sentences = split_sentences(example.article, args.split_mode)
    if args.detokenize:
        return detokenize_example(example, sentences)
    return example, sentences


def score_all(args: argparse.Namespace, documents: Sequence[Document]) -> dict[str, Scores]:
    """Per-document scores of every asked system and of the baseline, each scored once."""
    budget = budget_from_args(args)
    scores: dict[str, Scores] = {}
    for name in dict.fromkeys([*args.systems, *([args.baseline] if args.baseline else [])]):
        start = time.perf_counter()
        scores[name] = score_system(build_chooser(name, args), documents, budget)
        elapsed = time.perf_counter() - start
        logger.info("scored %s on %d documents in %.1f s", name, len(documents), elapsed)
    return scores


def build_reports(args: argparse.Namespace, scores: dict[str, Scores]) -> list[dict[str, Any]]:
    """One report a system asked for, with its gain over the baseline when one is given."""
    reports = []
    for name in dict.fromkeys(args.systems):
        baseline = None
        if args.baseline and name != args.baseline:
            baseline = (args.baseline, scores[args.baseline])
        result = report(name, scores[name], baseline, args.bootstrap_samples)
        result["data"] = str(args.data)
        result["budget"] = budget_label(budget_from_args(args))
        reports.append(result)
    return reports


def run(args: argparse.Namespace) -> int:
    """Split every document once, score each system (and the baseline), print and save.

    A file that cannot be read raises `DataError` or `OSError`, which the command line reports.
    """
    examples = list(islice(read_jsonl(args.data), args.limit))
    if not examples:
        raise InputError(f"no documents in {args.data}")
    logging.getLogger("absl").setLevel(logging.WARNING)  # rouge-score logs each scorer it builds
    documents = [prepare(example, args) for example in examples]
    reports = build_reports(args, score_all(args, documents))
    print(format_table(reports))
    if args.json:
        write_json(args.json, reports)
    return 0


def write_json(path: Path, reports: list[dict[str, Any]]) -> None:
    """One system's report as an object; several systems' as a list of them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload: Any = reports[0] if len(reports) == 1 else reports
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
