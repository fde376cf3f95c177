"""`bertsum summarize --backend ray`: a corpus through Ray Data, on an actor pool of Summarizers.

Reads JSONL or Parquet rows of ``{id, article}``, runs ``map_batches`` over ``--workers`` actors
that each load the checkpoint once, and writes a folder of JSONL or Parquet files whose rows have
the fields of the single-process command (``id``, ``summary``, ``sentences``,
``num_document_sentences``, ``fewer_sentences_than_requested``, ``method``, ``warning``);
JSONL lines are written by the same code, so they are the same text. Ray is an optional extra
(``pip install '.[ray]'``): nothing here imports it until a run asks for it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model.types import Budget

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = ("jsonl", "parquet")
# The options only --backend ray reads, with their defaults.
RAY_ONLY = {
    "workers": 1,
    "cpus_per_worker": 1.0,
    "gpus_per_worker": 0.0,
    "rows_per_batch": 64,
    "ray_address": None,
    "input_format": "auto",
    "output_format": "auto",
}
INSTALL_HINT = "pip install 'bertsum-service[ray]' (or: pip install -e '.[ray]')"


class BackendError(Exception):
    """A problem with the options or the input, reported as one line."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The backend options of `bertsum summarize`."""
    group = parser.add_argument_group("corpus backend (Ray Data; needs the [ray] extra)")
    group.add_argument(
        "--backend",
        choices=["local", "ray"],
        default="local",
        help="local: this process (default); ray: Ray Data over an actor pool, "
        "on a local Ray or the cluster in --ray-address / RAY_ADDRESS",
    )
    group.add_argument(
        "--workers",
        type=int,
        default=RAY_ONLY["workers"],
        help="Summarizer actors with --backend ray (default 1)",
    )
    group.add_argument(
        "--cpus-per-worker",
        type=float,
        default=RAY_ONLY["cpus_per_worker"],
        help="CPUs reserved for each actor",
    )
    group.add_argument(
        "--gpus-per-worker",
        type=float,
        default=RAY_ONLY["gpus_per_worker"],
        help="GPUs reserved for each actor",
    )
    group.add_argument(
        "--rows-per-batch",
        type=int,
        default=RAY_ONLY["rows_per_batch"],
        help="documents handed to an actor at once (it sorts them by length, then runs "
        "--batch-size per forward pass)",
    )
    group.add_argument(
        "--ray-address",
        help="Ray cluster to join (auto, ray://HEAD:10001, ...); default: RAY_ADDRESS, "
        "else a local Ray started for this run",
    )
    group.add_argument(
        "--input-format",
        choices=["auto", *FORMATS],
        default="auto",
        help="auto: by suffix (.parquet, else .jsonl/.json)",
    )
    group.add_argument(
        "--output-format",
        choices=["auto", *FORMATS],
        default="auto",
        help="auto: parquet when --output ends in .parquet, else jsonl",
    )


def ray_options_given(args: argparse.Namespace) -> list[str]:
    """The Ray-only options set to something other than their defaults."""
    return [
        "--" + name.replace("_", "-")
        for name, default in RAY_ONLY.items()
        if getattr(args, name, default) != default
    ]


def input_format(path: str, choice: str) -> str:
    """The input's format: the one asked for, else from the path's suffix."""
    if choice != "auto":
        return choice
    name = path.rstrip("/").lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".jsonl", ".json", ".jsonl.gz", ".json.gz")):
        return "jsonl"
    raise BackendError(f"{path}: cannot tell the format from the name; give --input-format")


def output_format(path: str, choice: str) -> str:
    """The output's format: the one asked for, else parquet for a ``.parquet`` name."""
    if choice != "auto":
        return choice
    return "parquet" if path.rstrip("/").lower().endswith(".parquet") else "jsonl"


def check_options(args: argparse.Namespace) -> None:
    """Refuse what the Ray backend cannot do, before Ray starts."""
    if args.input == "-":
        raise BackendError("--backend ray reads a file or folder, not stdin")
    if args.output is None:
        raise BackendError("--backend ray writes a folder of files: give --output DIR")
    for name in ("workers", "rows_per_batch", "batch_size"):
        if getattr(args, name) < 1:
            raise BackendError(f"--{name.replace('_', '-')} must be at least 1")
    if args.cpus_per_worker <= 0 or args.gpus_per_worker < 0:
        raise BackendError("--cpus-per-worker must be positive, --gpus-per-worker not negative")
    output = str(args.output)
    if "://" not in output and Path(output).exists():
        raise BackendError(f"{output}: already exists; give a new folder")


def summary_line(row_id: Any, record: dict[str, Any]) -> str:
    """One JSONL line, exactly as the single-process command writes it."""
    return json.dumps({"id": row_id, **record}) + "\n"


def sentence_type() -> pa.DataType:
    """The Parquet type of one chosen sentence."""
    import pyarrow as pa

    return pa.struct(
        [
            ("index", pa.int64()),
            ("text", pa.string()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("score", pa.float64()),
        ]
    )


class SummarizeBatch:
    """A Ray actor's work: one Summarizer, loaded once, summarizing batches of rows."""

    def __init__(self, settings: dict[str, Any]) -> None:
        from model.inference import load_summarizer

        self.summarizer = load_summarizer(
            settings["checkpoint"], device=settings["device"], dtype=settings["dtype"]
        )
        self.budget: Budget = settings["budget"]
        self.trigram_blocking: bool = settings["trigram_blocking"]
        self.batch_size: int = settings["batch_size"]
        self.output_format: str = settings["output_format"]

    def __call__(self, batch: pa.Table) -> pa.Table:
        """Summaries of a batch of ``{id?, article}`` rows, as output rows."""
        import pyarrow as pa

        from model.commands.summarize import summary_record

        texts = batch.column("article").to_pylist()
        ids = batch.column("id").to_pylist() if "id" in batch.column_names else [None] * len(texts)
        try:
            summaries = self.summarizer.summarize_many(
                texts, self.budget, self.trigram_blocking, self.batch_size
            )
        except ValueError as error:
            raise ValueError(f"document {ids[self.failing(texts)]!r}: {error}") from error
        records = [summary_record(summary) for summary in summaries]
        if self.output_format == "jsonl":
            lines = [summary_line(i, r) for i, r in zip(ids, records, strict=True)]
            return pa.table({"line": pa.array(lines, pa.string())})
        id_column = batch.column("id") if "id" in batch.column_names else pa.nulls(len(texts))
        return pa.table(
            {
                "id": id_column,
                "summary": pa.array([r["summary"] for r in records], pa.string()),
                "sentences": pa.array([r["sentences"] for r in records], pa.list_(sentence_type())),
                "num_document_sentences": pa.array(
                    [r["num_document_sentences"] for r in records], pa.int64()
                ),
                "method": pa.array([r["method"] for r in records], pa.string()),
                "warning": pa.array([r["warning"] for r in records], pa.string()),
                "fewer_sentences_than_requested": pa.array(
                    [r["fewer_sentences_than_requested"] for r in records], pa.bool_()
                ),
            }
        )

    def failing(self, texts: list[str]) -> int:
        """The index of the first text that cannot be prepared."""
        for index, text in enumerate(texts):
            try:
                self.summarizer.prepare(text)
            except ValueError:
                return index
        return 0


def actor_error(error: BaseException) -> str:
    """What went wrong in an actor, as one line.

    Ray hands the driver a wrapper whose text holds the actor's traceback; the actor's own
    exception is the last ``SomeError: message`` line there that is not Ray's (the outermost of
    a chain, which names the document).
    """
    found = [
        match.group(2)
        for line in str(error).splitlines()
        if (match := re.match(r"^(\w+(?:Error|Exception)): (.+)$", line.strip()))
        and not match.group(1).startswith(("Ray", "UserCode"))
    ]
    if found:
        return found[-1]
    lines = str(error).strip().splitlines()
    return lines[-1] if lines else type(error).__name__


def make_datasink(path: str, output_format: str) -> Any:
    """A Ray datasink writing each block as one JSONL or Parquet file, counting the rows."""
    import pyarrow.parquet as pq
    from ray.data import SaveMode
    from ray.data.datasource import BlockBasedFileDatasink

    class SummaryDatasink(BlockBasedFileDatasink):
        """JSONL: the ready-made lines, verbatim; Parquet: the summary columns."""

        rows_written = 0

        def write_block_to_file(self, block: Any, file: Any) -> None:
            table = block.to_arrow()
            if output_format == "jsonl":
                file.write("".join(table.column("line").to_pylist()).encode("utf-8"))
            else:
                pq.write_table(table, file)

        def on_write_complete(self, write_result: Any) -> None:
            self.rows_written = int(write_result.num_rows)

    return SummaryDatasink(path, file_format=output_format, mode=SaveMode.ERROR)


def connect(address: str | None, workers: int, cpus_per_worker: float) -> bool:
    """Join the given Ray cluster (or RAY_ADDRESS's), else start a local one for this run.

    False when this process has already joined Ray (a caller's session, kept as it is).
    """
    import ray

    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address is not None:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        return True
    # A local Ray gets CPU slots for every actor plus one for reading and writing, even on a
    # machine with fewer cores (the actors then share them, which is the point of measuring).
    slots = max(os.cpu_count() or 1, int(workers * cpus_per_worker) + 1)
    ray.init(
        num_cpus=slots, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING
    )
    return True


def run_pipeline(args: argparse.Namespace, budget: Budget) -> tuple[int, float]:
    """Read, summarize on the actor pool, write; the rows written and the seconds it took."""
    import ray
    import ray.data

    source, target = str(args.input), str(args.output)
    in_format = input_format(source, args.input_format)
    out_format = output_format(target, args.output_format)
    joined = connect(args.ray_address, args.workers, args.cpus_per_worker)
    started = time.perf_counter()
    try:
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # files come out in input order
        context.enable_progress_bars = False
        dataset = (
            ray.data.read_parquet(source) if in_format == "parquet" else ray.data.read_json(source)
        )
        settings = {
            "checkpoint": str(args.checkpoint) if args.checkpoint else None,
            "device": args.device,
            "dtype": args.dtype,
            "budget": budget,
            "trigram_blocking": args.trigram_blocking,
            "batch_size": args.batch_size,
            "output_format": out_format,
        }
        summaries = dataset.map_batches(
            SummarizeBatch,
            fn_constructor_args=(settings,),
            batch_size=args.rows_per_batch,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=args.workers),
            num_cpus=args.cpus_per_worker,
            num_gpus=args.gpus_per_worker or None,
        )
        sink = make_datasink(target, out_format)
        summaries.write_datasink(sink)
        return int(sink.rows_written), time.perf_counter() - started
    finally:
        if joined:
            ray.shutdown()


def run(args: argparse.Namespace, budget: Budget) -> int:
    """`bertsum summarize --backend ray`: one line on stderr at the end, or one error line."""
    if args.backend != "ray":
        given = ", ".join(ray_options_given(args))
        print(f"bertsum summarize: {given} only apply with --backend ray", file=sys.stderr)
        return 2
    try:
        check_options(args)
        input_format(str(args.input), args.input_format)
    except BackendError as error:
        print(f"bertsum summarize: {error}", file=sys.stderr)
        return 2
    try:
        import ray.data  # noqa: F401
    except ImportError:
        print(f"bertsum summarize: --backend ray needs Ray: {INSTALL_HINT}", file=sys.stderr)
        return 2
    try:
        rows, seconds = run_pipeline(args, budget)
    except Exception as error:  # an actor's error, wrapped by Ray
        print(f"bertsum summarize: {actor_error(error)}", file=sys.stderr)
        return 1
    rate = rows / seconds if seconds > 0 else 0.0
    print(
        f"bertsum summarize: {rows} documents in {seconds:.1f} s ({rate:.2f} docs/s) "
        f"on {args.workers} Ray worker(s) -> {args.output}",
        file=sys.stderr,
    )
    return 0
