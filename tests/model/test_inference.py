"""Tests for the inference API on a tiny checkpoint: offsets, budgets, batching, long documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.inference import Summarizer, load_summarizer, split_for_encoder
from model.types import Budget

ARTICLE = (
    "The city council approved a new budget on Tuesday. It raises spending on schools by "
    "4%. Critics said the plan ignores roads.\n\nThe mayor, Dr. Ana Ruiz, called the vote "
    'historic. "We kept our promise," she said. A final vote is due in March.'
)


@pytest.fixture(scope="module")
def summarizer(tiny_checkpoint: Path) -> Summarizer:
    """A summarizer on a freshly initialised tiny checkpoint."""
    return load_summarizer(tiny_checkpoint, device="cpu")


def test_chosen_sentences_point_into_the_text(summarizer: Summarizer) -> None:
    summary = summarizer.summarize(ARTICLE, Budget(num_sentences=3))
    assert summary.num_document_sentences == 6
    assert len(summary.scores) == 6 and all(0.0 <= s <= 1.0 for s in summary.scores)
    assert len(summary.sentences) == 3
    assert [s.index for s in summary.sentences] == sorted(s.index for s in summary.sentences)
    for sentence in summary.sentences:
        assert ARTICLE[sentence.start : sentence.end] == sentence.text
        assert sentence.score == summary.scores[sentence.index]
    assert summary.text == " ".join(s.text for s in summary.sentences)


@pytest.mark.parametrize(
    ("budget", "count"),
    [(Budget(num_sentences=1), 1), (Budget(ratio=0.5), 3), (Budget(num_sentences=50), 6)],
)
def test_sentence_budgets(summarizer: Summarizer, budget: Budget, count: int) -> None:
    summary = summarizer.summarize(ARTICLE, budget, trigram_blocking=False)
    assert len(summary.sentences) == count


def test_prepared_documents_are_summarized_under_the_budget_they_were_prepared_for(
    summarizer: Summarizer,
) -> None:
    budgets = [Budget(num_sentences=1), Budget(ratio=0.5), Budget(num_sentences=2)]
    prepared = [summarizer.prepare(ARTICLE, budget) for budget in budgets]
    assert [d.budget for d in prepared] == budgets
    summaries = summarizer.summarize_prepared(prepared, trigram_blocking=False)
    assert [len(s.sentences) for s in summaries] == [1, 3, 2]


def test_word_budget(summarizer: Summarizer) -> None:
    summary = summarizer.summarize(ARTICLE, Budget(max_words=15))
    assert 0 < sum(len(s.text.split()) for s in summary.sentences) <= 15


def test_batch_results_match_single_results_and_repeat(summarizer: Summarizer) -> None:
    texts = [ARTICLE, "Short one. Two.", ARTICLE.replace("Tuesday", "Monday") * 3]
    batched = summarizer.summarize_many(texts, batch_size=3)
    for text, result in zip(texts, batched, strict=True):
        alone = summarizer.summarize(text)
        assert [s.index for s in result.sentences] == [s.index for s in alone.sentences]
        assert result.scores == pytest.approx(alone.scores, abs=1e-5)
    assert summarizer.summarize_many(texts, batch_size=3) == batched


def test_twenty_thousand_words_are_all_scored(summarizer: Summarizer) -> None:
    text = " ".join(f"Sentence {i} tells the reader about the market today." for i in range(2300))
    assert len(text.split()) >= 20_000
    summary = summarizer.summarize(text, Budget(num_sentences=5))
    assert summary.num_document_sentences == 2300
    assert len(summary.scores) == 2300
    assert len(summary.sentences) >= 1


def test_text_without_sentences_is_refused(summarizer: Summarizer) -> None:
    with pytest.raises(ValueError, match="no sentences"):
        summarizer.prepare("  \n\n ")


def test_ptb_text_reaches_the_encoder_as_prose() -> None:
    text = "he said `` it 's fine '' -lrb- really -rrb- . the end ."
    assert split_for_encoder(text)[1] == ['he said "it\'s fine" (really).', "the end."]


def test_info_describes_the_model(summarizer: Summarizer) -> None:
    card = summarizer.card
    assert card.device == "cpu" and card.finetune == "top"
    assert len(card.base_encoder_sha256 or "") == 64
