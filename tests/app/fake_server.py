"""Runs `bertsum serve`'s server with the fake predictor, so process-level tests need no model."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from app.logging_setup import configure_logging
from app.serve_command import serve
from app.settings import load_settings
from tests.app.fakes import EnglishOnlyPredictor, FakePredictor


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per forward pass")
    parser.add_argument("--load-when", type=Path, help="the model 'loads' once this file exists")
    parser.add_argument("--english-only", action="store_true", help="CJK text reads as [UNK]")
    args = parser.parse_args()
    settings = load_settings(host="127.0.0.1", port=args.port)
    configure_logging(settings.log_level, settings.json_logs)
    return serve(settings, lambda _: load(args.load_when, args.delay, args.english_only))


def load(when: Path | None, delay: float, english_only: bool) -> FakePredictor:
    """The fake model, once `when` exists (at most a minute), so a test sees the loading state."""
    deadline = time.monotonic() + 60
    while when is not None and not when.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return (EnglishOnlyPredictor if english_only else FakePredictor)(delay=delay)


if __name__ == "__main__":
    sys.exit(main())
