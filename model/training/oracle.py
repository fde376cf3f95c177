"""Greedy oracle labels: the sentences maximising ROUGE-1 F + ROUGE-2 F together (BertSum rule)."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from model.evaluation.rouge_fast import Ngram, Reference, f1, ngram_counts, rouge_tokens
from model.types import Budget


@dataclass(frozen=True, slots=True)
class SentenceNgrams:
    """One article sentence: its length, its n-grams that occur in the reference, its end tokens."""

    num_tokens: int
    unigram_hits: Counter[Ngram]
    bigram_hits: Counter[Ngram]
    first: str
    last: str


def sentence_ngrams(text: str, reference: Reference) -> SentenceNgrams:
    """A sentence's n-grams as the oracle needs them: only those in the reference can match."""
    tokens = rouge_tokens(text)
    unigrams = ngram_counts(tokens, 1)
    bigrams = ngram_counts(tokens, 2)
    return SentenceNgrams(
        num_tokens=len(tokens),
        unigram_hits=Counter({g: c for g, c in unigrams.items() if g in reference.unigrams}),
        bigram_hits=Counter({g: c for g, c in bigrams.items() if g in reference.bigrams}),
        first=tokens[0] if tokens else "",
        last=tokens[-1] if tokens else "",
    )


def _overlap_gain(current: Counter[Ngram], delta: Counter[Ngram], reference: Counter[Ngram]) -> int:
    """How much the clipped overlap with the reference changes when ``delta`` is added."""
    gain = 0
    for gram, change in delta.items():
        have, most = current[gram], reference[gram]
        gain += min(have + change, most) - min(have, most)
    return gain


class RougeSelection:
    """Chosen sentences scored as rouge-score scores ``"\\n".join(them in document order)``.

    The bigram spanning two neighbouring chosen sentences counts, as it does when rouge-score
    tokenizes the joined text. Adding a sentence only touches its own n-grams and the two
    boundaries it changes, so trying every candidate at every step stays cheap.
    """

    def __init__(self, sentences: Sequence[SentenceNgrams], reference: Reference) -> None:
        self._sentences = sentences
        self._reference = reference
        self._chosen: list[int] = []  # sorted; sentences without tokens are chosen but inert
        self._with_tokens: list[int] = []  # sorted: the chosen sentences that have tokens
        self._unigrams: Counter[Ngram] = Counter()  # reference unigrams among the chosen
        self._bigrams: Counter[Ngram] = Counter()  # reference bigrams, boundaries included
        self._overlaps = (0, 0)
        self._num_tokens = 0

    @property
    def chosen(self) -> list[int]:
        """The chosen sentence indices, ascending."""
        return list(self._chosen)

    def _bigram_delta(self, index: int) -> Counter[Ngram]:
        """Bigrams that adding sentence ``index`` adds (its own, two boundaries) and removes."""
        sentence = self._sentences[index]
        delta = Counter(sentence.bigram_hits)
        position = bisect_left(self._with_tokens, index)
        before = self._sentences[self._with_tokens[position - 1]] if position > 0 else None
        after = (
            self._sentences[self._with_tokens[position]]
            if position < len(self._with_tokens)
            else None
        )
        if before is not None:
            delta[(before.last, sentence.first)] += 1
        if after is not None:
            delta[(sentence.last, after.first)] += 1
        if before is not None and after is not None:
            delta[(before.last, after.first)] -= 1  # the boundary the new sentence splits
        return delta

    def _score(self, overlaps: tuple[int, int], num_tokens: int) -> float:
        reference = self._reference
        rouge1 = f1(overlaps[0], num_tokens, reference.num_tokens)
        rouge2 = f1(overlaps[1], max(num_tokens - 1, 0), max(reference.num_tokens - 1, 0))
        return rouge1 + rouge2

    def _added(self, index: int) -> tuple[tuple[int, int], int, Counter[Ngram]]:
        sentence = self._sentences[index]
        bigram_delta = self._bigram_delta(index)
        overlaps = (
            self._overlaps[0]
            + _overlap_gain(self._unigrams, sentence.unigram_hits, self._reference.unigrams),
            self._overlaps[1] + _overlap_gain(self._bigrams, bigram_delta, self._reference.bigrams),
        )
        return overlaps, self._num_tokens + sentence.num_tokens, bigram_delta

    def score(self) -> float:
        """ROUGE-1 F + ROUGE-2 F of the chosen sentences against the reference."""
        return self._score(self._overlaps, self._num_tokens)

    def score_with(self, index: int) -> float:
        """The score the selection would have with sentence ``index`` added."""
        if not self._sentences[index].num_tokens:
            return self.score()
        overlaps, num_tokens, _ = self._added(index)
        return self._score(overlaps, num_tokens)

    def add(self, index: int) -> None:
        """Choose sentence ``index``."""
        if index in self._chosen:
            raise ValueError(f"sentence {index} is already chosen")
        insort(self._chosen, index)
        if not self._sentences[index].num_tokens:
            return
        self._overlaps, self._num_tokens, bigram_delta = self._added(index)
        self._unigrams.update(self._sentences[index].unigram_hits)
        self._bigrams.update(bigram_delta)
        insort(self._with_tokens, index)


def sentence_rouge_targets(sentences: Sequence[str], reference: Sequence[str]) -> list[float]:
    """Each sentence's own ROUGE-1 F + ROUGE-2 F against ``reference``, scaled so the document's
    best sentence has 1 (all 0 when none overlaps): soft targets beside the oracle's 0/1."""
    ref = Reference.from_sentences(reference)
    selection = RougeSelection([sentence_ngrams(text, ref) for text in sentences], ref)
    scores = [selection.score_with(index) for index in range(len(sentences))]
    best = max(scores, default=0.0)
    return [score / best if best > 0 else 0.0 for score in scores]


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
    selection = RougeSelection([sentence_ngrams(text, ref) for text in sentences], ref)
    limit = min(max_count(max_sentences, len(sentences)), len(sentences))
    chosen: set[int] = set()
    while len(chosen) < limit:
        best, best_index = selection.score(), -1
        for index in range(len(sentences)):
            if index in chosen:
                continue
            score = selection.score_with(index)
            if score > best:
                best, best_index = score, index
        if best_index < 0:
            break
        selection.add(best_index)
        chosen.add(best_index)
    return selection.chosen
