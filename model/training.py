"""Fine-tuning: oracle-labelled documents, masked BCE, AdamW, validation by ROUGE, resumable."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm import tqdm

from model.checkpoint import save_checkpoint
from model.curves import write_curves
from model.encoder import build_scorer, load_tokenizer
from model.encoding import EncodedDocument
from model.inference import autocast, resolve_device, score_encoded
from model.languages import languages_of_files
from model.network import (
    ExtractiveScorer,
    collate,
    label_matrix,
    masked_bce,
    pad_centrality,
    pad_lengths,
    pad_vectors,
)
from model.rouge_fast import rouge12_text
from model.selection import select_sentences
from model.train_config import TrainConfig
from model.train_data import DevItem, cached_features, load_dev_items, load_train_items
from model.train_state import (
    Distributed,
    load_state,
    save_state,
    saved_state,
    setup_distributed,
    weights_digest,
)

logger = logging.getLogger(__name__)


ScoreFunction = Callable[[Sequence[int]], list[list[float]]]


def validate(score: ScoreFunction, items: Sequence[DevItem]) -> dict[str, float]:
    """ROUGE-1/2 F1 (percent, fast scorer) of each item's budget with trigram blocking.

    With several dev files, each file's mean counts equally (``rouge1``/``rouge2``), so a small
    domain is not drowned by a large one; each file's own means are ``rouge1_N``/``rouge2_N``.
    """
    sums: dict[int, list[float]] = {}
    for start in range(0, len(items), 8):
        indices = range(start, min(start + 8, len(items)))
        for index, doc_scores in zip(indices, score(indices), strict=True):
            item = items[index]
            chosen = select_sentences(item.sentences, doc_scores, item.budget)
            r1, r2 = rouge12_text(
                "\n".join(item.sentences[i] for i in chosen), "\n".join(item.reference)
            )
            total = sums.setdefault(item.source, [0.0, 0.0, 0.0])
            total[0], total[1], total[2] = total[0] + r1, total[1] + r2, total[2] + 1
    scores: dict[str, float] = {}
    for source, (r1, r2, n) in sorted(sums.items()):
        scores[f"rouge1_{source}"], scores[f"rouge2_{source}"] = 100 * r1 / n, 100 * r2 / n
    files = max(1, len(sums))
    scores["rouge1"] = sum(scores[f"rouge1_{s}"] for s in sums) / files
    scores["rouge2"] = sum(scores[f"rouge2_{s}"] for s in sums) / files
    return scores


def learning_rate_factor(step: int, total: int, warmup: int) -> float:
    """Linear warmup to 1, then linear decay to 0."""
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def make_optimizer(scorer: ExtractiveScorer, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW with one group for encoder weights and one for the head (higher learning rate)."""
    encoder = [
        p for n, p in scorer.named_parameters() if p.requires_grad and n.startswith("encoder.")
    ]
    head = [p for n, p in scorer.named_parameters() if p.requires_grad and n.startswith("head.")]
    groups = [
        {"params": encoder, "lr": config.learning_rate, "base_lr": config.learning_rate},
        {"params": head, "lr": config.head_learning_rate, "base_lr": config.head_learning_rate},
    ]
    return torch.optim.AdamW([g for g in groups if g["params"]], weight_decay=config.weight_decay)


def epoch_order(num_items: int, seed: int, epoch: int) -> list[int]:
    """The shuffled order of an epoch: a function of seed and epoch only, so resumes repeat it."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(num_items, generator=generator).tolist()


def micro_batches(
    order: Sequence[int], step_in_epoch: int, config: TrainConfig, dist: Distributed
) -> list[list[int]]:
    """This process's micro-batches for one optimizer step."""
    per_step = config.batch_size * config.accumulation * dist.world_size
    chosen = order[step_in_epoch * per_step : (step_in_epoch + 1) * per_step]
    mine = list(chosen[dist.rank :: dist.world_size])
    return [mine[i : i + config.batch_size] for i in range(0, len(mine), config.batch_size)]


def train(config: TrainConfig) -> Path:
    """Run (or resume) training; returns the directory of the best checkpoint."""
    device = resolve_device("auto")
    dist = setup_distributed(device)
    torch.manual_seed(config.seed)
    out = Path(config.out_dir)
    state_dir, best_dir = out / "state", out / "best"
    precision = config.precision
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32

    tokenizer = load_tokenizer(config.model.base_encoder)
    pad_id = int(tokenizer.pad_token_id or 0)
    scorer = build_scorer(config.model).to(device)
    items = load_train_items(config, tokenizer)
    dev_items = load_dev_items(tokenizer, config)
    steps_per_epoch = math.ceil(
        len(items) / (config.batch_size * config.accumulation * dist.world_size)
    )
    total_steps = max(1, math.ceil(steps_per_epoch * config.epochs))
    warmup = max(1, int(config.warmup_ratio * total_steps))
    optimizer = make_optimizer(scorer, config)
    # With a frozen encoder only the head trains: sentence vectors are computed once and cached.
    frozen = scorer.encoder_is_frozen
    trained: nn.Module = scorer.head if frozen else scorer
    model = nn.parallel.DistributedDataParallel(trained) if dist.world_size > 1 else trained
    train_features = dev_features = None
    if frozen:
        train_features = cached_features(
            scorer, [i.encoded for i in items], "train", config, pad_id, device, dtype
        )
        dev_features = cached_features(
            scorer, [i.encoded for i in dev_items], "dev", config, pad_id, device, dtype
        )

    def head_lengths(documents: Sequence[EncodedDocument]) -> torch.Tensor | None:
        """Sentence lengths for a head that reads them; None (no work) for one that does not."""
        return pad_lengths(documents).to(device) if config.model.head.sentence_lengths else None

    def head_centrality(documents: Sequence[EncodedDocument]) -> torch.Tensor | None:
        """Centrality features [B, S, C] of the documents, None when they carry none."""
        features = pad_centrality(documents)
        return None if features is None else features.to(device)

    def forward(indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits, labels and mask [B, S] for training documents ``indices``."""
        labels = [items[i].labels for i in indices]
        if train_features is not None:
            vectors, mask = pad_vectors([train_features[i] for i in indices])
            lengths = head_lengths([items[i].encoded for i in indices])
            targets = label_matrix(labels, vectors.shape[1])
            centrality = head_centrality([items[i].encoded for i in indices])
            logits = model(vectors.to(device), mask.to(device), lengths, centrality=centrality)
            return logits, targets.to(device), mask.to(device)
        batch = collate([items[i].encoded for i in indices], pad_id, labels).to(device)
        assert batch.labels is not None
        with autocast(device, dtype):
            logits = model(batch)  # [B, S]
        return logits, batch.labels, batch.sentence_mask

    @torch.inference_mode()
    def dev_scores(indices: Sequence[int]) -> list[list[float]]:
        """Scores of dev documents ``indices`` (from cached vectors when the encoder is frozen)."""
        if dev_features is None:
            return score_encoded(scorer, [dev_items[i].encoded for i in indices], pad_id, device)
        vectors, mask = pad_vectors([dev_features[i] for i in indices])
        lengths = head_lengths([dev_items[i].encoded for i in indices])
        centrality = head_centrality([dev_items[i].encoded for i in indices])
        logits = scorer.head(vectors.to(device), mask.to(device), lengths, centrality=centrality)
        probabilities = torch.sigmoid(logits)
        probabilities = probabilities.cpu()
        return [probabilities[row, : int(mask[row].sum())].tolist() for row in range(len(indices))]

    progress: dict[str, Any] = {"step": 0, "best": None, "history": []}
    resume_from = saved_state(state_dir)
    if resume_from is not None:
        progress = load_state(resume_from, scorer, optimizer, dist)
        logger.info("resuming from step %d", progress["step"])
    if dist.is_main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "train_config.json").write_text(json.dumps(config.to_dict(), indent=2))
        logger.info(
            "%d training documents, %d dev, %d steps, %d trainable parameters, precision %s",
            len(items),
            len(dev_items),
            total_steps,
            sum(p.numel() for p in scorer.parameters() if p.requires_grad),
            precision,
        )

    scorer.train()
    bar = tqdm(total=total_steps, initial=progress["step"], disable=not dist.is_main, desc="train")
    started, docs_seen = time.perf_counter(), 0
    while progress["step"] < total_steps:
        step = progress["step"]
        epoch, step_in_epoch = divmod(step, steps_per_epoch)
        order = epoch_order(len(items), config.seed, epoch)
        batches = micro_batches(order, step_in_epoch, config, dist)
        for group in optimizer.param_groups:
            group["lr"] = group["base_lr"] * learning_rate_factor(step, total_steps, warmup)
        loss_sum = 0.0
        for indices in batches:
            logits, targets, mask = forward(indices)
            loss = masked_bce(logits, targets, mask) / len(batches)
            loss.backward()
            loss_sum += float(loss.detach())
            docs_seen += len(indices)
        nn.utils.clip_grad_norm_(
            [p for p in scorer.parameters() if p.requires_grad], config.max_grad_norm
        )
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        progress["step"] = step + 1
        record = {"step": step + 1, "loss": loss_sum, "lr": optimizer.param_groups[0]["lr"]}
        bar.update(1)
        bar.set_postfix(
            loss=f"{loss_sum:.4f}",
            lr=f"{record['lr']:.2e}",
            docs_s=f"{docs_seen * dist.world_size / (time.perf_counter() - started):.2f}",
        )
        last = progress["step"] == total_steps
        if dev_items and dist.is_main and (progress["step"] % config.validate_every == 0 or last):
            scorer.eval()
            scores = validate(dev_scores, dev_items)
            scorer.train()
            record.update({f"dev_{k}": v for k, v in scores.items()})
            bar.write(
                f"step {progress['step']}: "
                + " ".join(f"{k} {v:.2f}" for k, v in sorted(scores.items()))
            )
            if (
                progress["best"] is None
                or scores["rouge1"] + scores["rouge2"] > progress["best"]["score"]
            ):
                progress["best"] = {
                    "step": progress["step"],
                    "score": scores["rouge1"] + scores["rouge2"],
                    **scores,
                }
                write_checkpoint(best_dir, scorer, tokenizer, config, progress)
        progress["history"].append(record)
        if progress["step"] % config.save_every == 0 or last:
            save_state(state_dir, scorer, optimizer, progress, dist)
    bar.close()
    logger.info("rank %d final weights sha256 %s", dist.rank, weights_digest(scorer))
    if dist.is_main:
        if not dev_items:
            write_checkpoint(best_dir, scorer, tokenizer, config, progress)
        write_curves(out, progress["history"])
    if dist.world_size > 1:
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    return best_dir


def write_checkpoint(
    directory: Path,
    scorer: ExtractiveScorer,
    tokenizer: Any,
    config: TrainConfig,
    progress: dict[str, Any],
) -> None:
    """Save the current weights as a servable checkpoint with meta and a model card."""
    best = progress.get("best") or {}
    meta = {
        "id": Path(config.out_dir).name,
        "version": f"step-{progress['step']}",
        "training_data": [Path(f).name for f in config.train_files],
        "languages": languages_of_files(config.train_files),
        "training_config": config.to_dict(),
        "command": config.command,
        "step": progress["step"],
        "dev_scores": {k: best[k] for k in ("rouge1", "rouge2") if k in best},
    }
    card = model_card(config, meta)
    # Compact modes store only their trained weights, in half precision, to stay small in git.
    dtype = torch.float32 if config.model.finetune == "full" else torch.float16
    save_checkpoint(directory, scorer, tokenizer, config.model, meta, card, weights_dtype=dtype)


def model_card(config: TrainConfig, meta: dict[str, Any]) -> str:
    """A short model card; the shipped checkpoint's card is extended by hand with its tables."""
    scores = meta.get("dev_scores") or {}
    return (
        f"# {meta['id']}\n\n"
        "BertSum-style extractive scorer.\n\n"
        f"- base encoder: `{config.model.base_encoder}` (fine-tuning: {config.model.finetune})\n"
        f"- head: {config.model.head.kind}, pooling: {config.model.head.pooling}\n"
        f"- trained on: {', '.join(meta['training_data'])}; steps: {meta['step']}; "
        f"seed {config.seed}\n"
        f"- languages (by the script of the training articles): {', '.join(meta['languages'])}\n"
        f"- dev (first {config.dev_limit} documents of each dev file, budgets "
        f"{config.dev_budgets or config.dev_budget_sentences}, trigram "
        f"blocking, fast ROUGE): R-1 {scores.get('rouge1', float('nan')):.2f}, "
        f"R-2 {scores.get('rouge2', float('nan')):.2f}\n"
        f"- command: `{config.command}`\n"
    )
