"""Top-layer fine-tuning on 2 CPU cores: the frozen lower layers run once per document and
their states are cached, so each training step runs only the trained top layers and the head."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch
from torch import nn
from tqdm import tqdm

from model.inference import autocast, chunks
from model.network.encoder import encoder_fingerprint
from model.network.inputs import EncodedDocument
from model.network.scorer import ExtractiveScorer, FrozenStates, collate, pad_vectors
from model.training.config import TrainConfig
from model.training.data import document_digest, load_cached_vectors, save_shard

logger = logging.getLogger(__name__)

# Documents encoded between two cache shards: an interrupted pass keeps what it wrote.
SHARD_DOCUMENTS = 256
# States are stored in bf16 whatever the precision computing them: half the disk and memory
# (a training set's token states are gigabytes) for a rounding the top layers barely feel.
STORED_DTYPE = torch.bfloat16


@dataclass
class DocumentStates:
    """One document's frozen states: tokens [W, T, H] entering the first trained layer and,
    with a layer mix, the sentence means of every frozen state [S, F*H]."""

    tokens: torch.Tensor
    means: torch.Tensor | None


def first_trained_layer(config: TrainConfig, scorer: ExtractiveScorer) -> int | None:
    """The first fine-tuned layer when only the top layers train on a frozen rest, else None."""
    if config.model.finetune != "top" or config.model.top_layers == 0:
        return None
    layers = int(cast(Any, scorer.encoder).config.num_hidden_layers)
    return layers - config.model.top_layers


def cache_folder(config: TrainConfig, first_layer: int, dtype: torch.dtype) -> Path:
    """Where the states of one encoder, split point, head kind and precision are kept."""
    settings = [
        encoder_fingerprint(config.model.base_encoder),
        first_layer,
        config.model.head.layer_mix,
        str(dtype),
    ]
    digest = hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:16]
    return Path(config.cache_dir) / f"frozen-{digest}"


@torch.inference_mode()
def compute_states(
    scorer: ExtractiveScorer,
    documents: Sequence[EncodedDocument],
    first_layer: int,
    pad_id: int,
    device: torch.device,
    dtype: torch.dtype,
) -> list[DocumentStates]:
    """The frozen states of ``documents``, in batches of similar length."""
    was_training = scorer.training
    scorer.eval()
    states: list[DocumentStates] = [DocumentStates(torch.empty(0), None)] * len(documents)
    order = sorted(range(len(documents)), key=lambda i: documents[i].num_tokens)
    for group in chunks(order, 8):
        batch = collate([documents[i] for i in group], pad_id).to(device)
        with autocast(device, dtype):
            frozen = scorer.frozen_states(batch, first_layer)
        tokens, window = frozen.tokens.to(STORED_DTYPE).cpu(), 0
        for row, index in enumerate(group):
            document = documents[index]
            width = max(len(w.input_ids) for w in document.windows)
            count = len(document.windows)
            means = frozen.means
            states[index] = DocumentStates(
                tokens[window : window + count, :width].clone(),
                None
                if means is None
                else means[row, : document.num_sentences].to(STORED_DTYPE).cpu(),
            )
            window += count
    scorer.train(was_training)
    return states


def cached_states(
    scorer: ExtractiveScorer,
    documents: Sequence[EncodedDocument],
    key: str,
    config: TrainConfig,
    first_layer: int,
    pad_id: int,
    device: torch.device,
    dtype: torch.dtype,
) -> list[DocumentStates]:
    """The frozen states of ``documents``, cached per document like the frozen features."""
    folder = cache_folder(config, first_layer, dtype)
    digests = [document_digest(d) for d in documents]
    tokens = load_cached_vectors(folder / "tokens", set(digests))
    means = load_cached_vectors(folder / "means", set(digests))
    missing = [i for i, d in enumerate(digests) if d not in tokens]
    if missing:
        logger.info(
            "frozen states %s: %d of %d documents to encode", key, len(missing), len(digests)
        )
    for part in tqdm(list(chunks(missing, SHARD_DOCUMENTS)), desc=f"frozen states {key}"):
        computed = compute_states(
            scorer, [documents[i] for i in part], first_layer, pad_id, device, dtype
        )
        fresh = {digests[i]: s for i, s in zip(part, computed, strict=True)}
        save_shard(folder / "tokens", {d: s.tokens for d, s in fresh.items()})
        tokens.update({d: s.tokens for d, s in fresh.items()})
        if config.model.head.layer_mix:
            fresh_means = {d: s.means for d, s in fresh.items() if s.means is not None}
            save_shard(folder / "means", fresh_means)
            means.update(fresh_means)
    return [DocumentStates(tokens[d], means.get(d)) for d in digests]


def batch_states(states: Sequence[DocumentStates], width: int, first_layer: int) -> FrozenStates:
    """The documents' cached states as one batch: windows padded to ``width`` tokens, in fp32
    (autocast lowers them again where the run trains in bf16)."""
    tokens = torch.cat(
        [nn.functional.pad(s.tokens.float(), (0, 0, 0, width - s.tokens.shape[1])) for s in states]
    )
    rows = [s.means for s in states]
    means = None
    if all(m is not None for m in rows):
        means = pad_vectors([m.float() for m in rows if m is not None])[0]
    return FrozenStates(first_layer, tokens, means)
