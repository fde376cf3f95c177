"""Split CNN/DM training documents by source, holding out CNN stories for choosing settings.

The CNN/DM training file is mostly Daily Mail (about 90%), while users' news (and
`cnndm_raw/dev.jsonl`) is mostly CNN stories, so CNN gets its own held-out set. A story is
CNN's when its dateline, in the first 300 characters, says "(CNN)". Writes three JSONL files in
the input's order: CNN training, CNN held out (``--holdout`` stories drawn with ``--seed``) and
Daily Mail training.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

CNN_DATELINE = re.compile(r"\(\s*cnn\s*\)", re.IGNORECASE)


def is_cnn(article: str) -> bool:
    """Whether a CNN/DM article is a CNN story (its dateline names CNN)."""
    return CNN_DATELINE.search(article[:300]) is not None


def main() -> None:
    """Write the CNN training, CNN held-out and Daily Mail training files."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path, help="CNN/DM training JSONL")
    parser.add_argument("--cnn-train", type=Path, required=True)
    parser.add_argument("--cnn-holdout", type=Path, required=True)
    parser.add_argument("--dm-train", type=Path, required=True)
    parser.add_argument("--holdout", type=int, default=120, help="CNN stories held out")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    lines = [line for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    cnn = [i for i, line in enumerate(lines) if is_cnn(json.loads(line)["article"])]
    held = set(random.Random(args.seed).sample(cnn, args.holdout))
    is_story = set(cnn)
    outputs = [args.cnn_train.open("w"), args.cnn_holdout.open("w"), args.dm_train.open("w")]
    for i, line in enumerate(lines):
        target = 1 if i in held else 0 if i in is_story else 2
        outputs[target].write(line + "\n")
    for output in outputs:
        output.close()
    dm = len(lines) - len(cnn)
    print(f"{len(cnn) - len(held)} CNN training, {len(held)} CNN held out, {dm} Daily Mail")


if __name__ == "__main__":
    main()
