"""Worker for the peer venv: bert-extractive-summarizer on prepared sentences, timed.

It runs under `bench/.venv-peer` (transformers<4.52, which the package needs), so it imports
nothing from this project: ``python peer_bert_extractive.py {sbert,bert} ENCODER_DIR IN OUT``.
Both summarizers get the project's sentences through a sentence handler that returns them, and
the same offline MiniLM encoder.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

PACKAGES = ("bert-extractive-summarizer", "transformers", "sentence-transformers", "torch")


class GivenSentences:
    """A sentence handler that returns the sentences it was handed (no spacy splitting)."""

    def __init__(self) -> None:
        self.sentences: list[str] = []

    def __call__(self, body: str, min_length: int = 40, max_length: int = 600) -> list[str]:
        """The current document's sentences, whatever their length."""
        return list(self.sentences)


def build(kind: str, encoder: str, handler: GivenSentences) -> Any:
    """SBertSummarizer on the encoder directory, or Summarizer with it as a custom model."""
    if kind == "sbert":
        from summarizer.sbert import SBertSummarizer

        return SBertSummarizer(encoder, sentence_handler=handler)
    from summarizer import Summarizer
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(encoder, output_hidden_states=True)
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    return Summarizer(custom_model=model, custom_tokenizer=tokenizer, sentence_handler=handler)


def pick(summarizer: Any, handler: GivenSentences, docs: Sequence[dict[str, Any]]) -> list[Any]:
    """The indices of the sentences each document's summary takes."""
    import torch

    chosen = []
    for doc in docs:
        if doc["k"] >= len(doc["sentences"]) - 1:  # too few sentences to cluster: all of them
            chosen.append(list(range(min(doc["k"], len(doc["sentences"])))))
            continue
        handler.sentences = doc["sentences"]
        with torch.inference_mode():  # the package runs without it; no gradients are needed
            summary = summarizer(doc["article"], num_sentences=doc["k"], return_as_list=True)
        unused = list(range(len(doc["sentences"])))
        picked = []
        for sentence in summary:
            index = next(i for i in unused if doc["sentences"][i] == sentence)
            unused.remove(index)
            picked.append(index)
        chosen.append(sorted(picked))
    return chosen


def main() -> None:
    """Run one summarizer over every dataset of the input and write the picks and timings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["sbert", "bert"])
    parser.add_argument("encoder")
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    payload = json.loads(args.input.read_text(encoding="utf-8"))
    handler = GivenSentences()
    summarizer = build(args.kind, args.encoder, handler)
    results = []
    for dataset in payload["datasets"]:
        pick(summarizer, handler, dataset["docs"][:2])  # first-call costs are not speed
        started = time.perf_counter()
        chosen = pick(summarizer, handler, dataset["docs"])
        seconds = time.perf_counter() - started
        results.append({"name": dataset["name"], "chosen": chosen, "seconds": seconds})
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    versions = {name: version(name) for name in PACKAGES}
    output = {"datasets": results, "peak_rss_mib": peak_kib / 1024, "meta": {"versions": versions}}
    args.output.write_text(json.dumps(output), encoding="utf-8")


if __name__ == "__main__":
    main()
