"""Fixtures for model tests: a tiny character-vocabulary BERT saved like a real encoder."""

from __future__ import annotations

import json
import string
from collections.abc import Sequence
from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertModel, BertTokenizerFast

from model.encoder import ModelConfig
from model.encoding import EncodingConfig
from model.network import HeadConfig

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = "the a of and to in is was said summary news minister market team game film".split()


def tiny_vocab(extra: Sequence[str] = ()) -> list[str]:
    """Special tokens, some whole words, every character with its continuation form, and
    ``extra`` tokens (e.g. Chinese characters, which BERT's tokenizer splits one by one)."""
    characters = list(string.ascii_lowercase + string.digits + string.punctuation)
    pieces = SPECIAL + WORDS + characters + ["##" + c for c in characters] + list(extra)
    return list(dict.fromkeys(pieces))


def write_tiny_encoder(
    directory: Path, seed: int = 0, dropout: float = 0.1, extra_vocab: Sequence[str] = ()
) -> Path:
    """Save a 2-layer, 32-wide BERT and its tokenizer to ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    vocab_file = directory / "vocab.txt"
    vocab_file.write_text("\n".join(tiny_vocab(extra_vocab)) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab=str(vocab_file), do_lower_case=True)
    tokenizer.save_pretrained(str(directory))
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(tiny_vocab(extra_vocab)),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        type_vocab_size=2,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(str(directory))
    return directory


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BERT saved as a local encoder directory (weights, config, tokenizer)."""
    return write_tiny_encoder(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def tiny_config(tiny_encoder_dir: Path) -> ModelConfig:
    """A model config on the tiny encoder: top layer + small Transformer head, short windows."""
    return ModelConfig(
        base_encoder=str(tiny_encoder_dir),
        finetune="top",
        top_layers=1,
        encoding=EncodingConfig(max_sentence_tokens=40, window_tokens=128, overlap_tokens=32),
        head=HeadConfig(pooling="mean", kind="transformer", heads=2, feedforward=32, dropout=0.0),
    )


TOPICS = ["market", "team", "film", "minister"]


def toy_rows(count: int) -> list[dict[str, str]]:
    """Documents whose summary is the sentence naming the document's topic; the rest is filler."""
    rows = []
    for number in range(count):
        topic = TOPICS[number % len(TOPICS)]
        filler = [f"Filler line {number}{k} has nothing to say." for k in range(4)]
        key = f"The {topic} news was said to matter most today."
        sentences = [*filler[:2], key, *filler[2:]]
        rows.append({"id": f"toy/{number}", "article": " ".join(sentences), "summary": key})
    return rows


@pytest.fixture()
def toy_jsonl(tmp_path: Path) -> Path:
    """A small training file of toy rows."""
    path = tmp_path / "toy.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in toy_rows(16)))
    return path


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_config: ModelConfig, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint of a freshly initialised tiny scorer."""
    from model.checkpoint import save_checkpoint
    from model.encoder import build_scorer, load_tokenizer

    directory = tmp_path_factory.mktemp("ckpt") / "tiny"
    tokenizer = load_tokenizer(tiny_config.base_encoder)
    save_checkpoint(directory, build_scorer(tiny_config), tokenizer, tiny_config, {}, "# tiny\n")
    return directory
