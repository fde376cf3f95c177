"""Replace a checkpoint's model card (README.md) with a Markdown file and update its hash."""

from __future__ import annotations

import argparse
from pathlib import Path

from model.checkpoint import DEFAULT_CHECKPOINT, replace_card, verify_checkpoint


def main() -> None:
    """Write the card and check that the checkpoint still verifies."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("card", type=Path, help="Markdown file with the model card")
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    args = parser.parse_args()
    replace_card(args.checkpoint, args.card.read_text(encoding="utf-8"))
    verify_checkpoint(args.checkpoint)
    print(f"model card of {args.checkpoint} replaced and verified")


if __name__ == "__main__":
    main()
