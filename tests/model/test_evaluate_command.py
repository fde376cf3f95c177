"""Tests for `bertsum evaluate` on a small JSONL fixture."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from model.cli import MODEL_COMMANDS, run_cli
from model.commands import evaluate

ROWS = [
    {
        "id": "d1",
        "article": "The council approved a new bridge. It will cost 40 million pounds. "
        "Weather was mild. Critics said the bridge cost too much.",
        "summary": "Council approves 40 million pound bridge.\nCritics say it costs too much.",
    },
    {
        "id": "d2",
        "article": "police arrested two men on friday . the men were charged . "
        "a dog barked . the arrests followed a long inquiry .",
        "summary": "two men were arrested and charged .",
    },
]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "dev.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS), encoding="utf-8")
    return path


def evaluate_cli(*options: str) -> int:
    return run_cli(MODEL_COMMANDS, ["--log-level", "WARNING", "evaluate", *options])


def test_one_system_writes_the_json_report(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "lead.json"
    assert evaluate_cli("--data", str(data), "--system", "lead", "--json", str(out)) == 0
    result = json.loads(out.read_text())
    assert result["system"] == "lead"
    assert result["n"] == 2
    for metric in ("rouge1", "rouge2", "rougeLsum"):
        assert result[metric]["low"] <= result[metric]["mid"] <= result[metric]["high"] <= 100
    assert result["budget"] == "k=3"
    assert "lead" in capsys.readouterr().out


def test_several_systems_print_side_by_side_with_gains(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "all.json"
    options = ["--data", str(data), "--k", "1", "--json", str(out), "--baseline", "lead"]
    for system in ("lead", "oracle", "textrank"):
        options += ["--system", system]
    assert evaluate_cli(*options) == 0
    reports = json.loads(out.read_text())
    assert [r["system"] for r in reports] == ["lead", "oracle", "textrank"]
    assert "gain_vs_baseline" not in reports[0]
    oracle_gain = reports[1]["gain_vs_baseline"]
    assert oracle_gain["baseline"] == "lead"
    assert oracle_gain["rouge1"]["mid"] == pytest.approx(
        reports[1]["rouge1"]["mid"] - reports[0]["rouge1"]["mid"], abs=0.02
    )
    table = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in table[2:]] == ["lead", "oracle", "gain", "textrank", "gain"]


def test_budgets_reach_the_systems(data: Path, tmp_path: Path) -> None:
    def lead_words(*budget: str) -> float:
        out = tmp_path / "lead.json"
        evaluate_cli("--data", str(data), "--system", "lead", "--json", str(out), *budget)
        return float(json.loads(out.read_text())["rouge1"]["mid"])

    # d1's reference has 2 sentences, d2's 1: the reference length differs from k=1 and k=4.
    scores = {
        lead_words("--k", "1"),
        lead_words("--k", "4"),
        lead_words("--match-reference-length"),
    }
    assert len(scores) == 3
    assert lead_words("--ratio", "1.0") == lead_words("--k", "4")


def test_limit_scores_the_first_documents(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "one.json"
    evaluate_cli("--data", str(data), "--system", "lead", "--limit", "1", "--json", str(out))
    assert json.loads(out.read_text())["n"] == 1


def test_budget_options_exclude_each_other(data: Path) -> None:
    with pytest.raises(SystemExit):
        evaluate_cli("--data", str(data), "--system", "lead", "--k", "2", "--ratio", "0.5")


def test_every_option_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    evaluate.add_arguments(parser)
    for action in parser._actions:
        assert action.help, f"{action.option_strings} has no help"
    with pytest.raises(SystemExit) as exit_info:
        evaluate_cli("--help")
    assert exit_info.value.code == 0
    assert "--match-reference-length" in capsys.readouterr().out


@pytest.mark.parametrize("option", [["--k", "0"], ["--ratio", "1.5"], ["--limit", "-1"]])
def test_out_of_range_numbers_are_refused(data: Path, option: list[str]) -> None:
    with pytest.raises(SystemExit):
        evaluate_cli("--data", str(data), "--system", "lead", *option)


def test_a_malformed_file_fails_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(ROWS[0]) + "\n{oops\n", encoding="utf-8")
    assert evaluate_cli("--data", str(bad), "--system", "lead") == 2  # a known error: one line
    error = capsys.readouterr().err
    assert "bad.jsonl, line 2" in error
    assert error.count("\n") == 1 and "Traceback" not in error


def test_the_model_system_scores_every_document_in_batches(
    data: Path, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    out = tmp_path / "model.json"
    options = ["--data", str(data), "--system", "model", "--checkpoint", str(tiny_checkpoint)]
    assert evaluate_cli(*options, "--batch-size", "2", "--json", str(out)) == 0
    result = json.loads(out.read_text())
    assert result["system"] == "model" and result["n"] == 2
    assert 0 < result["rouge1"]["mid"] <= 100
