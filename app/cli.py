"""The `bertsum` console entry point: the model's commands plus `serve`."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from model.cli import MODEL_COMMANDS, run_cli

COMMANDS = {**MODEL_COMMANDS, "serve": "app.serve_command"}


def main(argv: Sequence[str] | None = None) -> None:
    """Run `bertsum`."""
    sys.exit(run_cli(COMMANDS, argv))


if __name__ == "__main__":
    main()
