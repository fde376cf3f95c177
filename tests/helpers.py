"""Small builders shared by tests of several modules."""

from __future__ import annotations

from model.types import Sentence


def as_sentences(texts: list[str]) -> list[Sentence]:
    """Sentences of a document whose sentences are joined by single spaces."""
    sentences, start = [], 0
    for index, text in enumerate(texts):
        sentences.append(Sentence(index, text, start, start + len(text)))
        start += len(text) + 1
    return sentences
