"""Measure our TextRank and PTB detokenizer against the libraries' (sumy, nltk) on real data.

Prints ROUGE of our TextRank and of sumy's `TextRankSummarizer` on the same sentences, and the
share of sentences that our `detokenize` and nltk's `TreebankWordDetokenizer` write alike,
with the first differences. The comments in model/baselines.py and model/text/ptb.py quote the
figures; run this to check them.

    python scripts/compare_with_libraries.py [--data ../shared/data/cnndm/dev.jsonl] [--k 3]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from itertools import islice
from pathlib import Path

import numpy as np
from nltk.tokenize.treebank import TreebankWordDetokenizer
from sumy.models.dom import ObjectDocumentModel, Paragraph
from sumy.models.dom import Sentence as SumySentence
from sumy.summarizers.text_rank import TextRankSummarizer

from model.baselines import STOP_WORDS, content_words, textrank
from model.evaluation.rouge import METRICS, rouge_f1
from model.text.data import Example, read_jsonl
from model.text.ptb import ESCAPES, detokenize
from model.text.sentences import split_sentences
from model.types import Sentence

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cnndm" / "dev.jsonl"


class ContentWords:
    """A sumy tokenizer giving sumy the words our TextRank compares, so only the graph differs."""

    language = "english"

    def to_words(self, text: str) -> list[str]:
        return content_words(text)


def sumy_textrank(sentences: Sequence[Sentence], k: int) -> list[int]:
    """sumy's TextRank over the same sentences and content words: the ``k`` best, in order."""
    tokenizer = ContentWords()
    sumy_sentences = [SumySentence(s.text, tokenizer) for s in sentences]
    document = ObjectDocumentModel([Paragraph(sumy_sentences)])
    summarizer = TextRankSummarizer()
    summarizer.stop_words = STOP_WORDS
    chosen = {id(s) for s in summarizer(document, k)}
    return [i for i, s in enumerate(sumy_sentences) if id(s) in chosen]


def compare_textrank(examples: Sequence[Example], k: int) -> None:
    """Mean ROUGE F1 of both TextRanks, and how often they pick the same sentences."""
    ours, theirs, references, same = [], [], [], 0
    for example in examples:
        sentences = split_sentences(example.article)
        mine, other = textrank(sentences, example, k), sumy_textrank(sentences, k)
        same += mine == other
        ours.append([sentences[i].text for i in mine])
        theirs.append([sentences[i].text for i in other])
        references.append(example.summary_sentences)
    for name, predictions in (("ours", ours), ("sumy", theirs)):
        means = 100 * np.mean(rouge_f1(predictions, references), axis=0)
        cells = "  ".join(f"{m} {v:.2f}" for m, v in zip(METRICS, means, strict=True))
        print(f"TextRank {name}: {cells}")
    print(f"same sentences in {same} of {len(examples)} documents")


def compare_detokenizer(examples: Sequence[Example], shown: int = 3) -> None:
    """Share of sentences both detokenizers write alike (nltk given our bracket escapes undone)."""
    nltk = TreebankWordDetokenizer()
    brackets = {token: text for token, text in ESCAPES.items() if token.startswith("-")}
    same = total = 0
    for example in examples:
        for sentence in split_sentences(example.article):
            total += 1
            ours = detokenize(sentence.text)
            theirs = nltk.detokenize([brackets.get(t.lower(), t) for t in sentence.text.split()])
            if ours == theirs:
                same += 1
            elif shown:
                shown -= 1
                print(f"  ours: {ours}\n  nltk: {theirs}")
    print(f"detokenized alike: {same} of {total} sentences ({100 * same / total:.1f}%)")


def main() -> None:
    """Run both comparisons on the first documents of a JSONL file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=500, help="documents to compare on")
    parser.add_argument("--k", type=int, default=3, help="TextRank summary length")
    args = parser.parse_args()
    examples = list(islice(read_jsonl(args.data), args.limit))
    compare_textrank(examples, args.k)
    compare_detokenizer(examples)


if __name__ == "__main__":
    main()
