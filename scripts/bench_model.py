"""Throughput of `Summarizer.summarize_many` against a bare encoder forward on the same texts."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path

import torch

from model.inference import Summarizer, autocast, encoded_of, load_summarizer, split_for_encoder
from model.network.scorer import collate


def one_window_texts(summarizer: Summarizer, articles: list[str]) -> list[str]:
    """Each article cut to the whole sentences that fill one 512-token window."""
    texts = []
    for article in articles:
        document = summarizer.prepare(article)
        last = encoded_of(document).windows[0].last
        sentences = document.sentences[:last]
        texts.append(article[: sentences[-1].end])
    return texts


def best_of(repeats: int, *works: Callable[[], object]) -> list[float]:
    """The fastest of ``repeats`` timed runs of each work, in seconds.

    The works take turns, so a slow spell of a shared machine hits them alike.
    """
    times: list[list[float]] = [[] for _ in works]
    for _ in range(repeats):
        for work, spent in zip(works, times, strict=True):
            started = time.perf_counter()
            work()
            spent.append(time.perf_counter() - started)
    return [min(spent) for spent in times]


def timed_works(
    summarizer: Summarizer, texts: list[str], batch_size: int
) -> list[Callable[[], object]]:
    """The bare encoder forward and the whole summarize path of one loaded model."""
    encoder, device, dtype = summarizer.scorer.encoder, summarizer.device, summarizer.dtype
    documents = [summarizer.prepare(text) for text in texts]
    # The same length-sorted groups that summarize_many forms, so padding is equal on both sides.
    by_length = sorted(documents, key=lambda d: d.num_tokens)
    batches = [
        collate([encoded_of(d) for d in by_length[i : i + batch_size]], summarizer.pad_id).to(
            device
        )
        for i in range(0, len(by_length), batch_size)
    ]

    @torch.inference_mode()
    def bare_forward() -> None:
        for batch in batches:
            with autocast(device, dtype):
                encoder(
                    input_ids=batch.input_ids,
                    token_type_ids=batch.segment_ids,
                    attention_mask=batch.attention_mask,
                )
        if device.type == "cuda":
            torch.cuda.synchronize()

    def whole_path() -> None:
        summarizer.summarize_many(texts, batch_size=batch_size)

    summarizer.warmup()
    bare_forward()
    return [bare_forward, whole_path]


def main() -> None:
    """Print documents/s of the bare forward pass and of the whole summarize path, and the ratio.

    With several ``--dtype`` values the models take turns in every repeat, and each is also
    given as a speed-up over the first.
    """
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/cnndm/dev.jsonl"))
    parser.add_argument("--checkpoint", type=Path, help="default: the shipped checkpoint")
    parser.add_argument("--documents", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", nargs="+", default=["auto"], help="one or more precisions")
    args = parser.parse_args()

    models = [load_summarizer(args.checkpoint, device=args.device, dtype=d) for d in args.dtype]
    with args.data.open() as lines:
        articles = [json.loads(line)["article"] for line in islice(lines, args.documents)]
    texts = one_window_texts(models[0], articles)
    works = [work for model in models for work in timed_works(model, texts, args.batch_size)]

    def split() -> None:
        [split_for_encoder(t) for t in texts]

    times = best_of(args.repeats, *works, split)
    tokens = sum(models[0].prepare(t).num_tokens for t in texts) / len(texts)
    n = len(texts)
    for number, model in enumerate(models):
        bare, whole = times[2 * number], times[2 * number + 1]
        precision = model.precision
        print(
            f"device {model.device}, dtype {precision.name} ({precision.reason}), "
            f"{n} documents, mean {tokens:.0f} tokens"
        )
        print(f"bare encoder forward : {n / bare:7.2f} documents/s")
        print(f"summarize_many       : {n / whole:7.2f} documents/s")
        print(f"overhead of the rest : {100 * (whole / bare - 1):6.1f}%")
        print(f"  of which splitting : {100 * times[-1] / bare:6.1f}%")
        if number:
            print(
                f"speed-up over {models[0].precision.name}: bare {times[0] / bare:.2f}x, "
                f"summarize_many {times[1] / whole:.2f}x"
            )


if __name__ == "__main__":
    main()
