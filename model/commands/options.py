"""Command-line options shared by the commands that load a checkpoint for inference."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from model.inference import DTYPES


def add_model_options(parser: argparse.ArgumentParser | Any) -> None:
    """--checkpoint, --no-trigram-blocking, --device and --dtype on a parser or argument group."""
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
        choices=["auto", *DTYPES],
        default="auto",
        help="inference precision (auto: bf16/fp16 on a GPU, bf16 on a CPU that computes it "
        "natively, else fp32)",
    )
