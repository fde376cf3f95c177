"""Reference extractive systems (lead, oracle, TextRank) and the registry the evaluation uses."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from sumy.utils import get_stop_words

from model.evaluation.rouge_fast import rouge_tokens
from model.text.data import Example
from model.training.oracle import oracle_labels
from model.types import Sentence

# A system picks at most ``k`` of the document's sentences and returns their indices.
System = Callable[[Sequence[Sentence], Example, int], list[int]]
# What TextRank compares sentences by: the terms of one sentence.
Terms = Callable[[str], Sequence[str]]

DAMPING = 0.85
STOP_WORDS = frozenset(rouge_tokens(" ".join(get_stop_words("english"))))


def lead(sentences: Sequence[Sentence], _example: Example, k: int) -> list[int]:
    """The first ``k`` sentences."""
    return list(range(min(k, len(sentences))))


def oracle(sentences: Sequence[Sentence], example: Example, k: int) -> list[int]:
    """The greedy ROUGE oracle: it reads the reference, so it is an upper bound, not a system."""
    return oracle_labels([s.text for s in sentences], example.summary_sentences, k)


def content_words(text: str) -> list[str]:
    """Stemmed, lower-cased words of ``text`` without stop words: what TextRank compares."""
    return [token for token in rouge_tokens(text) if token not in STOP_WORDS]


# Why not sumy's TextRankSummarizer (sumy is a dependency for its stop words): it links every
# sentence to itself, counts repeated words, and leaves a sentence that shares nothing as a rank
# sink, where Mihalcea & Tarau (2004) have none of these. On the first 500 CNN/DM dev documents,
# given the same sentences and content words, it picks the same 3 sentences in 180 documents
# only and scores R-1/R-2/R-Lsum 34.42/13.07/30.82 against 35.38/13.56/31.74 for this one
# (scripts/compare_with_libraries.py).
def textrank_similarity(words_a: Sequence[str], words_b: Sequence[str]) -> float:
    """Mihalcea & Tarau (2004): shared words over ``log |a| + log |b|``."""
    if not words_a or not words_b:
        return 0.0
    shared = len(set(words_a) & set(words_b))
    norm = math.log(len(words_a)) + math.log(len(words_b))
    return shared / norm if norm > 0 else float(shared)


def pagerank(weights: np.ndarray, damping: float = DAMPING, iterations: int = 100) -> np.ndarray:
    """Stationary scores of a weighted undirected graph given as a symmetric ``[S, S]`` matrix."""
    size = len(weights)
    out_weight = weights.sum(axis=1, keepdims=True)  # [S, 1]
    # A sentence sharing nothing with the others links to all equally (no rank sink).
    transitions = np.where(out_weight > 0, weights / np.maximum(out_weight, 1e-12), 1.0 / size)
    scores = np.full(size, 1.0 / size)  # [S]
    for _ in range(iterations):
        updated: np.ndarray = (1 - damping) / size + damping * transitions.T @ scores  # [S]
        if np.abs(updated - scores).sum() < 1e-9:
            return updated
        scores = updated
    return scores


def textrank_weights(texts: Sequence[str], terms: Terms = content_words) -> np.ndarray:
    """``textrank_similarity`` of every pair of sentences [S, S] (0 on the diagonal) over their
    ``terms``, computed as one matrix product so that long documents stay fast."""
    words = [terms(text) for text in texts]
    vocabulary: dict[str, int] = {}
    occurs = [sorted({vocabulary.setdefault(w, len(vocabulary)) for w in ws}) for ws in words]
    incidence = np.zeros((len(texts), max(1, len(vocabulary))))  # [S, V] 1 where a word occurs
    for row, columns in enumerate(occurs):
        incidence[row, columns] = 1.0
    shared = incidence @ incidence.T  # [S, S] distinct shared words
    logs = np.log(np.maximum([len(ws) for ws in words], 1))  # [S]
    norm = logs[:, None] + logs[None, :]  # [S, S]
    weights = np.where(norm > 0, shared / np.where(norm > 0, norm, 1.0), shared)
    np.fill_diagonal(weights, 0.0)
    return weights


def textrank_scores(texts: Sequence[str], terms: Terms = content_words) -> np.ndarray:
    """TextRank score of each sentence: PageRank over the overlap of their terms (content words
    unless told otherwise)."""
    return pagerank(textrank_weights(texts, terms)) if len(texts) else np.zeros(0)


def textrank(sentences: Sequence[Sentence], _example: Example, k: int) -> list[int]:
    """The ``k`` best TextRank sentences in document order (ties go to the earlier sentence)."""
    scores = textrank_scores([s.text for s in sentences])
    ranked = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    return sorted(ranked[:k])


# Name -> system. The trained model joins as "model", built only when asked for (it loads weights).
SYSTEMS: dict[str, System] = {"lead": lead, "oracle": oracle, "textrank": textrank}
