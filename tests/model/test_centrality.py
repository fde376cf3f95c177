"""Tests for the centrality features: TextRank's matrix, the features, a head that reads them."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from model.baselines import content_words, textrank_similarity, textrank_weights
from model.checkpoint import load_checkpoint
from model.inference import load_summarizer
from model.network.centrality import centrality_features
from model.network.encoder import ModelConfig
from model.selection import budget_share
from model.training.config import TrainConfig
from model.training.data import load_dev_items
from model.training.loop import train
from model.types import Budget

SENTENCES = [
    "The council approved the school budget on Monday.",
    "The school budget raises spending on teachers.",
    "Critics said the budget for the school was not paid for.",
    "It rained.",
]


def test_weights_equal_the_pairwise_similarity() -> None:
    weights = textrank_weights(SENTENCES)
    words = [content_words(s) for s in SENTENCES]
    for i in range(len(SENTENCES)):
        assert weights[i, i] == 0.0
        for j in range(len(SENTENCES)):
            if i != j:
                assert np.isclose(weights[i, j], textrank_similarity(words[i], words[j]))


def test_features_rank_the_central_sentence_first_and_the_isolated_one_last() -> None:
    features = centrality_features(SENTENCES)
    assert len(features) == len(SENTENCES)
    ranks = [rank for _, rank in features]
    assert ranks[3] == 1.0 and min(ranks) == 0.0
    assert abs(sum(score for score, _ in features)) < 1e-9  # centred on 0
    assert centrality_features([]) == ()
    assert centrality_features(["One sentence alone."]) == ((0.0, 0.0),)


def test_a_centrality_head_trains_and_serves(
    tiny_config: ModelConfig, toy_jsonl: Path, tmp_path: Path
) -> None:
    head = dataclasses.replace(tiny_config.head, centrality=True)
    model = dataclasses.replace(tiny_config, head=head, finetune="top", top_layers=0)
    config = TrainConfig(
        train_files=[str(toy_jsonl)],
        dev_files=[str(toy_jsonl)],
        out_dir=str(tmp_path / "run"),
        model=model,
        epochs=2,
        batch_size=8,
        head_learning_rate=3e-3,
        cache_dir=str(tmp_path / "cache"),
    )
    best = train(config)
    saved = json.loads((best / "config.json").read_text())
    assert saved["head"]["centrality"] is True
    summarizer = load_summarizer(best)
    prepared = summarizer.prepare(" ".join(SENTENCES))
    assert prepared.encoded is not None
    assert prepared.encoded.centrality == centrality_features(SENTENCES)
    assert len(summarizer.summarize(" ".join(SENTENCES)).sentences) == 3


def test_the_budget_share_rides_beside_the_centrality_in_training(
    tiny_config: ModelConfig, toy_jsonl: Path, tmp_path: Path
) -> None:
    head = dataclasses.replace(tiny_config.head, centrality=True, budget_share=True)
    model = dataclasses.replace(tiny_config, head=head, finetune="top", top_layers=0)
    config = TrainConfig(
        train_files=[str(toy_jsonl)],
        dev_files=[str(toy_jsonl)],
        dev_budgets=["2"],
        out_dir=str(tmp_path / "run"),
        model=model,
        epochs=1,
        batch_size=8,
        cache_dir=str(tmp_path / "cache"),
    )
    best = train(config)
    items = load_dev_items(load_checkpoint(best).tokenizer, config)
    for item in items:
        assert item.encoded.centrality is not None
        shares = {features[-1] for features in item.encoded.centrality}
        assert shares == {budget_share(item.budget, [s.text for s in item.sentences])}
        assert len(item.encoded.centrality[0]) == 3
    summarizer = load_summarizer(best)
    text = " ".join(SENTENCES)
    for budget, share in [(Budget(), 0.75), (Budget(ratio=0.5), 0.5), (Budget(max_words=7), 0.25)]:
        prepared = summarizer.prepare(text, budget)
        assert prepared.encoded is not None and prepared.encoded.centrality is not None
        assert [f[-1] for f in prepared.encoded.centrality] == [share] * len(SENTENCES)
    assert len(summarizer.summarize(text, Budget(num_sentences=2)).sentences) == 2
