"""Documents/s of `bertsum summarize` on a JSONL corpus: one process vs Ray Data with N workers.

    python scripts/bench_corpus.py ../shared/data/cnndm_raw/dev.jsonl --limit 200 --workers 1 2

Each configuration is one `bertsum summarize` run, timed end to end (start-up, model loads and
Ray's start included) and by its own count (Ray: from the pipeline's start, after `ray.init`).
Every Ray output is compared with the single-process one: same ids, same chosen sentences.
Needs the [ray] extra.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="JSONL of {id, article}")
    parser.add_argument("--limit", type=int, default=200, help="first N documents (default 200)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Ray pool sizes")
    parser.add_argument("--checkpoint", help="checkpoint directory (default: the shipped one)")
    return parser.parse_args()


def timed(command: list[str]) -> tuple[float, str]:
    """Run a command; its wall time and its stderr's last line. Exits on failure."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr[-2000:]}")
    return seconds, (done.stderr.strip().splitlines() or [""])[-1]


def read_output(path: Path) -> dict[Any, dict[str, Any]]:
    """Rows of a JSONL file, or of a folder of JSONL files, by id."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    rows = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    return {row["id"]: row for row in rows}


def chosen(row: dict[str, Any]) -> list[tuple[int, str, int, int]]:
    """The chosen sentences of a row, without scores."""
    return [(s["index"], s["text"], s["start"], s["end"]) for s in row["sentences"]]


def main() -> None:
    """Run the configurations and print one line each."""
    args = parse_args()
    extra = ["--checkpoint", args.checkpoint] if args.checkpoint else []
    with tempfile.TemporaryDirectory() as work:
        data = Path(work) / "docs.jsonl"
        with args.data.open(encoding="utf-8") as source:
            data.write_text("".join(itertools.islice(source, args.limit)))
        local = Path(work) / "local.jsonl"
        seconds, _ = timed(["bertsum", "summarize", str(data), "-o", str(local), *extra])
        reference = read_output(local)
        count = len(reference)
        print(
            f"local (1 process):  {count} docs in {seconds:6.1f} s  {count / seconds:5.2f} docs/s"
        )
        for workers in args.workers:
            out = Path(work) / f"ray-{workers}"
            command = ["bertsum", "summarize", str(data), "-o", str(out), "--backend", "ray"]
            seconds, last = timed([*command, "--workers", str(workers), *extra])
            rows = read_output(out)
            same = rows.keys() == reference.keys() and all(
                chosen(rows[i]) == chosen(reference[i]) for i in reference
            )
            identical_lines = sum(rows[i] == reference[i] for i in reference)
            print(
                f"ray, {workers} worker(s): {count} docs in {seconds:6.1f} s  "
                f"{count / seconds:5.2f} docs/s end to end; "
                f"{last.removeprefix('bertsum summarize: ')}"
                f"; same summaries: {same}; rows equal to the last bit: {identical_lines}/{count}"
            )


if __name__ == "__main__":
    main()
