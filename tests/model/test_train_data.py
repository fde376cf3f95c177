"""Tests for the frozen-encoder feature cache: one encoder pass serves every pooling."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import torch

from model.network.encoder import ModelConfig, build_scorer, load_tokenizer
from model.network.inputs import EncodedDocument
from model.network.scorer import ExtractiveScorer, Pooling, collate
from model.training import data as train_data
from model.training.config import TrainConfig
from model.training.data import cached_features, load_train_items
from tests.helpers import count_documents


@dataclass
class FrozenRun:
    """A frozen-encoder training config on the toy file, its scorer and its encoded documents."""

    frozen: ModelConfig
    config: TrainConfig
    scorer: ExtractiveScorer
    documents: list[EncodedDocument]
    pad_id: int


def frozen_run(tiny_config: ModelConfig, toy_jsonl: Path, tmp_path: Path) -> FrozenRun:
    """The toy training file read as a frozen-encoder run caching into ``tmp_path``."""
    frozen = replace(tiny_config, top_layers=0)
    config = TrainConfig([str(toy_jsonl)], str(tmp_path / "run"), model=frozen)
    config.cache_dir = str(tmp_path / "cache")
    tokenizer = load_tokenizer(frozen.base_encoder)
    documents = [item.encoded for item in load_train_items(config, tokenizer)]
    scorer = build_scorer(frozen).eval()
    return FrozenRun(frozen, config, scorer, documents, int(tokenizer.pad_token_id or 0))


def test_cached_features_serve_each_pooling_from_one_file(
    tiny_config: ModelConfig, toy_jsonl: Path, tmp_path: Path
) -> None:
    run = frozen_run(tiny_config, toy_jsonl, tmp_path)
    frozen, config, scorer, documents = run.frozen, run.config, run.scorer, run.documents
    pad_id = run.pad_id
    batch = collate(documents[:1], pad_id)
    poolings: list[Pooling] = ["cls+mean", "mean", "cls"]
    for pooling in poolings:
        config.model = replace(frozen, head=replace(frozen.head, pooling=pooling))
        cpu = torch.device("cpu")
        features = cached_features(scorer, documents, "train", config, pad_id, cpu, torch.float32)
        with torch.inference_mode():
            direct = scorer.sentence_vectors(batch, pooling)[0]
        assert len(features) == len(documents)
        torch.testing.assert_close(features[0], direct, rtol=1e-5, atol=1e-5)
    assert len(list(Path(config.cache_dir).glob("features-*/*.safetensors"))) == 1
    config.model = replace(frozen, head=replace(frozen.head, pooling="mean", layer_mix=True))
    mixed = build_scorer(config.model).eval()
    cpu = torch.device("cpu")
    layered = cached_features(mixed, documents, "train", config, pad_id, cpu, torch.float32)
    assert layered[0].shape == (documents[0].num_sentences, 3 * 32)  # embeddings + 2 layers
    with torch.inference_mode():
        top_mean = scorer.sentence_vectors(batch, "mean")[0]
    torch.testing.assert_close(layered[0][:, -32:], top_mean, rtol=1e-5, atol=1e-5)
    assert len(list(Path(config.cache_dir).glob("features-*/*.safetensors"))) == 2


def test_cached_features_are_shared_by_documents_whatever_the_files(
    tiny_config: ModelConfig, toy_jsonl: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = frozen_run(tiny_config, toy_jsonl, tmp_path)
    config, scorer, documents = run.config, run.scorer, run.documents
    pad_id, cpu = run.pad_id, torch.device("cpu")
    first = cached_features(scorer, documents, "train", config, pad_id, cpu, torch.float32)
    encoded = count_documents(monkeypatch, train_data, "sentence_features")
    reordered = list(reversed(documents[1:]))
    again = cached_features(scorer, reordered, "dev", config, pad_id, cpu, torch.float32)
    assert encoded == []  # another subset, in another order: nothing encoded again
    for vectors, expected in zip(again, reversed(first[1:]), strict=True):
        torch.testing.assert_close(vectors, expected)
    assert documents[0].num_sentences > 1
    changed = replace(documents[0], owner=documents[0].owner[:-1])  # one sentence fewer scored
    cached_features(scorer, [*documents, changed], "train", config, pad_id, cpu, torch.float32)
    assert encoded == [1]  # only the changed document is encoded
