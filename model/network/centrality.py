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
