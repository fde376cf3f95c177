"""Command-line options and argument types shared by the commands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, get_args

from model.types import DtypeName


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number


def ratio(value: str) -> float:
    """An argparse type: a share in (0, 1]."""
    number = float(value)
    if not 0.0 < number <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {value}")
    return number


def add_model_options(parser: argparse.ArgumentParser | Any) -> None:
    """--checkpoint, --no-trigram-blocking, --device, --dtype and --batch-size on a parser or
    argument group."""
    parser.add_argument(
        "--checkpoint", type=Path, help="checkpoint directory (default: the shipped checkpoint)"
    )
    parser.add_argument(
        "--no-trigram-blocking",
        dest="trigram_blocking",
        action="store_false",
        help="allow sentences that share a word trigram with one already chosen "
        "(blocking is on by default)",
    )
    parser.add_argument(
        "--device", default="auto", help="cpu, cuda, cuda:N or auto (CUDA when present)"
    )
    parser.add_argument(
        "--dtype",
        choices=["auto", *get_args(DtypeName)],
        default="auto",
        help="inference precision (auto: bf16/fp16 on a GPU, bf16 on a CPU that computes it "
        "natively, else fp32)",
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=8, help="documents per forward pass"
    )
