"""Fine-tuning: oracle-labelled documents, masked BCE, AdamW, validation by ROUGE, resumable."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm import tqdm
from transformers import PreTrainedTokenizerBase

from model.checkpoint import save_checkpoint
from model.evaluation.rouge_fast import rouge12_text
from model.inference import (
    autocast,
    resolve_device,
    resolve_dtype,
    score_encoded,
    sentence_probabilities,
)
from model.network.encoder import build_scorer, load_tokenizer
from model.network.inputs import EncodedDocument
from model.network.scorer import (
    ExtractiveScorer,
    FrozenStates,
    collate,
    label_matrix,
    masked_bce,
    pad_centrality,
    pad_lengths,
    pad_vectors,
)
from model.selection import summarize_scores
from model.text.languages import languages_of_files
from model.training.config import TrainConfig, check_resume, write_config
from model.training.curves import write_curves
from model.training.data import (
    DevItem,
    TrainItem,
    cached_features,
    load_dev_items,
    load_train_items,
)
from model.training.frozen_cache import (
    DocumentStates,
    batch_states,
    cached_states,
    first_trained_layer,
)
from model.training.state import (
    Distributed,
    load_state,
    save_state,
    saved_state,
    setup_distributed,
    weights_digest,
)

logger = logging.getLogger(__name__)

# `--precision` names -> `resolve_dtype` names: one rule picks the precision for both.
TRAINING_DTYPES = {"auto": "auto", "fp32": "float32", "bf16": "bfloat16"}


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
            # The service's own rule picks the sentences, so validation scores what users get.
            summary = summarize_scores(item.sentences, doc_scores, item.budget)
            r1, r2 = rouge12_text(
                "\n".join(s.text for s in summary.sentences), "\n".join(item.reference)
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


def smoothed(targets: torch.Tensor, smoothing: float) -> torch.Tensor:
    """0/1 targets pulled toward 1/2 by ``smoothing`` (0: unchanged)."""
    return targets * (1.0 - smoothing) + smoothing / 2 if smoothing else targets


def with_soft_targets(
    targets: torch.Tensor, soft: Sequence[Sequence[float] | None], weight: float
) -> torch.Tensor:
    """0/1 targets [B, S] mixed with each document's soft targets by ``weight`` (0: unchanged)."""
    if not weight:
        return targets
    matrix = torch.zeros_like(targets)
    for row, values in enumerate(soft):
        if values is None:
            raise ValueError("soft labels were asked for but a document has none")
        matrix[row, : len(values)] = torch.tensor(values, dtype=targets.dtype)
    return targets * (1.0 - weight) + matrix * weight


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


def epoch_pool(items: Sequence[TrainItem], oversample: Sequence[int]) -> list[int]:
    """Item indices an epoch draws from: each item as often as its file's oversampling says."""
    return [
        index
        for index, item in enumerate(items)
        for _ in range(oversample[item.source] if oversample else 1)
    ]


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


@dataclass
class Best:
    """The best validation so far: its step and dev ROUGE-1/2 (percent)."""

    step: int
    rouge1: float
    rouge2: float

    @property
    def score(self) -> float:
        """What "best" means: ROUGE-1 + ROUGE-2."""
        return self.rouge1 + self.rouge2


@dataclass
class Progress:
    """Where a run is: steps done, the best validation, one record per step (for the curves)."""

    step: int = 0
    best: Best | None = None
    history: list[dict[str, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form kept in the resume state."""
        best = None if self.best is None else {**asdict(self.best), "score": self.best.score}
        return {"step": self.step, "best": best, "history": self.history}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Progress:
        """Rebuild from :meth:`to_dict` output."""
        best = data.get("best")
        return cls(
            step=int(data["step"]),
            best=None if best is None else Best(best["step"], best["rouge1"], best["rouge2"]),
            history=list(data.get("history", [])),
        )


@dataclass
class Run:
    """What a run sets up once: where it writes, the device, the data, the network, the schedule."""

    config: TrainConfig
    out: Path
    device: torch.device
    dtype: torch.dtype
    dist: Distributed
    tokenizer: PreTrainedTokenizerBase
    pad_id: int
    scorer: ExtractiveScorer
    model: nn.Module  # what the optimizer trains: the head alone on a frozen encoder; maybe DDP
    optimizer: torch.optim.AdamW
    items: list[TrainItem]
    dev_items: list[DevItem]
    pool: list[int]  # item indices an epoch draws from (see epoch_pool)
    steps_per_epoch: int
    total_steps: int
    warmup: int
    train_features: list[torch.Tensor] | None = None  # sentence vectors of a frozen encoder
    dev_features: list[torch.Tensor] | None = None
    first_layer: int | None = None  # the first trained layer, when only the top layers train
    train_states: list[DocumentStates] | None = None  # states below it, cached
    dev_states: list[DocumentStates] | None = None

    @property
    def state_dir(self) -> Path:
        """The resume state."""
        return self.out / "state"

    @property
    def best_dir(self) -> Path:
        """The servable checkpoint of the best validation (the last step without dev data)."""
        return self.out / "best"


def set_up(config: TrainConfig) -> Run:
    """Device, processes, data, network and optimizer of a run (in this order: it fixes the
    random numbers each one draws, so a resumed run repeats them)."""
    dist = setup_distributed(resolve_device("auto"))
    device = dist.device
    torch.manual_seed(config.seed)
    dtype = resolve_dtype(TRAINING_DTYPES[config.precision], device, training=True)
    tokenizer = load_tokenizer(config.model.base_encoder)
    pad_id = int(tokenizer.pad_token_id or 0)
    scorer = build_scorer(config.model).to(device)
    items = load_train_items(config, tokenizer)
    dev_items = load_dev_items(tokenizer, config)
    pool = epoch_pool(items, config.oversample)
    steps_per_epoch = math.ceil(
        len(pool) / (config.batch_size * config.accumulation * dist.world_size)
    )
    total_steps = max(1, math.ceil(steps_per_epoch * config.epochs))
    optimizer = make_optimizer(scorer, config)
    # With a frozen encoder only the head trains: sentence vectors are computed once and cached.
    trained: nn.Module = scorer.head if scorer.encoder_is_frozen else scorer
    run = Run(
        config=config,
        out=Path(config.out_dir),
        device=device,
        dtype=dtype,
        dist=dist,
        tokenizer=tokenizer,
        pad_id=pad_id,
        scorer=scorer,
        model=nn.parallel.DistributedDataParallel(trained) if dist.world_size > 1 else trained,
        optimizer=optimizer,
        items=items,
        dev_items=dev_items,
        pool=pool,
        steps_per_epoch=steps_per_epoch,
        total_steps=total_steps,
        warmup=max(1, int(config.warmup_ratio * total_steps)),
    )
    if scorer.encoder_is_frozen:
        run.train_features = run_features(run, [i.encoded for i in items], "train")
        run.dev_features = run_features(run, [i.encoded for i in dev_items], "dev")
    run.first_layer = first_trained_layer(config, scorer)
    if run.first_layer is not None:
        # Only the top layers train: the layers below run once per document, not every step.
        run.train_states = run_states(run, [i.encoded for i in items], "train")
        run.dev_states = run_states(run, [i.encoded for i in dev_items], "dev")
    return run


def run_states(run: Run, documents: Sequence[EncodedDocument], key: str) -> list[DocumentStates]:
    """The frozen lower layers' states of ``documents``, from the cache when there."""
    assert run.first_layer is not None
    return cached_states(
        run.scorer, documents, key, run.config, run.first_layer, run.pad_id, run.device, run.dtype
    )


def frozen_batch(
    run: Run, states: list[DocumentStates] | None, indices: Sequence[int], width: int
) -> FrozenStates | None:
    """The cached lower states of documents ``indices`` as one batch (None: not cached)."""
    if states is None or run.first_layer is None:
        return None
    return batch_states([states[i] for i in indices], width, run.first_layer).to(run.device)


def run_features(run: Run, documents: Sequence[EncodedDocument], key: str) -> list[torch.Tensor]:
    """The frozen encoder's sentence vectors of ``documents``, from the cache when there."""
    return cached_features(
        run.scorer, documents, key, run.config, run.pad_id, run.device, run.dtype
    )


def start_or_resume(run: Run) -> Progress:
    """The progress of a saved state with the same settings, or a fresh start; records the
    settings and says what the run will do."""
    progress = Progress()
    resume_from = saved_state(run.state_dir)
    if resume_from is not None:
        check_resume(run.out, run.config)
        progress = Progress.from_dict(load_state(resume_from, run.scorer, run.optimizer, run.dist))
        logger.info("resuming from step %d", progress.step)
    if run.dist.is_main:
        run.out.mkdir(parents=True, exist_ok=True)
        write_config(run.out, run.config)
        logger.info(
            "%d training documents, %d dev, %d steps, %d trainable parameters, precision %s",
            len(run.items),
            len(run.dev_items),
            run.total_steps,
            sum(p.numel() for p in run.scorer.parameters() if p.requires_grad),
            str(run.dtype).removeprefix("torch."),
        )
    return progress


def head_lengths(run: Run, documents: Sequence[EncodedDocument]) -> torch.Tensor | None:
    """Sentence lengths for a head that reads them; None (no work) for one that does not."""
    if not run.config.model.head.sentence_lengths:
        return None
    return pad_lengths(documents).to(run.device)


def head_centrality(run: Run, documents: Sequence[EncodedDocument]) -> torch.Tensor | None:
    """Centrality features [B, S, C] of the documents, None when they carry none."""
    features = pad_centrality(documents)
    return None if features is None else features.to(run.device)


def forward(run: Run, indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Logits, labels and mask [B, S] for training documents ``indices``."""
    labels = [run.items[i].labels for i in indices]
    if run.train_features is not None:
        vectors, mask = pad_vectors([run.train_features[i] for i in indices])
        documents = [run.items[i].encoded for i in indices]
        targets = label_matrix(labels, vectors.shape[1])
        logits = run.model(
            vectors.to(run.device),
            mask.to(run.device),
            head_lengths(run, documents),
            centrality=head_centrality(run, documents),
        )
        return logits, targets.to(run.device), mask.to(run.device)
    batch = collate([run.items[i].encoded for i in indices], run.pad_id, labels)
    assert batch.labels is not None
    frozen = frozen_batch(run, run.train_states, indices, batch.input_ids.shape[1])
    with autocast(run.device, run.dtype):
        logits = run.model(batch.to(run.device), frozen)  # [B, S]
    return logits, batch.labels, batch.sentence_mask


def train_step(run: Run, step: int) -> tuple[float, int]:
    """One optimizer step over this process's micro-batches: its loss and documents seen."""
    epoch, step_in_epoch = divmod(step, run.steps_per_epoch)
    order = [run.pool[i] for i in epoch_order(len(run.pool), run.config.seed, epoch)]
    batches = micro_batches(order, step_in_epoch, run.config, run.dist)
    for group in run.optimizer.param_groups:
        group["lr"] = group["base_lr"] * learning_rate_factor(step, run.total_steps, run.warmup)
    loss_sum, documents = 0.0, 0
    for indices in batches:
        logits, targets, mask = forward(run, indices)
        soft = [run.items[i].soft_targets for i in indices]
        targets = with_soft_targets(targets, soft, run.config.soft_labels)
        targets = smoothed(targets, run.config.label_smoothing)
        loss = masked_bce(logits, targets, mask) / len(batches)
        loss.backward()
        loss_sum += float(loss.detach())
        documents += len(indices)
    nn.utils.clip_grad_norm_(
        [p for p in run.scorer.parameters() if p.requires_grad], run.config.max_grad_norm
    )
    run.optimizer.step()
    run.optimizer.zero_grad(set_to_none=True)
    return loss_sum, documents


@torch.inference_mode()
def dev_scores(run: Run, indices: Sequence[int]) -> list[list[float]]:
    """Scores of dev documents ``indices`` (from cached vectors when the encoder is frozen)."""
    documents = [run.dev_items[i].encoded for i in indices]
    if run.dev_states is not None:
        batch = collate(documents, run.pad_id)
        frozen = frozen_batch(run, run.dev_states, indices, batch.input_ids.shape[1])
        with autocast(run.device, run.dtype):
            logits = run.scorer(batch.to(run.device), frozen)
        return sentence_probabilities(logits, [d.num_sentences for d in documents])
    if run.dev_features is None:
        return score_encoded(run.scorer, documents, run.pad_id, run.device)
    vectors, mask = pad_vectors([run.dev_features[i] for i in indices])
    logits = run.scorer.head(
        vectors.to(run.device),
        mask.to(run.device),
        head_lengths(run, documents),
        centrality=head_centrality(run, documents),
    )
    return sentence_probabilities(logits, [d.num_sentences for d in documents])


def validate_and_keep_best(run: Run, progress: Progress, record: dict[str, float]) -> str:
    """Score the dev set, add it to ``record``, and write the checkpoint when it is the best."""
    run.scorer.eval()
    scores = validate(lambda indices: dev_scores(run, indices), run.dev_items)
    run.scorer.train()
    record.update({f"dev_{k}": v for k, v in scores.items()})
    result = Best(progress.step, scores["rouge1"], scores["rouge2"])
    if progress.best is None or result.score > progress.best.score:
        progress.best = result
        write_checkpoint(run.best_dir, run.scorer, run.tokenizer, run.config, progress)
    return f"step {progress.step}: " + " ".join(f"{k} {v:.2f}" for k, v in sorted(scores.items()))


def finish(run: Run, progress: Progress) -> None:
    """Log the final weights' digest, write what only the main process writes, leave the group."""
    logger.info("rank %d final weights sha256 %s", run.dist.rank, weights_digest(run.scorer))
    if run.dist.is_main:
        if not run.dev_items:
            write_checkpoint(run.best_dir, run.scorer, run.tokenizer, run.config, progress)
        write_curves(run.out, progress.history)
    if run.dist.world_size > 1:
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def train(config: TrainConfig) -> Path:
    """Run (or resume) training; returns the directory of the best checkpoint."""
    run = set_up(config)
    progress = start_or_resume(run)
    run.scorer.train()
    bar = tqdm(
        total=run.total_steps, initial=progress.step, disable=not run.dist.is_main, desc="train"
    )
    started, documents_seen = time.perf_counter(), 0
    while progress.step < run.total_steps:
        loss, documents = train_step(run, progress.step)
        documents_seen += documents
        progress.step += 1
        record = {"step": progress.step, "loss": loss, "lr": run.optimizer.param_groups[0]["lr"]}
        bar.update(1)
        per_second = documents_seen * run.dist.world_size / (time.perf_counter() - started)
        bar.set_postfix(loss=f"{loss:.4f}", lr=f"{record['lr']:.2e}", docs_s=f"{per_second:.2f}")
        last = progress.step == run.total_steps
        due = progress.step % config.validate_every == 0 or last
        if run.dev_items and run.dist.is_main and due:
            bar.write(validate_and_keep_best(run, progress, record))
        progress.history.append(record)
        if progress.step % config.save_every == 0 or last:
            save_state(run.state_dir, run.scorer, run.optimizer, progress.to_dict(), run.dist)
    bar.close()
    finish(run, progress)
    return run.best_dir


def write_checkpoint(
    directory: Path,
    scorer: ExtractiveScorer,
    tokenizer: PreTrainedTokenizerBase,
    config: TrainConfig,
    progress: Progress,
) -> None:
    """Save the current weights as a servable checkpoint with meta and a model card."""
    best = progress.best
    meta = {
        "id": Path(config.out_dir).name,
        "version": f"step-{progress.step}",
        "training_data": [Path(f).name for f in config.train_files],
        "languages": languages_of_files(config.train_files),
        "training_config": config.to_dict(),
        "command": config.command,
        "step": progress.step,
        "dev_scores": {} if best is None else {"rouge1": best.rouge1, "rouge2": best.rouge2},
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
