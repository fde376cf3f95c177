"""Fine-tuning: oracle-labelled documents, masked BCE, AdamW, validation by ROUGE, resumable."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from tqdm import tqdm

from model.checkpoint import save_checkpoint
from model.data import Example, read_jsonl
from model.encoder import (
    ModelConfig,
    build_scorer,
    encoder_fingerprint,
    file_sha256,
    load_tokenizer,
)
from model.encoding import EncodedDocument, encode_document
from model.inference import autocast, model_sentences, resolve_device, score_encoded
from model.network import ExtractiveScorer, collate, label_matrix, masked_bce, pad_vectors
from model.oracle import oracle_labels
from model.rouge_fast import rouge12_text
from model.selection import select_sentences
from model.sentences import PUNKT_PARAMS_PATH, split_sentences
from model.types import Budget

logger = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """Everything that defines a training run; the same config resumes the same run."""

    train_files: list[str]
    dev_file: str | None
    out_dir: str
    model: ModelConfig = field(default_factory=ModelConfig)
    epochs: float = 1.0
    batch_size: int = 4  # documents per micro-batch per process
    accumulation: int = 1
    learning_rate: float = 5e-5  # encoder weights
    head_learning_rate: float = 1e-3
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    precision: str = "auto"  # auto | fp32 | bf16
    seed: int = 13
    oracle_max_sentences: int = 3
    oracle_ratio: float | None = None  # instead of a count, for long extractive references
    max_train_windows: int = 1  # encoder windows per training document (cost grows with it)
    limit: int | None = None  # training documents used
    dev_limit: int | None = 200
    validate_every: int = 200  # optimizer steps
    save_every: int = 50  # optimizer steps between resume states
    dev_budget_sentences: int = 3
    cache_dir: str = "cache"
    command: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = asdict(self)
        data["model"] = self.model.to_dict()
        return data


@dataclass
class TrainItem:
    """A training document: encoded windows and the indices of its oracle sentences."""

    encoded: EncodedDocument
    labels: list[int]


@dataclass
class DevItem:
    """A dev document: encoded windows, sentence texts and the reference."""

    encoded: EncodedDocument
    sentences: list[str]
    reference: list[str]


@dataclass
class Distributed:
    """This process's place in a multi-process run (one process when not launched by torchrun)."""

    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        """Whether this process writes files and validates."""
        return self.rank == 0


def setup_distributed(device: torch.device) -> Distributed:
    """Join the process group torchrun describes through RANK and WORLD_SIZE, if any."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Distributed()
    backend = "nccl" if device.type == "cuda" else "gloo"
    torch.distributed.init_process_group(backend=backend)
    return Distributed(torch.distributed.get_rank(), world_size)


def oracle_budget(config: TrainConfig) -> int | Budget:
    """The oracle's maximum selection: a fixed count or a ratio of the document."""
    if config.oracle_ratio is not None:
        return Budget(ratio=config.oracle_ratio)
    return config.oracle_max_sentences


def cached_oracle_labels(
    path: Path, examples: Sequence[Example], config: TrainConfig
) -> list[list[int]]:
    """Oracle labels of a data file, computed once and cached by file and settings hash."""
    key_source = json.dumps(
        [
            file_sha256(path),
            file_sha256(PUNKT_PARAMS_PATH),
            config.oracle_max_sentences,
            config.oracle_ratio,
            config.limit,
        ]
    )
    key = hashlib.sha256(key_source.encode()).hexdigest()[:16]
    cache = Path(config.cache_dir) / f"oracle-{path.stem}-{key}.json"
    if cache.is_file():
        return [list(x) for x in json.loads(cache.read_text())]
    started = time.perf_counter()
    labels = [
        oracle_labels(
            [s.text for s in split_sentences(e.article)], e.summary_sentences, oracle_budget(config)
        )
        for e in tqdm(examples, desc=f"oracle labels {path.name}", leave=False)
    ]
    cache.parent.mkdir(parents=True, exist_ok=True)
    staging = cache.with_suffix(f".{os.getpid()}.tmp")  # several ranks may write at once
    staging.write_text(json.dumps(labels))
    os.replace(staging, cache)
    logger.info("oracle labels for %s in %.1f s", path, time.perf_counter() - started)
    return labels


def truncated(encoded: EncodedDocument, max_windows: int) -> EncodedDocument:
    """The document's first ``max_windows`` windows and the sentences they own."""
    owned = sum(1 for owner in encoded.owner if owner < max_windows)
    return EncodedDocument(encoded.windows[:max_windows], encoded.owner[:owned])


def load_train_items(config: TrainConfig, tokenizer: Any) -> list[TrainItem]:
    """Read, label and encode the training files."""
    items: list[TrainItem] = []
    for name in config.train_files:
        path = Path(name)
        examples = list(read_jsonl(path))[: config.limit]
        labels = cached_oracle_labels(path, examples, config)
        for example, chosen in zip(examples, labels, strict=True):
            sentences = split_sentences(example.article)
            if not sentences:
                continue
            texts = model_sentences(sentences, example.article)
            encoded = truncated(
                encode_document(tokenizer, texts, config.model.encoding), config.max_train_windows
            )
            kept = [i for i in chosen if i < encoded.num_sentences]
            items.append(TrainItem(encoded, kept))
    return items


def load_dev_items(path: str, tokenizer: Any, config: TrainConfig) -> list[DevItem]:
    """Read and encode dev documents (all windows: validation scores every sentence)."""
    items = []
    for example in list(read_jsonl(path))[: config.dev_limit]:
        sentences = split_sentences(example.article)
        if not sentences:
            continue
        texts = model_sentences(sentences, example.article)
        encoded = encode_document(tokenizer, texts, config.model.encoding)
        items.append(DevItem(encoded, [s.text for s in sentences], example.summary_sentences))
    return items


ScoreFunction = Callable[[Sequence[int]], list[list[float]]]


def validate(
    score: ScoreFunction, items: Sequence[DevItem], budget_sentences: int
) -> dict[str, float]:
    """Mean ROUGE-1/2 F1 (percent, fast scorer) of top sentences with trigram blocking."""
    rouge1 = rouge2 = 0.0
    for start in range(0, len(items), 8):
        indices = range(start, min(start + 8, len(items)))
        for index, doc_scores in zip(indices, score(indices), strict=True):
            item = items[index]
            chosen = select_sentences(item.sentences, doc_scores, Budget(budget_sentences))
            r1, r2 = rouge12_text(
                "\n".join(item.sentences[i] for i in chosen), "\n".join(item.reference)
            )
            rouge1, rouge2 = rouge1 + r1, rouge2 + r2
    n = max(len(items), 1)
    return {"rouge1": 100 * rouge1 / n, "rouge2": 100 * rouge2 / n}


@torch.inference_mode()
def sentence_features(
    scorer: ExtractiveScorer,
    documents: Sequence[EncodedDocument],
    pad_id: int,
    device: torch.device,
    dtype: torch.dtype,
    description: str,
) -> list[torch.Tensor]:
    """Sentence vectors [S_i, D] of each document from the frozen encoder, computed once."""
    was_training = scorer.training
    scorer.eval()
    features: list[torch.Tensor] = [torch.empty(0)] * len(documents)
    order = sorted(range(len(documents)), key=lambda i: documents[i].num_tokens)
    for start in tqdm(range(0, len(order), 8), desc=description, leave=False):
        group = order[start : start + 8]
        batch = collate([documents[i] for i in group], pad_id).to(device)
        with autocast(device, dtype):
            vectors = scorer.sentence_vectors(batch).float().cpu()  # [B, S, D]
        for row, index in enumerate(group):
            features[index] = vectors[row, : documents[index].num_sentences].clone()
    scorer.train(was_training)
    return features


def cached_features(
    scorer: ExtractiveScorer,
    documents: Sequence[EncodedDocument],
    key: str,
    config: TrainConfig,
    pad_id: int,
    device: torch.device,
    dtype: torch.dtype,
) -> list[torch.Tensor]:
    """:func:`sentence_features`, cached under a hash of what shapes them (not the head)."""
    digest = hashlib.sha256(
        json.dumps(
            [
                key,
                encoder_fingerprint(config.model.base_encoder),
                asdict(config.model.encoding),
                config.model.head.pooling,
                config.max_train_windows,
                config.limit,
                config.dev_limit,
                str(dtype),
                len(documents),
            ],
            sort_keys=True,
        ).encode()
    ).hexdigest()[:16]
    path = Path(config.cache_dir) / f"features-{digest}.safetensors"
    if path.is_file():
        stored = load_file(str(path))
        return [stored[str(i)] for i in range(len(documents))]
    features = sentence_features(scorer, documents, pad_id, device, dtype, f"features {key}")
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(f".{os.getpid()}.tmp")  # several ranks may write at once
    save_file({str(i): f.contiguous() for i, f in enumerate(features)}, str(staging))
    os.replace(staging, path)
    return features


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


# --- resume state: plain tensors in safetensors and JSON, no pickle ---------------------------


def save_state(
    directory: Path,
    scorer: ExtractiveScorer,
    optimizer: torch.optim.Optimizer,
    progress: dict[str, Any],
    dist: Distributed,
) -> None:
    """Write weights, optimizer moments, RNG and progress; rank 0 writes the shared parts."""
    directory.mkdir(parents=True, exist_ok=True)
    save_file({"rng": torch.get_rng_state()}, str(directory / f"rng-rank{dist.rank}.safetensors"))
    if dist.world_size > 1:
        torch.distributed.barrier()
    if not dist.is_main:
        return
    staging = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for rng_file in directory.glob("rng-rank*.safetensors"):
        shutil.copy2(rng_file, staging / rng_file.name)
    trainable = {
        n: p.detach().contiguous() for n, p in scorer.named_parameters() if p.requires_grad
    }
    save_file(trainable, str(staging / "weights.safetensors"))
    state = optimizer.state_dict()
    moments = {
        f"{index}/{name}": value.contiguous()
        for index, values in state["state"].items()
        for name, value in values.items()
    }
    save_file(moments, str(staging / "optimizer.safetensors"))
    groups = [{k: v for k, v in g.items()} for g in state["param_groups"]]
    (staging / "progress.json").write_text(
        json.dumps({**progress, "param_groups": groups}, indent=1)
    )
    old = directory.with_name(directory.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    os.replace(directory, old)
    os.replace(staging, directory)
    shutil.rmtree(old, ignore_errors=True)


def load_state(
    directory: Path,
    scorer: ExtractiveScorer,
    optimizer: torch.optim.Optimizer,
    dist: Distributed,
) -> dict[str, Any]:
    """Restore what :func:`save_state` wrote; returns the progress record."""
    progress = json.loads((directory / "progress.json").read_text())
    weights = load_file(str(directory / "weights.safetensors"))
    missing = [n for n, p in scorer.named_parameters() if p.requires_grad and n not in weights]
    if missing:
        raise ValueError(f"resume state in {directory} lacks weights such as {missing[0]}")
    scorer.load_state_dict(weights, strict=False)
    moments = load_file(str(directory / "optimizer.safetensors"))
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in moments.items():
        index, name = key.split("/")
        state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": progress.pop("param_groups")})
    rng_file = directory / f"rng-rank{dist.rank}.safetensors"
    if rng_file.is_file():
        torch.set_rng_state(load_file(str(rng_file))["rng"])
    return dict(progress)


# --- the run -----------------------------------------------------------------------------------


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
    dev_items = load_dev_items(config.dev_file, tokenizer, config) if config.dev_file else []
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

    def forward(indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits, labels and mask [B, S] for training documents ``indices``."""
        labels = [items[i].labels for i in indices]
        if train_features is not None:
            vectors, mask = pad_vectors([train_features[i] for i in indices])
            targets = label_matrix(labels, vectors.shape[1])
            return model(vectors.to(device), mask.to(device)), targets.to(device), mask.to(device)
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
        probabilities = torch.sigmoid(scorer.head(vectors.to(device), mask.to(device))).cpu()
        return [probabilities[row, : int(mask[row].sum())].tolist() for row in range(len(indices))]

    progress: dict[str, Any] = {"step": 0, "best": None, "history": []}
    if (state_dir / "progress.json").is_file():
        progress = load_state(state_dir, scorer, optimizer, dist)
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
            scores = validate(dev_scores, dev_items, config.dev_budget_sentences)
            scorer.train()
            record.update({f"dev_{k}": v for k, v in scores.items()})
            bar.write(
                f"step {progress['step']}: "
                f"dev R-1 {scores['rouge1']:.2f} R-2 {scores['rouge2']:.2f}"
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


def weights_digest(scorer: nn.Module) -> str:
    """SHA-256 over the trainable weights: equal digests mean bit-identical weights."""
    digest = hashlib.sha256()
    for name, parameter in scorer.named_parameters():
        if parameter.requires_grad:
            digest.update(name.encode())
            digest.update(parameter.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


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
        f"- dev (first {config.dev_limit} documents, top {config.dev_budget_sentences}, trigram "
        f"blocking, fast ROUGE): R-1 {scores.get('rouge1', float('nan')):.2f}, "
        f"R-2 {scores.get('rouge2', float('nan')):.2f}\n"
        f"- command: `{config.command}`\n"
    )


def write_curves(out: Path, history: Sequence[dict[str, Any]]) -> None:
    """The training log as JSON lines and a PNG plot of loss and dev ROUGE."""
    with (out / "curves.jsonl").open("w") as log:
        for record in history:
            log.write(json.dumps(record) + "\n")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (loss_axis, rouge_axis) = plt.subplots(1, 2, figsize=(10, 4))
    steps = [r["step"] for r in history]
    losses = [r["loss"] for r in history]
    window = max(1, len(losses) // 50)
    smoothed = [
        sum(losses[max(0, i - window + 1) : i + 1]) / len(losses[max(0, i - window + 1) : i + 1])
        for i in range(len(losses))
    ]
    loss_axis.plot(steps, smoothed)
    loss_axis.set(title="training loss (smoothed)", xlabel="step")
    dev = [r for r in history if "dev_rouge1" in r]
    rouge_axis.plot(
        [r["step"] for r in dev], [r["dev_rouge1"] for r in dev], marker="o", label="R-1"
    )
    rouge_axis.plot(
        [r["step"] for r in dev], [r["dev_rouge2"] for r in dev], marker="o", label="R-2"
    )
    rouge_axis.set(title="dev ROUGE (top 3, trigram blocking)", xlabel="step")
    rouge_axis.legend()
    figure.tight_layout()
    figure.savefig(out / "curves.png", dpi=100)
    plt.close(figure)
