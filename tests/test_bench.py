"""The comparison script's pieces that can be wrong without a benchmark run: picks and tables."""

from __future__ import annotations

import numpy as np
import pytest

from bench import compare, project_systems
from bench.peer_bert_extractive import GivenSentences
from model.evaluation.rouge import report

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
