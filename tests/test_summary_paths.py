"""HTTP, the `bertsum summarize` command and `Summarizer.summarize` give the same summaries."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from app.cli import main
from model.inference import Summarizer, load_summarizer
from model.types import Budget
from tests.app.harness import running_app
from tests.model.chinese import ARTICLE as CHINESE

pytestmark = pytest.mark.anyio

DOCUMENTS = {
    # Two sentences sharing a trigram, fewer than asked for: the whole document comes back.
    "short": "The cat sat on the mat today. The cat sat on the mat again.",
    "long": " ".join(
        f"Report {i} says the market in town {i % 4} rose again today." for i in range(40)
    ),
    # PTB-tokenized, lower-cased, with a paragraph break and a question inside a quote.
    "odd": "`` is it over ? '' he asked . the vote was close -lrb- 51 to 49 -rrb- .\n\n"
    "officials said the count would be checked . nobody objected .",
    # A script the tiny model's vocabulary lacks: every path ranks it by the fallback.
    "unreadable": CHINESE,
}
BUDGETS = {
    "count": Budget(num_sentences=3),
    "ratio": Budget(ratio=0.5),
    "words": Budget(max_words=20),
}


def budget_fields(budget: Budget) -> dict[str, float]:
    """The budget as request fields (and command-line options): only the one that is set."""
    return {name: value for name, value in asdict(budget).items() if value is not None}


@pytest.fixture(scope="module")
def summarizer(tiny_checkpoint: Path) -> Summarizer:
    """The tiny checkpoint, loaded once for the three paths."""
    return load_summarizer(tiny_checkpoint, device="cpu")


def cli_summary(checkpoint: Path, text: str, budget: Budget, tmp: Path) -> dict[str, object]:
    """`bertsum summarize` of one JSONL row: its indices and whether it asked for too many."""
    source, out = tmp / "in.jsonl", tmp / "out.jsonl"
    source.write_text(json.dumps({"id": "x", "article": text}) + "\n")
    flags = [f"--{name.replace('_', '-')}={value}" for name, value in budget_fields(budget).items()]
    with pytest.raises(SystemExit) as ended:
        main(["--log-level", "WARNING", "summarize", str(source), "--checkpoint", str(checkpoint),
              *flags, "-o", str(out)])  # fmt: skip
    assert ended.value.code == 0
    row = json.loads(out.read_text())
    return {
        "indices": [s["index"] for s in row["sentences"]],
        "fewer": row["fewer_sentences_than_requested"],
        "method": row["method"],
    }


@pytest.mark.parametrize("budget_name", sorted(BUDGETS))
@pytest.mark.parametrize("document", sorted(DOCUMENTS))
async def test_the_three_paths_agree(
    summarizer: Summarizer, tiny_checkpoint: Path, tmp_path: Path, document: str, budget_name: str
) -> None:
    text, budget = DOCUMENTS[document], BUDGETS[budget_name]
    direct = summarizer.summarize(text, budget)
    expected = {
        "indices": [s.index for s in direct.sentences],
        "fewer": direct.fewer_sentences_than_requested,
        "method": direct.method,
    }
    async with running_app(summarizer) as (_, client):
        response = await client.post("/summarize", json={"text": text, **budget_fields(budget)})
    assert response.status_code == 200, response.text
    body = response.json()
    over_http = {
        "indices": [s["index"] for s in body["sentences"]],
        "fewer": body["fewer_sentences_than_requested"],
        "method": body["method"],
    }
    assert over_http == expected
    assert cli_summary(tiny_checkpoint, text, budget, tmp_path) == expected
    assert expected["indices"], "every document gets a summary"
    assert expected["method"] == ("textrank-fallback" if document == "unreadable" else "model")


async def test_the_library_returns_a_short_document_whole(summarizer: Summarizer) -> None:
    summary = summarizer.summarize(DOCUMENTS["short"], Budget(num_sentences=3))
    assert [s.index for s in summary.sentences] == [0, 1]
    assert summary.fewer_sentences_than_requested
