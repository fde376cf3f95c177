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


def test_bad_jsonl_is_reported(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text('{"id": 1}\n')
    assert run("summarize", str(source), "--checkpoint", str(tiny_checkpoint)) == 2
    assert capsys.readouterr().err == (
        f"bertsum summarize: {source}, line 1: expected an object with an 'article' string\n"
    )


def one_line_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run `bertsum` expecting a known error: exit code 2 and one line on stderr, no traceback."""
    assert run(*args) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error, error
    return error


def test_a_broken_checkpoint_is_one_line_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    source = tmp_path / "article.txt"
    source.write_text(ARTICLE)
    error = one_line_error(capsys, "summarize", str(source), "--checkpoint", str(broken))
    assert error.startswith("bertsum summarize: checkpoint") and "missing" in error


def test_a_missing_input_or_a_text_without_sentences_is_one_line(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    error = one_line_error(capsys, "summarize", str(tmp_path / "nowhere.txt"))
    assert "nowhere.txt" in error
    blank = tmp_path / "blank.txt"
    blank.write_text("   \n")
    error = one_line_error(capsys, "summarize", str(blank), "--checkpoint", str(tiny_checkpoint))
    assert "no sentences" in error


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        run("--debug", "summarize", str(tmp_path / "nowhere.txt"))


def test_a_jsonl_document_without_sentences_is_one_line_naming_it(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "docs.jsonl"
    rows = [{"id": "fine", "article": ARTICLE}, {"id": "empty", "article": " \n "}]
    rows.append({"article": ""})
    source.write_text("\n\n".join(json.dumps(row) for row in rows) + "\n")
    args = ("summarize", str(source), "--checkpoint", str(tiny_checkpoint))
    assert run(*args) == 2
    error = capsys.readouterr().err
    # Above the one line, only tqdm's progress bar (carriage returns, no line of its own).
    assert "Traceback" not in error and error.count("\n") <= 2, error
    assert error.splitlines()[-1] == (
        f"bertsum summarize: {source}, line 3: document 'empty': the text contains no sentences"
    )
    source.write_text(json.dumps(rows[2]) + "\n")
    assert run(*args) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"bertsum summarize: {source}, line 1: the text contains no sentences"
    )
