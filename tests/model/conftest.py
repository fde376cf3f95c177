"""Fixtures for model tests: a small training file of toy documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tiny_model import toy_rows


@pytest.fixture()
def toy_jsonl(tmp_path: Path) -> Path:
    """A small training file of toy rows."""
    path = tmp_path / "toy.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in toy_rows(16)))
    return path
