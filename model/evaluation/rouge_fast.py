"""Fast ROUGE-1/2 F1 with rouge-score's tokens and stems (CJK: characters), for the oracle."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from nltk.stem import porter
from rouge_score import tokenize as rouge_tokenize

from model.text.languages import has_cjk, runs

Ngram = tuple[str, ...]

_STEMMER = porter.PorterStemmer()  # the stemmer rouge-score builds with use_stemmer=True


class _CachedStemmer:
    """rouge-score's Porter stemmer with a cache: news text repeats its words a lot."""

    @staticmethod
    @lru_cache(maxsize=200_000)
    def stem(word: str) -> str:
        return str(_STEMMER.stem(word))


_CACHED_STEMMER = _CachedStemmer()


def rouge_tokens(text: str) -> list[str]:
    """The tokens rouge-score scores for ``text`` with ``use_stemmer=True``, and each CJK
    character as a token of its own (rouge-score alone drops them all: ROUGE over characters)."""
    if not has_cjk(text):
        return list(rouge_tokenize.tokenize(text, _CACHED_STEMMER))
    tokens: list[str] = []
    for is_cjk, run in runs(text):
        tokens.extend(run if is_cjk else rouge_tokenize.tokenize(run, _CACHED_STEMMER))
    return tokens


class RougeTokenizer:
    """``rouge_tokens`` as the tokenizer rouge-score's ``RougeScorer`` takes."""

    def tokenize(self, text: str) -> list[str]:
        """The tokens ROUGE counts for ``text``."""
        return rouge_tokens(text)


def ngram_counts(tokens: Sequence[str], n: int) -> Counter[Ngram]:
    """How often each n-gram of ``tokens`` occurs."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def f1(overlap: int, predicted: int, reference: int) -> float:
    """F1 from clipped n-gram overlap and the two n-gram totals, as rouge-score computes it."""
    precision = overlap / max(predicted, 1)
    recall = overlap / max(reference, 1)
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def clipped_overlap(predicted: Counter[Ngram], reference: Counter[Ngram]) -> int:
    """Matches between two n-gram multisets: each n-gram counts at most as often as in both."""
    return sum(
        min(count, reference[gram]) for gram, count in predicted.items() if gram in reference
    )


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference summary's unigram and bigram counts, built once and scored against many times."""

    unigrams: Counter[Ngram]
    bigrams: Counter[Ngram]
    num_tokens: int

    @classmethod
    def from_sentences(cls, sentences: Iterable[str]) -> Reference:
        """The reference as rouge-score sees ``"\\n".join(sentences)``: one token stream."""
        tokens = rouge_tokens("\n".join(sentences))
        return cls(ngram_counts(tokens, 1), ngram_counts(tokens, 2), len(tokens))


def rouge12(prediction_tokens: Sequence[str], reference: Reference) -> tuple[float, float]:
    """ROUGE-1 and ROUGE-2 F1 of a token stream against a reference."""
    unigrams = ngram_counts(prediction_tokens, 1)
    bigrams = ngram_counts(prediction_tokens, 2)
    return (
        f1(
            clipped_overlap(unigrams, reference.unigrams),
            len(prediction_tokens),
            reference.num_tokens,
        ),
        f1(
            clipped_overlap(bigrams, reference.bigrams),
            max(len(prediction_tokens) - 1, 0),
            max(reference.num_tokens - 1, 0),
        ),
    )


def rouge12_text(prediction: str, reference: str) -> tuple[float, float]:
    """ROUGE-1 and ROUGE-2 F1 of two texts (convenience for tests and one-off scoring)."""
    return rouge12(rouge_tokens(prediction), Reference.from_sentences([reference]))
