"""Tests for `bertsum summarize`: plain text and JSONL in, sentences and JSONL out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main

ARTICLE = "The river rose overnight. Roads were closed. Schools opened late. The rain stopped."


def run(*args: str) -> int:
    """Run `bertsum` and return its exit status."""
    with pytest.raises(SystemExit) as ended:
        main(["--log-level", "WARNING", *args])
    return int(ended.value.code or 0)


def test_plain_text_file(tiny_checkpoint: Path, tmp_path: Path) -> None:
    source = tmp_path / "article.txt"
    source.write_text(ARTICLE)
    out = tmp_path / "summary.txt"
    assert run("summarize", str(source), "--checkpoint", str(tiny_checkpoint), "-k", "2",
               "-o", str(out)) == 0  # fmt: skip
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and all(line in ARTICLE for line in lines)


def test_jsonl_in_jsonl_out(tiny_checkpoint: Path, tmp_path: Path) -> None:
    source = tmp_path / "docs.jsonl"
    source.write_text(
        "".join(
            json.dumps({"id": f"d{i}", "article": " ".join([ARTICLE] * (i + 1))}) + "\n"
            for i in range(3)
        )
    )
    out = tmp_path / "out.jsonl"
    assert run("summarize", str(source), "--checkpoint", str(tiny_checkpoint), "--ratio", "0.5",
               "-o", str(out)) == 0  # fmt: skip
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["d0", "d1", "d2"]
    assert [r["num_document_sentences"] for r in rows] == [4, 8, 12]
    for row, multiple in zip(rows, (1, 2, 3), strict=True):
        text = " ".join([ARTICLE] * multiple)
        for sentence in row["sentences"]:
            assert text[sentence["start"] : sentence["end"]] == sentence["text"]


def test_bad_jsonl_is_reported(tiny_checkpoint: Path, tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text('{"id": 1}\n')
    assert run("summarize", str(source), "--checkpoint", str(tiny_checkpoint)) == 1
