"""Small builders shared by tests of several modules."""

from __future__ import annotations

from typing import Any

from model.types import Sentence


def as_sentences(texts: list[str]) -> list[Sentence]:
    """Sentences of a document whose sentences are joined by single spaces."""
    sentences, start = [], 0
    for index, text in enumerate(texts):
        sentences.append(Sentence(index, text, start, start + len(text)))
        start += len(text) + 1
    return sentences


def count_documents(monkeypatch: Any, module: Any, name: str) -> list[int]:
    """Wrap ``module.name(scorer, documents, ...)`` to record how many documents each call gets."""
    counts: list[int] = []
    real = getattr(module, name)

    def counting(scorer: Any, documents: Any, *args: Any) -> Any:
        counts.append(len(documents))
        return real(scorer, documents, *args)

    monkeypatch.setattr(module, name, counting)
    return counts
