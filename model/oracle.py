"""Greedy oracle labels: the sentences maximising ROUGE-1 F + ROUGE-2 F together (BertSum rule)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from model.rouge_fast import Ngram, Reference, clipped_overlap, f1, ngram_counts, rouge_tokens
from model.types import Budget


@dataclass(frozen=True, slots=True)
class SentenceNgrams:
    """One article sentence: its length, its n-grams that occur in the reference, its end tokens."""

    num_tokens: int
    unigram_hits: Counter[Ngram]
    bigram_hits: Counter[Ngram]
    first: str | None
    last: str | None


def sentence_ngrams(text: str, reference: Reference) -> SentenceNgrams:
    """A sentence's n-grams as the oracle needs them: only those in the reference can match."""
    tokens = rouge_tokens(text)
    unigrams = ngram_counts(tokens, 1)
    bigrams = ngram_counts(tokens, 2)
    return SentenceNgrams(
        num_tokens=len(tokens),
        unigram_hits=Counter({g: c for g, c in unigrams.items() if g in reference.unigrams}),
        bigram_hits=Counter({g: c for g, c in bigrams.items() if g in reference.bigrams}),
        first=tokens[0] if tokens else None,
        last=tokens[-1] if tokens else None,
    )


def selection_score(
    candidates: Sequence[SentenceNgrams], selection: Sequence[int], reference: Reference
) -> float:
    """ROUGE-1 F + ROUGE-2 F of the chosen sentences, joined in document order, vs the reference.

    Equals rouge-score on ``"\\n".join(chosen sentences)``: the bigram spanning two neighbouring
    chosen sentences counts too, as it does when rouge-score tokenizes the joined text.
    """
    unigrams: Counter[Ngram] = Counter()
    bigrams: Counter[Ngram] = Counter()
    num_tokens = 0
    previous_last: str | None = None
    for index in sorted(selection):
        candidate = candidates[index]
        if not candidate.num_tokens:
            continue
        unigrams.update(candidate.unigram_hits)
        bigrams.update(candidate.bigram_hits)
        if previous_last is not None:
            bigrams[(previous_last, candidate.first or "")] += 1
        previous_last = candidate.last
        num_tokens += candidate.num_tokens
    rouge1 = f1(clipped_overlap(unigrams, reference.unigrams), num_tokens, reference.num_tokens)
    rouge2 = f1(
        clipped_overlap(bigrams, reference.bigrams),
        max(num_tokens - 1, 0),
        max(reference.num_tokens - 1, 0),
    )
    return rouge1 + rouge2


def max_count(limit: int | Budget, num_sentences: int) -> int:
    """How many sentences the oracle may pick: a fixed count, or a ``Budget`` (e.g. a ratio)."""
    if isinstance(limit, Budget):
        return limit.max_sentences(num_sentences)
    if limit < 1:
        raise ValueError("the oracle needs room for at least one sentence")
    return limit


def oracle_labels(
    sentences: Sequence[str], reference: Sequence[str], max_sentences: int | Budget = 3
) -> list[int]:
    """Indices (ascending) of the greedy oracle selection of ``sentences`` against ``reference``.

    Each step adds the sentence that most raises ROUGE-1 F + ROUGE-2 F of the selection (ties go
    to the earlier sentence); selection stops when no sentence raises it or at the maximum count:
    3 suits CNN/DM highlights, ``Budget(ratio=...)`` long extractive references such as BBC's.
    """
    ref = Reference.from_sentences(reference)
    candidates = [sentence_ngrams(text, ref) for text in sentences]
    limit = min(max_count(max_sentences, len(sentences)), len(sentences))
    selected: list[int] = []
    best = 0.0
    while len(selected) < limit:
        step_best, step_index = best, -1
        for index in range(len(candidates)):
            if index in selected:
                continue
            score = selection_score(candidates, [*selected, index], ref)
            if score > step_best:
                step_best, step_index = score, index
        if step_index < 0:
            break
        selected.append(step_index)
        best = step_best
    return sorted(selected)
