"""A tiny character-vocabulary BERT saved like a real encoder, and toy documents to train on."""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from transformers import (
    BertConfig,
    BertModel,
    BertTokenizer,  # the fast (tokenizers) one since transformers 5
)

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
    tokenizer = BertTokenizer(vocab=str(vocab_file), do_lower_case=True)
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


TOPICS = ["market", "team", "film", "minister"]


def toy_rows(count: int) -> list[dict[str, str]]:
    """Documents whose summary is the sentence naming the document's topic; the rest is filler."""
    return topic_rows(
        count,
        TOPICS,
        lambda number, k: f"Filler line {number}{k} has nothing to say.",
        lambda topic: f"The {topic} news was said to matter most today.",
        prefix="toy",
        joiner=" ",
    )


def topic_rows(
    count: int,
    topics: Sequence[str],
    filler: Callable[[int, int], str],
    key: Callable[[str], str],
    prefix: str,
    joiner: str,
) -> list[dict[str, str]]:
    """``count`` documents of four ``filler`` sentences around the ``key`` sentence naming the
    document's topic, which is its summary."""
    rows = []
    for number in range(count):
        summary = key(topics[number % len(topics)])
        lines = [filler(number, k) for k in range(4)]
        sentences = [*lines[:2], summary, *lines[2:]]
        article = joiner.join(sentences)
        rows.append({"id": f"{prefix}/{number}", "article": article, "summary": summary})
    return rows
