"""The `bertsum` command line: one parser whose subcommands live in their own modules."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import Protocol, cast

# Subcommand name -> module with `HELP`, `add_arguments(parser)` and `run(args) -> int`.
MODEL_COMMANDS: dict[str, str] = {
    "evaluate": "model.commands.evaluate",
    "train": "model.commands.train",
    "summarize": "model.commands.summarize",
}


class CommandModule(Protocol):
    """What a subcommand module provides."""

    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def build_parser(commands: dict[str, str]) -> argparse.ArgumentParser:
    """Build the top-level parser with one subparser per importable command module."""
    parser = argparse.ArgumentParser(
        prog="bertsum", description="BertSum-style extractive summarization."
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default: INFO)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in commands.items():
        try:
            module = cast(CommandModule, importlib.import_module(module_name))
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue  # a command whose module is not written yet
        sub = subparsers.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def run_cli(commands: dict[str, str], argv: Sequence[str] | None = None) -> int:
    """Parse arguments, configure logging once, and run the chosen subcommand."""
    args = build_parser(commands).parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return int(args.handler(args))


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point for the model-only commands."""
    sys.exit(run_cli(MODEL_COMMANDS, argv))
