"""Where the service's time goes under load: py-spy samples of `bertsum serve` by kind of work.

Starts the service on loopback, attaches py-spy (from PyPI; `--py-spy PATH` if it is not on
PATH) to it, sends real articles at one concurrency level and prints the share of samples
by thread (the event loop, the preparing threads, the inference thread) and by kind of work
(splitting, tokenizing, the forward pass, JSON, HTTP, the batcher). `--gil` samples only the
thread holding the GIL, which shows what keeps the inference thread waiting for it.

    python scripts/profile_service.py [--docs 64] [--concurrency 32] [--gil]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from bench_service import add_service_arguments, drive, load_articles, running_service

# Checked from the innermost frame outwards; the first frame that matches names the work.
KINDS = (
    ("idle (waiting for work)", ("Condition.wait", "Queue.get")),
    ("forward pass", ("score_encoded", "forward (", "_call_impl", "torch/")),
    ("splitting", ("split_sentences", "punkt", "sentences.py", "ptb.py")),
    ("tokenizing", ("encode_document", "tokenization", "encoding.py", "unknown_ratio")),
    ("centrality (TextRank)", ("centrality.py", "textrank")),
    ("selection", ("summarize_scores", "selection.py")),
    ("JSON and pydantic", ("json", "pydantic", "schemas.py", "jsonable", "serialize")),
    ("batcher hand-off", ("batcher.py", "run_in_executor", "set_result")),
    ("HTTP (uvicorn, starlette)", ("httptools", "h11", "starlette", "middleware.py", "routes.py")),
    # uvloop waits for events in C, below Runner.run: py-spy sees no idle wait and counts it.
    ("event loop waiting (uvloop)", ("Runner.run", "run_until_complete")),
)
THREADS = (
    ("inference thread", "inference_"),
    ("preparing threads", "AnyIO worker thread"),
    ("event loop", "MainThread"),
)


def kind_of(stack: str) -> str:
    """The kind of work a collapsed stack does, from its innermost frame that says."""
    for frame in reversed(stack.split(";")):
        for name, markers in KINDS:
            if any(marker in frame for marker in markers):
                return name
    return "other"


def thread_of(stack: str) -> str:
    """The thread a stack ran in, by the name py-spy records first (with --threads)."""
    head = stack.split(";", 1)[0]
    return next((name for name, marker in THREADS if marker in head), "other")


def shares(lines: Iterable[str]) -> tuple[int, collections.Counter[tuple[str, str]]]:
    """Samples in all, and per (thread, kind), of py-spy's raw (collapsed) output."""
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    total = 0
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if count.isdigit():
            total += int(count)
            counts[(thread_of(stack), kind_of(stack))] += int(count)
    return total, counts


def print_shares(total: int, counts: collections.Counter[tuple[str, str]]) -> None:
    """The table: thread, kind of work, share of the samples."""
    print(f"{total} samples")
    by_thread: collections.Counter[str] = collections.Counter()
    for (thread, _), count in counts.items():
        by_thread[thread] += count
    for thread, count in by_thread.most_common():
        print(f"{100 * count / total:5.1f}%  {thread}")
        for (owner, kind), share in counts.most_common():
            if owner == thread:
                print(f"         {100 * share / total:5.1f}%  {kind}")


def profile(args: argparse.Namespace, texts: Sequence[str], py_spy: str, raw: Path) -> None:
    """Run the service under py-spy while `texts` are sent at `args.concurrency`."""
    env = {"BERTSUM_DEVICE": args.device}
    with running_service(args.checkpoint, env) as (url, process):
        asyncio.run(drive(url, texts[:4], 4))  # warm up before sampling
        command = [py_spy, "record", "--pid", str(process.pid), "--format", "raw"]
        command += ["--rate", str(args.rate), "--threads", "--output", str(raw), "--nonblocking"]
        sampler = subprocess.Popen(command + (["--gil"] if args.gil else []))
        run = asyncio.run(drive(url, texts, args.concurrency))
        sampler.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        sampler.wait(timeout=60)
    print(f"concurrency {args.concurrency}: {run.docs_per_s:.2f} docs/s ({run.failures} failed)")


def main(argv: Sequence[str] | None = None) -> int:
    """Profile one concurrency level and print where the samples fell."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_service_arguments(parser)
    parser.add_argument("--docs", type=int, default=64, help="articles to send")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=int, default=50, help="py-spy samples per second")
    parser.add_argument("--gil", action="store_true", help="sample only the GIL's holder")
    parser.add_argument("--py-spy", default=shutil.which("py-spy"), help="the py-spy binary")
    parser.add_argument("--raw", type=Path, help="keep py-spy's raw output here")
    args = parser.parse_args(argv)
    if args.py_spy is None:
        raise SystemExit("py-spy is not on PATH: pip install py-spy, or pass --py-spy PATH")
    texts = load_articles(args.data, args.docs)
    with tempfile.TemporaryDirectory() as folder:
        raw = args.raw or Path(folder) / "profile.txt"
        profile(args, texts, args.py_spy, raw)
        print_shares(*shares(raw.read_text(encoding="utf-8").splitlines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
