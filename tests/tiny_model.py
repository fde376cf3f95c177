"""A tiny character-vocabulary BERT saved like a real encoder, and toy documents to train on."""

from __future__ import annotations

import string
from pathlib import Path

import torch
from transformers import BertConfig, BertModel, BertTokenizerFast

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = "the a of and to in is was said summary news minister market team game film".split()


def tiny_vocab() -> list[str]:
    """Special tokens, some whole words, and every character with its continuation form."""
    characters = list(string.ascii_lowercase + string.digits + string.punctuation)
    return list(dict.fromkeys(SPECIAL + WORDS + characters + ["##" + c for c in characters]))


def write_tiny_encoder(directory: Path, seed: int = 0, dropout: float = 0.1) -> Path:
    """Save a 2-layer, 32-wide BERT and its tokenizer to ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    vocab_file = directory / "vocab.txt"
    vocab_file.write_text("\n".join(tiny_vocab()) + "\n")
    tokenizer = BertTokenizerFast(vocab=str(vocab_file), do_lower_case=True)
    tokenizer.save_pretrained(str(directory))
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(tiny_vocab()),
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
    rows = []
    for number in range(count):
        topic = TOPICS[number % len(TOPICS)]
        filler = [f"Filler line {number}{k} has nothing to say." for k in range(4)]
        key = f"The {topic} news was said to matter most today."
        sentences = [*filler[:2], key, *filler[2:]]
        rows.append({"id": f"toy/{number}", "article": " ".join(sentences), "summary": key})
    return rows
