"""Measure the splitter on BBC dev: share of reference sentences found whole, and speed in MB/s."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from model.sentences import split_sentences


def main() -> None:
    """Print the exact-match share of reference sentences and the splitting speed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path, help="BBC-style JSONL (article + extractive summary)")
    parser.add_argument("--show-misses", type=int, default=0, help="print this many misses")
    args = parser.parse_args()

    rows = [json.loads(line) for line in args.data.open(encoding="utf-8") if line.strip()]
    found = total = 0
    misses: list[str] = []
    for row in rows:
        article_sentences = {s.text for s in split_sentences(row["article"])}
        for reference in filter(None, (s.strip() for s in row["summary"].split("\n"))):
            total += 1
            if reference in article_sentences:
                found += 1
            elif len(misses) < args.show_misses:
                misses.append(reference)
    text = "\n\n".join(row["article"] for row in rows)
    started = time.perf_counter()
    split_sentences(text)
    seconds = time.perf_counter() - started
    megabytes = len(text.encode("utf-8")) / 1e6
    print(f"reference sentences found whole: {found}/{total} = {100 * found / total:.2f}%")
    print(f"speed: {megabytes:.2f} MB in {seconds:.2f} s = {megabytes / seconds:.2f} MB/s")
    for miss in misses:
        print("MISS:", miss)


if __name__ == "__main__":
    main()
