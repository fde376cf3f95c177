"""An honest answer when the model cannot read a text: a language-independent ranker instead.

A model whose vocabulary lacks a script reads its text as ``[UNK]`` pieces; its scores then say
nothing about the sentences. When most pieces are unknown, the sentences are ranked by TextRank
over character unigrams and bigrams, which needs no vocabulary and no word boundaries (bigrams
alone leave a short Chinese article's graph nearly without edges).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from model.selection import summarize_scores
from model.text.languages import character_ngrams
from model.types import FALLBACK, MODEL, Budget, Method, PreparedDocument, Summary

if TYPE_CHECKING:  # the service imports this module; it must not pull in numpy or transformers
    from model.network.inputs import EncodedDocument

# Above this share of unknown word pieces the model is not asked (BERTSUM_MAX_UNKNOWN_RATIO).
DEFAULT_MAX_UNKNOWN_RATIO = 0.5


def unknown_ratio(encoded: EncodedDocument, unknown_id: int | None) -> float:
    """The share of ``unknown_id`` among the word pieces the model reads for each sentence
    (``[CLS]`` and ``[SEP]`` left out); 0 for a tokenizer without an unknown token."""
    if unknown_id is None:
        return 0.0
    unknown = total = 0
    for index in range(encoded.num_sentences):
        window, start, end = encoded.sentence_span(index)
        pieces = encoded.windows[window].input_ids[start + 1 : end - 1]
        unknown += sum(1 for piece in pieces if piece == unknown_id)
        total += len(pieces)
    return unknown / total if total else 0.0


def choose_method(ratio: float, max_unknown_ratio: float) -> Method:
    """The model's scores, unless more than ``max_unknown_ratio`` of the pieces are unknown."""
    return FALLBACK if ratio > max_unknown_ratio else MODEL


def fallback_scores(texts: Sequence[str]) -> list[float]:
    """TextRank over character unigrams and bigrams, scaled so the most central scores 1."""
    from model.baselines import textrank_scores

    scores = textrank_scores(texts, terms=character_ngrams)
    top = float(scores.max()) if len(scores) else 0.0
    return [float(score) / top if top > 0 else 0.0 for score in scores]


def fallback_warning(ratio: float) -> str:
    """The plain words that tell a client why the model did not choose."""
    return (
        f"The model cannot read this text: {ratio:.0%} of its word pieces are unknown to the "
        "model's vocabulary (another language or script?). The sentences were chosen by TextRank "
        "over characters instead, without the model; their scores are centrality, not "
        "relevance."
    )


def said_by_fallback(summary: Summary, ratio: float) -> Summary:
    """``summary`` marked as chosen by the fallback, with the warning that says why."""
    return replace(summary, method=FALLBACK, warning=fallback_warning(ratio))


def fallback_summary(
    document: PreparedDocument, budget: Budget, trigram_blocking: bool = True
) -> Summary:
    """The summary TextRank over characters gives a text the model cannot read, saying so."""
    scores = fallback_scores([s.text for s in document.sentences])
    summary = summarize_scores(document.sentences, scores, budget, trigram_blocking)
    return said_by_fallback(summary, document.unknown_ratio)
