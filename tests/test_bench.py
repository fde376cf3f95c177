"""The benchmark scripts' pieces that can go wrong without a benchmark run: picks, tables, keys."""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from bench import compare, paired_precision, project_systems
from bench.peer_bert_extractive import GivenSentences
from model.evaluation.rouge import report

# The scripts import each other by name, as they do when run from scripts/.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

ARTICLE = (
    "The council approved the budget on Monday. It raises school spending by ten percent. "
    "Critics said the budget was not paid for. The mayor will sign the budget this week. "
    "Schools welcomed the money."
)


@pytest.mark.parametrize("name", project_systems.SUMY_SYSTEMS)
def test_sumy_systems_pick_k_sentences_of_the_projects_split(name: str) -> None:
    doc = {"id": "d", "article": ARTICLE, "summary": ["The budget was approved."], "k": 2}
    (chosen,) = project_systems.sumy_picker(name)([doc])
    assert len(chosen) == 2 and chosen == sorted(chosen)
    assert set(chosen) <= set(range(5))


def test_the_peer_handler_returns_the_given_sentences_unfiltered() -> None:
    handler = GivenSentences()
    handler.sentences = ["Short.", "A longer sentence that passes the length filter."]
    assert handler("ignored body", min_length=40) == handler.sentences


def test_a_system_that_could_not_run_is_a_row_saying_why() -> None:
    values = np.full((2, 3), 0.5)
    ok = {
        "label": "ours",
        "kind": "model",
        "arg": "float32",
        "peak_rss_mib": 100.0,
        "datasets": {"d": {"docs_per_s": 4.0, "report": report("ours", values), "scores": values}},
    }
    broken = {"label": "peer", "kind": "peer", "arg": "bert", "error": "ImportError: x"}
    lines = compare.dataset_table([ok, broken], "d", ok)
    assert "| ours | 2 | 50.00 [50.00, 50.00]" in lines[2] and "| 4.00 | 1.00x | 100 |" in lines[2]
    assert "could not run: ImportError: x" in lines[3]


def fake_checkpoint(folder: Path, weights: bytes, version: str = "1.0") -> Path:
    """A folder with the files a report run's key reads (no loadable network)."""
    folder.mkdir()
    (folder / "meta.json").write_text(json.dumps({"id": "m", "version": version}))
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(weights)
    return folder


def keys(checkpoint: Path, documents: bytes = b"docs") -> dict[str, str]:
    """The kept-run key of every system of the report, by label."""
    return {
        system.label: compare.run_key(system, checkpoint, documents)
        for system in compare.systems(compare.MODEL_DTYPES, with_peer=True, slow_limit=5)
    }


def test_a_new_checkpoint_reruns_only_the_model_rows(tmp_path: Path) -> None:
    old = keys(fake_checkpoint(tmp_path / "old", b"old weights"))
    new = keys(fake_checkpoint(tmp_path / "new", b"new weights"))
    changed = {label for label in old if old[label] != new[label]}
    assert changed == {f"ours, {dtype}" for dtype in compare.MODEL_DTYPES}
    assert len(set(old.values())) == len(old)  # no two systems share a kept run


def test_a_new_summary_rule_reruns_only_the_model_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoint = fake_checkpoint(tmp_path / "a", b"weights")
    before = keys(checkpoint)
    monkeypatch.setattr(compare, "summary_rule_digest", lambda: "another rule")
    after = keys(checkpoint)
    changed = {label for label in before if before[label] != after[label]}
    assert changed == {f"ours, {dtype}" for dtype in compare.MODEL_DTYPES}


def test_the_same_checkpoint_elsewhere_reuses_every_row(tmp_path: Path) -> None:
    first = keys(fake_checkpoint(tmp_path / "a", b"weights"))
    assert keys(fake_checkpoint(tmp_path / "b", b"weights")) == first
    assert keys(fake_checkpoint(tmp_path / "c", b"weights", version="2.0")) != first
    other_documents = keys(tmp_path / "a", b"other docs")
    assert not set(other_documents.values()) & set(first.values())


def test_a_run_kept_under_the_old_key_is_adopted_except_the_models(tmp_path: Path) -> None:
    documents = b"docs"
    args = argparse.Namespace(checkpoint=None)
    for system in (compare.System("Lead", "project", "lead"), compare.System("ours", "model", "x")):
        old_key = json.dumps([system.label, system.limit, "None"]).encode()
        legacy = tmp_path / f"{hashlib.sha256(documents + old_key).hexdigest()[:16]}.json"
        legacy.write_text("{}")
        target = tmp_path / f"new-{system.arg}.json"
        compare.adopt_legacy_run(system, args, documents, target)
        assert target.exists() == (system.kind != "model")


def test_a_precision_within_the_tolerance_only_when_its_interval_is() -> None:
    same = np.full((40, 3), 0.3)
    worse = same - np.where(np.arange(40) % 2 == 0, 0.02, 0.0)[:, None]  # -1 R-1 on average
    rates: dict[str, float] = {}
    scored = {"d": ({"float32": same, "int8": same, "bad": worse}, rates)}
    assert paired_precision.verdict(scored, "int8").endswith("rule holds")
    assert paired_precision.verdict(scored, "bad").endswith("rule is not shown")


def test_profile_samples_are_told_apart_by_thread_and_innermost_work() -> None:
    spy = importlib.import_module("profile_service")
    root = "thread (1): inference_0;Thread.run (threading.py:982);_worker (concurrent/futures)"
    forward = f"{root};Summarizer.score (model/inference.py:206);forward (torch/nn/x.py:1)"
    loop = "thread (2): MainThread;main (app/cli.py:22);Runner.run (asyncio/runners.py:118)"
    preparing = "thread (3): AnyIO worker thread;run;textrank_weights (model/baselines.py:76)"
    idle = "thread (3): AnyIO worker thread;WorkerThread.run;Condition.wait (threading.py:327)"
    total, counts = spy.shares([f"{forward} 5", f"{loop} 3", f"{preparing} 2", f"{idle} 1"])
    assert total == 11
    assert counts == {
        ("inference thread", "forward pass"): 5,
        ("event loop", "event loop waiting (uvloop)"): 3,
        ("preparing threads", "centrality (TextRank)"): 2,
        ("preparing threads", "idle (waiting for work)"): 1,
    }
