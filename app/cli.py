"""The `bertsum` console entry point: the model's commands plus `serve`."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from model.cli import MODEL_COMMANDS, Command, run_cli

COMMANDS = {
    **MODEL_COMMANDS,
    "serve": Command(
        "app.serve_command",
        "run the HTTP summarization service (settings from BERTSUM_* variables; flags win)",
        configures_logging=True,  # from BERTSUM_LOG_LEVEL and BERTSUM_JSON_LOGS
    ),
}


def main(argv: Sequence[str] | None = None) -> None:
    """Run `bertsum`."""
    sys.exit(run_cli(COMMANDS, argv))


if __name__ == "__main__":
    main()
