"""Held-out ROUGE of frozen-encoder heads alone and of their average (a seed ensemble).

Heads trained on the same frozen encoder read the same cached sentence vectors, so an ensemble
of them would cost one encoder pass and a few small heads at serving time. This script measures
whether averaging their sentence probabilities beats the best single head, with training's own
validation (the service's summary rule, fast ROUGE), before any ensemble format is built:

    python scripts/compare_head_ensemble.py runs/e0-cnn-split/best runs/e0-seed14/best \
        --dev runs/cnn-holdout.jsonl runs/cnndm-holdout-500.jsonl runs/bbc-holdout.jsonl \
        --dev-budget 3 3 reference --dev-limit 500
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from model.checkpoint import LoadedCheckpoint, load_checkpoint
from model.inference import resolve_dtype, sentence_probabilities
from model.network.scorer import pad_centrality, pad_vectors
from model.training.config import TrainConfig
from model.training.data import DevItem, cached_features, load_dev_items
from model.training.loop import validate

Scores = Callable[[Sequence[int]], list[list[float]]]


def frozen_heads(paths: Sequence[Path]) -> list[LoadedCheckpoint]:
    """The checkpoints, checked to be heads on one frozen encoder reading the same features."""
    loaded = [load_checkpoint(p) for p in paths]
    first = loaded[0].config
    for checkpoint in loaded:
        config = checkpoint.config
        if config.top_layers != 0 or config.finetune != "top":
            raise SystemExit(f"{checkpoint.path}: not a head on a frozen encoder")
        if (config.base_encoder, config.encoding, config.head.layer_mix) != (
            first.base_encoder,
            first.encoding,
            first.head.layer_mix,
        ):
            raise SystemExit(f"{checkpoint.path}: reads other features than {loaded[0].path}")
        checkpoint.scorer.eval()
    return loaded


def averaged(
    heads: Sequence[LoadedCheckpoint], items: Sequence[DevItem], features: list[torch.Tensor]
) -> Scores:
    """A score function: the mean of ``heads``' sentence probabilities on dev ``items``."""

    @torch.inference_mode()
    def score(indices: Sequence[int]) -> list[list[float]]:
        documents = [items[i].encoded for i in indices]
        vectors, mask = pad_vectors([features[i] for i in indices])
        centrality = pad_centrality(documents)
        logits = [h.scorer.head(vectors, mask, None, centrality=centrality) for h in heads]
        mean = torch.stack([torch.sigmoid(x.float()) for x in logits]).mean(dim=0)
        # Back to logits, so sentence_probabilities' sigmoid returns the mean probabilities.
        return sentence_probabilities(torch.logit(mean), [d.num_sentences for d in documents])

    return score


def line(name: str, scores: dict[str, float], files: int) -> str:
    """One row: the criterion (mean R-1 + R-2) and each dev file's R-1 / R-2."""
    sets = " | ".join(
        f"{scores[f'rouge1_{i}']:.2f} / {scores[f'rouge2_{i}']:.2f}" for i in range(files)
    )
    return f"{scores['rouge1'] + scores['rouge2']:6.2f} | {sets} | {name}"


def main() -> None:
    """Score every head alone, then their average, on the same dev documents."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("--dev", nargs="+", required=True, help="held-out JSONL files")
    parser.add_argument("--dev-budget", nargs="+", required=True, help="one budget per file")
    parser.add_argument("--dev-limit", type=int, default=500)
    parser.add_argument("--cache-dir", default="cache")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="bf16")
    args = parser.parse_args()
    heads = frozen_heads(args.checkpoints)
    config = TrainConfig(
        train_files=args.dev,  # not read: validation needs only the dev settings
        out_dir=str(Path(args.cache_dir) / "unused"),
        model=heads[0].config,
        dev_files=args.dev,
        dev_budgets=args.dev_budget,
        dev_limit=args.dev_limit,
        cache_dir=args.cache_dir,
        precision=args.precision,
    )
    device = torch.device("cpu")
    dtype = resolve_dtype({"fp32": "float32", "bf16": "bfloat16"}[args.precision], device, True)
    tokenizer = heads[0].tokenizer
    items = load_dev_items(tokenizer, config)
    encoded = [item.encoded for item in items]
    pad_id = int(tokenizer.pad_token_id or 0)
    features = cached_features(heads[0].scorer, encoded, "dev", config, pad_id, device, dtype)
    print("criterion | " + " | ".join(Path(f).name for f in args.dev) + " | heads")
    for head in heads:
        alone = validate(averaged([head], items, features), items)
        print(line(str(head.path), alone, len(args.dev)))
    ensemble = validate(averaged(heads, items, features), items)
    print(line(f"mean of {len(heads)}", ensemble, len(args.dev)), flush=True)


if __name__ == "__main__":
    main()
