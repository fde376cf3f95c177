"""Sentence centrality (TextRank) as features the head reads beside the encoder's vectors.

Some references are central sentences rather than leading ones (BBC's summaries look like the
output of a centrality-based extractor); mean-pooled sentence vectors do not show how much a
sentence shares with the rest of its document, so the head is told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from model.baselines import textrank_scores
from model.network.inputs import EncodedDocument
from model.selection import budget_share
from model.types import Budget


def centrality_features(texts: Sequence[str]) -> tuple[tuple[float, float], ...]:
    """Per sentence: its TextRank score times the sentence count minus 1 (0 on average), and its
    TextRank rank as a fraction (0: most central, 1: least); ``CENTRALITY_FEATURES`` values."""
    count = len(texts)
    if count == 0:
        return ()
    scores = textrank_scores(texts)  # [S], sums to 1
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(count)
    ranks[order] = np.arange(count)
    spread = max(1, count - 1)
    return tuple(
        (float(count * score - 1.0), float(rank / spread))
        for score, rank in zip(scores, ranks, strict=True)
    )


def with_centrality(encoded: EncodedDocument, texts: Sequence[str]) -> EncodedDocument:
    """The encoded document carrying the centrality features of its sentences ``texts``."""
    return replace(encoded, centrality=centrality_features(texts))


def with_budget_share(
    encoded: EncodedDocument, budget: Budget, texts: Sequence[str]
) -> EncodedDocument:
    """The document whose sentences' features also carry the share of it that ``budget`` takes
    (the same share the summary rule uses), so one head can score for short and long budgets."""
    if encoded.centrality is None:
        raise ValueError("the budget share goes beside the centrality features: compute them first")
    share = budget_share(budget, texts)
    return replace(encoded, centrality=tuple((*f, share) for f in encoded.centrality))
