"""Worker: run one of this project's systems (or a sumy one) over prepared documents, timed.

Run by `bench/compare.py` in a fresh process per system, so that each system's peak memory is
its own: ``python bench/project_systems.py SYSTEM INPUT OUTPUT [--checkpoint DIR] [--dtype D]``.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Documents as `compare.py` writes them: {"datasets": [{"name", "docs": [{"id", "article",
# "summary", "k"}]}]}. A picker gets a dataset's documents and returns the chosen indices.
Picker = Callable[[Sequence[dict[str, Any]]], list[list[int]]]
SUMY_SYSTEMS = ("lexrank", "lsa", "luhn", "sumy-textrank")
_WORD = re.compile(r"\w+", re.UNICODE)


class ProjectTokenizer:
    """What sumy asks of a tokenizer; sentences come from the project's splitter, not nltk."""

    language = "english"

    def to_sentences(self, paragraph: str) -> list[str]:
        """The project's sentences (sumy's own needs nltk punkt data)."""
        from model.text.sentences import split_sentences

        return [s.text for s in split_sentences(paragraph)]

    def to_words(self, sentence: str) -> list[str]:
        """Word tokens: runs of letters and digits."""
        return _WORD.findall(sentence)


def sentence_lists(docs: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Each document's sentences, split as the evaluation splits them."""
    from model.text.sentences import split_sentences

    return [split_sentences(doc["article"]) for doc in docs]


def sumy_picker(name: str) -> Picker:
    """LexRank, LSA, Luhn or TextRank from sumy, over the project's sentences."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.lsa import LsaSummarizer
    from sumy.summarizers.luhn import LuhnSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    classes = {
        "lexrank": LexRankSummarizer,
        "lsa": LsaSummarizer,
        "luhn": LuhnSummarizer,
        "sumy-textrank": TextRankSummarizer,
    }
    summarizer = classes[name](Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    tokenizer = ProjectTokenizer()

    def pick(docs: Sequence[dict[str, Any]]) -> list[list[int]]:
        chosen = []
        for doc, sentences in zip(docs, sentence_lists(docs), strict=True):
            objects = [Sentence(s.text, tokenizer) for s in sentences]
            index = {id(sentence): i for i, sentence in enumerate(objects)}
            document = ObjectDocumentModel([Paragraph(objects)])
            chosen.append(sorted(index[id(s)] for s in summarizer(document, doc["k"])))
        return chosen

    return pick


def baseline_picker(name: str) -> Picker:
    """Lead-3, the oracle or the project's TextRank (`model.baselines`)."""
    from model.baselines import SYSTEMS
    from model.text.data import Example

    system = SYSTEMS[name]

    def pick(docs: Sequence[dict[str, Any]]) -> list[list[int]]:
        chosen = []
        for doc, sentences in zip(docs, sentence_lists(docs), strict=True):
            example = Example(doc["id"], doc["article"], doc["summary"])
            chosen.append(sorted(system(sentences, example, doc["k"])))
        return chosen

    return pick


def model_picker(checkpoint: str | None, dtype: str, batch_size: int) -> tuple[Picker, Any]:
    """The BertSum model: tokenize, score `batch_size` documents a pass (sorted by length)."""
    from model.inference import chunks, load_summarizer
    from model.selection import summarize_scores
    from model.types import Budget

    summarizer = load_summarizer(checkpoint, device="cpu", dtype=dtype)
    summarizer.warmup()

    def pick(docs: Sequence[dict[str, Any]]) -> list[list[int]]:
        prepared = [
            summarizer.prepare_sentences(doc["article"], sentences, Budget(num_sentences=doc["k"]))
            for doc, sentences in zip(docs, sentence_lists(docs), strict=True)
        ]
        order = sorted(range(len(docs)), key=lambda i: prepared[i].num_tokens)
        chosen: dict[int, list[int]] = {}
        for group in chunks(order, batch_size):
            scores = summarizer.score([prepared[i] for i in group])
            for i, row in zip(group, scores, strict=True):
                summary = summarize_scores(prepared[i].sentences, row, prepared[i].budget)
                chosen[i] = [s.index for s in summary.sentences]
        return [chosen[i] for i in range(len(docs))]

    return pick, summarizer.card.public()


def build_picker(args: argparse.Namespace) -> tuple[Picker, dict[str, Any]]:
    """The picker for ``args.system`` and what to record about it."""
    if args.system == "model":
        pick, info = model_picker(args.checkpoint, args.dtype, args.batch_size)
        keys = ("id", "version", "dtype", "dtype_reason")
        return pick, {key: info.get(key) for key in keys}
    if args.system in SUMY_SYSTEMS:
        return sumy_picker(args.system), {}
    return baseline_picker(args.system), {}


def main() -> None:
    """Run the system over every dataset of the input, timing each, and write the picks."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("system")
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--checkpoint")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    payload = json.loads(args.input.read_text(encoding="utf-8"))
    pick, meta = build_picker(args)
    results = []
    for dataset in payload["datasets"]:
        pick(dataset["docs"][:2])  # first-call costs (caches, allocations) are not speed
        started = time.perf_counter()
        chosen = pick(dataset["docs"])
        seconds = time.perf_counter() - started
        results.append({"name": dataset["name"], "chosen": chosen, "seconds": seconds})
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    output = {"datasets": results, "peak_rss_mib": peak_kib / 1024, "meta": meta}
    args.output.write_text(json.dumps(output), encoding="utf-8")


if __name__ == "__main__":
    main()
