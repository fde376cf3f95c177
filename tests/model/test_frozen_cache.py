"""Tests for the cache of frozen lower-layer states behind top-layer fine-tuning."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from model.network.encoder import ModelConfig, build_scorer, load_tokenizer
from model.network.scorer import HeadConfig, collate
from model.training import frozen_cache
from model.training.config import TrainConfig
from model.training.data import load_train_items
from model.training.frozen_cache import batch_states, cached_states, first_trained_layer
from tests.helpers import count_documents


def test_states_are_encoded_once_and_batch_like_the_full_pass(
    tiny_config: ModelConfig, toy_jsonl: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = HeadConfig(kind="transformer", heads=2, feedforward=32, layer_mix=True, dropout=0.0)
    model = replace(tiny_config, head=head, top_layers=1)
    config = TrainConfig([str(toy_jsonl)], str(tmp_path / "run"), model=model)
    config.cache_dir = str(tmp_path / "cache")
    tokenizer = load_tokenizer(model.base_encoder)
    documents = [item.encoded for item in load_train_items(config, tokenizer)]
    scorer = build_scorer(model).eval()
    first = first_trained_layer(config, scorer)
    assert first == 1  # the tiny encoder has 2 layers, the top one trains
    cpu = torch.device("cpu")
    states = cached_states(scorer, documents, "train", config, first, 0, cpu, torch.float32)
    encoded = count_documents(monkeypatch, frozen_cache, "compute_states")
    again = cached_states(scorer, documents[::-1], "dev", config, first, 0, cpu, torch.float32)
    assert encoded == []  # all cached, in any order
    torch.testing.assert_close(again[-1].tokens, states[0].tokens)
    picked = [documents[0], documents[3]]
    batch = collate(picked, 0)
    frozen = batch_states([states[0], states[3]], batch.input_ids.shape[1], first)
    assert states[0].tokens.dtype == torch.bfloat16  # stored at half size, hence the tolerance
    with torch.inference_mode():
        torch.testing.assert_close(scorer(batch, frozen), scorer(batch), rtol=1e-2, atol=2e-3)
    assert first_trained_layer(replace(config, model=replace(model, top_layers=0)), scorer) is None
