"""Training data: oracle labels, encoded windows and frozen-encoder sentence vectors, cached."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from tqdm import tqdm

from model.inference import autocast, split_for_encoder
from model.network.centrality import with_budget_share, with_centrality
from model.network.encoder import encoder_fingerprint, file_sha256
from model.network.inputs import EncodedDocument, encode_document
from model.network.scorer import ExtractiveScorer, collate, select_pooling
from model.text.data import Example, as_served, read_jsonl
from model.text.sentences import split_sentences
from model.training.config import TrainConfig
from model.training.oracle import oracle_labels, sentence_rouge_targets
from model.types import Budget, Sentence

logger = logging.getLogger(__name__)


# The code that turns a data file into sentences: its hash keys every cache built on them.
_MODEL = Path(__file__).parents[1]
_TEXT_CODE = [_MODEL / "text" / name for name in ("sentences.py", "ptb.py", "data.py")]
_TEXT_DATA = [_MODEL / "resources" / "punkt_english.json"]


@dataclass
class TrainItem:
    """A training document: encoded windows, the indices of its oracle sentences, its texts."""

    encoded: EncodedDocument
    labels: list[int]
    sentences: list[str]
    source: int = 0  # which training file
    soft_targets: list[float] | None = None  # per sentence, with --soft-labels


@dataclass
class DevItem:
    """A dev document: encoded windows, its sentences, the reference and the summary budget."""

    encoded: EncodedDocument
    sentences: list[Sentence]
    reference: list[str]
    budget: Budget
    source: int = 0  # which dev file


def text_code_digest() -> list[str]:
    """Hashes of the splitting code and data, part of every cache key built on sentences."""
    return [file_sha256(path) for path in _TEXT_CODE + _TEXT_DATA]


def parse_budget(spec: str, reference: Sequence[str]) -> int:
    """Sentences a budget spec allows: a count (``"3"``) or ``"reference"`` (its length)."""
    if spec == "reference":
        return max(1, len(reference))
    return int(spec)


def oracle_budget(config: TrainConfig, file_index: int, example: Example) -> int | Budget:
    """The oracle's maximum selection for one document of a training file."""
    if config.oracle_budgets:
        return parse_budget(config.oracle_budgets[file_index], example.summary_sentences)
    if config.oracle_ratio is not None:
        return Budget(ratio=config.oracle_ratio)
    return config.oracle_max_sentences


def read_examples(path: Path, limit: int | None, text_form: str) -> list[Example]:
    """The first ``limit`` examples of a file, in the text form training uses."""
    examples = list(read_jsonl(path))[:limit]
    return [as_served(e) for e in examples] if text_form == "served" else examples


def cached_oracle_labels(
    path: Path, examples: Sequence[Example], config: TrainConfig, file_index: int
) -> list[list[int]]:
    """Oracle labels of a data file, computed once and cached by file and settings hash."""
    key_source = json.dumps(
        [
            file_sha256(path),
            text_code_digest(),
            config.text_form,
            config.oracle_budgets[file_index] if config.oracle_budgets else None,
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
            [s.text for s in split_sentences(e.article)],
            e.summary_sentences,
            oracle_budget(config, file_index, e),
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
    centrality = None if encoded.centrality is None else encoded.centrality[:owned]
    return EncodedDocument(encoded.windows[:max_windows], encoded.owner[:owned], centrality)


def encode_for_head(
    tokenizer: Any, texts: list[str], config: TrainConfig, budget: int | Budget
) -> EncodedDocument:
    """A document encoded with what the head reads beside the encoder: the centrality features
    and, for a head that reads it, the share of the document that the summary ``budget`` takes."""
    encoded = encode_document(tokenizer, texts, config.model.encoding)
    if config.model.head.centrality:
        encoded = with_centrality(encoded, texts)
    if config.model.head.budget_share:
        counted = Budget(num_sentences=budget) if isinstance(budget, int) else budget
        encoded = with_budget_share(encoded, counted, texts)
    return encoded


def load_train_items(config: TrainConfig, tokenizer: Any) -> list[TrainItem]:
    """Read, label and encode the training files."""
    items: list[TrainItem] = []
    for file_index, name in enumerate(config.train_files):
        path = Path(name)
        examples = read_examples(path, config.limit, config.text_form)
        labels = cached_oracle_labels(path, examples, config, file_index)
        for example, chosen in zip(examples, labels, strict=True):
            sentences, texts = split_for_encoder(example.article)
            if not sentences:
                continue
            budget = oracle_budget(config, file_index, example)
            encoded = encode_for_head(tokenizer, texts, config, budget)
            encoded = truncated(encoded, config.max_train_windows)
            kept = [i for i in chosen if i < encoded.num_sentences]
            soft = None
            if config.soft_labels:
                soft = sentence_rouge_targets(texts, example.summary_sentences)
                soft = soft[: encoded.num_sentences]
            kept_texts = texts[: encoded.num_sentences]
            items.append(TrainItem(encoded, kept, kept_texts, file_index, soft))
    return items


def load_dev_items(tokenizer: Any, config: TrainConfig) -> list[DevItem]:
    """Read and encode the dev documents (all windows: validation scores every sentence)."""
    items = []
    for source, name in enumerate(config.dev_files):
        default = str(config.dev_budget_sentences)
        spec = config.dev_budgets[source] if config.dev_budgets else default
        for example in read_examples(Path(name), config.dev_limit, config.text_form):
            sentences, texts = split_for_encoder(example.article)
            if not sentences:
                continue
            budget = Budget(parse_budget(spec, example.summary_sentences))
            encoded = encode_for_head(tokenizer, texts, config, budget)
            items.append(DevItem(encoded, sentences, example.summary_sentences, budget, source))
    return items


@torch.inference_mode()
def sentence_features(
    scorer: ExtractiveScorer,
    documents: Sequence[EncodedDocument],
    pad_id: int,
    device: torch.device,
    dtype: torch.dtype,
    description: str,
) -> list[torch.Tensor]:
    """ "cls+mean" sentence vectors [S_i, 2H] of each document from the frozen encoder."""
    was_training = scorer.training
    scorer.eval()
    features: list[torch.Tensor] = [torch.empty(0)] * len(documents)
    order = sorted(range(len(documents)), key=lambda i: documents[i].num_tokens)
    for start in tqdm(range(0, len(order), 8), desc=description, leave=False):
        group = order[start : start + 8]
        batch = collate([documents[i] for i in group], pad_id).to(device)
        with autocast(device, dtype):
            vectors = scorer.sentence_vectors(batch, "cls+mean").to(dtype).cpu()  # [B, S, D]
        for row, index in enumerate(group):
            features[index] = vectors[row, : documents[index].num_sentences].clone()
    scorer.train(was_training)
    return features


def feature_settings(config: TrainConfig, dtype: torch.dtype) -> str:
    """A hash of what shapes a document's vectors besides the document: encoder, kind, precision."""
    kind = "layers" if config.model.head.layer_mix else "cls+mean"
    settings = [encoder_fingerprint(config.model.base_encoder), kind, str(dtype)]
    return hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:16]


def document_digest(encoded: EncodedDocument) -> str:
    """A hash of what the encoder reads of a document and which window scores each sentence."""
    windows = [[w.input_ids, w.segment_ids, w.sentence_starts] for w in encoded.windows]
    return hashlib.sha256(json.dumps([windows, encoded.owner]).encode()).hexdigest()


def load_cached_vectors(folder: Path, wanted: set[str]) -> dict[str, torch.Tensor]:
    """The vectors of the ``wanted`` documents that any shard in ``folder`` holds."""
    found: dict[str, torch.Tensor] = {}
    for shard in sorted(folder.glob("*.safetensors")):
        with safe_open(str(shard), framework="pt") as stored:
            for digest in wanted.intersection(stored.keys()) - found.keys():
                found[digest] = stored.get_tensor(digest)
    return found


def save_shard(folder: Path, vectors: dict[str, torch.Tensor]) -> None:
    """Add a shard of document vectors to ``folder``, atomically (several ranks may write)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256("".join(sorted(vectors)).encode()).hexdigest()[:16]
    staging = folder / f"{name}.{os.getpid()}.tmp"
    save_file({d: v.contiguous() for d, v in vectors.items()}, str(staging))
    os.replace(staging, folder / f"{name}.safetensors")


def cached_features(
    scorer: ExtractiveScorer,
    documents: Sequence[EncodedDocument],
    key: str,
    config: TrainConfig,
    pad_id: int,
    device: torch.device,
    dtype: torch.dtype,
) -> list[torch.Tensor]:
    """Sentence vectors of the head's pooling, cached per document.

    A document's vectors are keyed by a hash of its encoder input, so every run that reads the
    same document with the same encoder shares one encoder pass over it, whatever files it
    was read from, however they are combined and whatever the head. The cache keeps both the
    [CLS] and the mean vectors (or every layer's), so runs that differ only in pooling share it.
    """
    folder = Path(config.cache_dir) / f"features-{feature_settings(config, dtype)}"
    digests = [document_digest(d) for d in documents]
    vectors = load_cached_vectors(folder, set(digests))
    missing = [i for i, d in enumerate(digests) if d not in vectors]
    if missing:
        logger.info("features %s: %d of %d documents to encode", key, len(missing), len(digests))
        computed = sentence_features(
            scorer, [documents[i] for i in missing], pad_id, device, dtype, f"features {key}"
        )
        fresh = {digests[i]: v for i, v in zip(missing, computed, strict=True)}
        save_shard(folder, fresh)
        vectors.update(fresh)
    features = [vectors[d].float() for d in digests]
    if config.model.head.layer_mix:
        return features
    return [select_pooling(f, config.model.head.pooling) for f in features]
