"""The `bertsum` command line: one parser whose subcommands live in their own modules.

Only the chosen subcommand's module is imported, so `bertsum --help` and `bertsum serve --help`
load neither torch nor transformers.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from model.errors import InputError

# Known failures: a traceback would only hide the one line that says what to fix.
KNOWN_ERRORS = (InputError, OSError)
USAGE_ERROR = 2  # argparse's exit code for a bad option; the same for bad input


@dataclass(frozen=True, slots=True)
class Command:
    """A subcommand: the module with `add_arguments(parser)` and `run(args) -> int`, its help."""

    module: str
    help: str
    configures_logging: bool = False  # the command sets logging up from its own settings


MODEL_COMMANDS: dict[str, Command] = {
    "evaluate": Command(
        "model.commands.evaluate",
        "score extractive systems with ROUGE-1/2/Lsum (rouge-score, stemmed) and 95% intervals",
    ),
    "train": Command(
        "model.commands.train",
        "fine-tune a BertSum scorer and write a checkpoint (resumes if OUT has a saved state)",
    ),
    "summarize": Command(
        "model.commands.summarize",
        "summarize plain text (file or stdin), or JSONL of {id, article} into JSONL "
        "(--backend ray: a corpus on Ray Data)",
    ),
}


class CommandModule(Protocol):
    """What a subcommand module provides."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def chosen_command(commands: dict[str, Command], argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line: the first argument that names one."""
    return next((argument for argument in argv if argument in commands), None)


def build_parser(commands: dict[str, Command], chosen: str | None) -> argparse.ArgumentParser:
    """The top-level parser; only the ``chosen`` subcommand's module is imported for its options."""
    parser = argparse.ArgumentParser(
        prog="bertsum", description="BertSum-style extractive summarization."
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default: INFO)")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of a failure, not just one line"
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in commands.items():
        # argparse expands % in help (not in descriptions): "95%" must reach it as "95%%".
        escaped = command.help.replace("%", "%%")
        sub = subparsers.add_parser(name, help=escaped, description=command.help)
        if name == chosen:
            module = cast(CommandModule, importlib.import_module(command.module))
            module.add_arguments(sub)
            sub.set_defaults(handler=module.run)
    return parser


def run_cli(commands: dict[str, Command], argv: Sequence[str] | None = None) -> int:
    """Parse arguments, configure logging once, and run the chosen subcommand.

    A known error (bad checkpoint, input file or option) is one line on stderr and exit code 2;
    with ``--debug``, or for anything else (a bug), the traceback shows.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(commands, chosen_command(commands, arguments)).parse_args(arguments)
    if not commands[args.command].configures_logging:
        logging.basicConfig(
            level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    try:
        return int(args.handler(args))
    except KNOWN_ERRORS as error:
        if args.debug:
            raise
        print(f"bertsum {args.command}: {error}", file=sys.stderr)
        return USAGE_ERROR
