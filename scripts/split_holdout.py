"""Split BBC train into training and held-out documents for choosing steps and settings.

10% of each category (seed 13), drawn among documents without near-duplicates, so that no
near-duplicate group straddles the split. Writes the two JSONL files in the input's order.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path


def held_out_ids(rows: list[dict[str, object]], share: float, seed: int) -> set[str]:
    """The ids held out: ``share`` of each category, none with a near-duplicate."""
    rng = random.Random(seed)
    chosen: set[str] = set()
    for category in sorted({str(row["category"]) for row in rows}):
        in_category = [row for row in rows if row["category"] == category]
        candidates = [str(row["id"]) for row in in_category if not row.get("near_duplicates")]
        chosen.update(rng.sample(candidates, round(share * len(in_category))))
    return chosen


def main() -> None:
    """Write the training and held-out files."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path, help="BBC train JSONL (with category, near_duplicates)")
    parser.add_argument("--train-out", type=Path, required=True)
    parser.add_argument("--holdout-out", type=Path, required=True)
    parser.add_argument("--share", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    lines = [line for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [json.loads(line) for line in lines]
    held = held_out_ids(rows, args.share, args.seed)
    with args.train_out.open("w") as train, args.holdout_out.open("w") as holdout:
        for row in rows:
            (holdout if row["id"] in held else train).write(json.dumps(row) + "\n")
    print(f"{len(rows) - len(held)} training, {len(held)} held out")


if __name__ == "__main__":
    main()
