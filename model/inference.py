"""Inference: split, encode, score many documents in one padded forward pass, select sentences."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedTokenizerBase

from model.centrality import with_centrality
from model.checkpoint import LoadedCheckpoint, load_checkpoint
from model.encoding import EncodedDocument, EncodingConfig, encode_document
from model.fallback import unknown_ratio
from model.network import ExtractiveScorer, collate
from model.ptb import detokenize
from model.selection import select_sentences
from model.sentences import looks_ptb_tokenized, split_sentences
from model.types import Budget, PreparedDocument, ScoredSentence, Sentence, Summary

logger = logging.getLogger(__name__)

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` means CUDA when present, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    """``auto`` means bf16 (or fp16) on a GPU and fp32 on the CPU."""
    if dtype != "auto":
        return DTYPES[dtype]
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def autocast(device: torch.device, dtype: torch.dtype) -> contextlib.AbstractContextManager[Any]:
    """Mixed precision for ``dtype`` on ``device``, or nothing for fp32."""
    if dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def model_sentences(sentences: Sequence[Sentence], text: str) -> list[str]:
    """The sentence texts the encoder reads: PTB-tokenized input is turned back into prose."""
    if looks_ptb_tokenized(text):
        return [detokenize(s.text) for s in sentences]
    return [s.text for s in sentences]


@torch.inference_mode()
def score_encoded(
    scorer: ExtractiveScorer,
    documents: Sequence[EncodedDocument],
    pad_id: int,
    device: torch.device,
    dtype: torch.dtype = torch.float32,
) -> list[list[float]]:
    """Sigmoid scores of every sentence of each document, from one padded forward pass."""
    if not documents:
        return []
    batch = collate(documents, pad_id).to(device)
    with autocast(device, dtype):
        probabilities = torch.sigmoid(scorer(batch).float()).cpu()  # [B, S]
    return [probabilities[row, : doc.num_sentences].tolist() for row, doc in enumerate(documents)]


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Summarizer:
    """A loaded checkpoint behind the `prepare -> score -> select` steps the service batches."""

    def __init__(self, loaded: LoadedCheckpoint, device: str = "auto", dtype: str = "auto") -> None:
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype, self.device)
        self.scorer = loaded.scorer.to(self.device).eval()
        self.tokenizer: PreTrainedTokenizerBase = loaded.tokenizer
        self.encoding: EncodingConfig = loaded.config.encoding
        self.pad_id = int(self.tokenizer.pad_token_id or 0)
        meta = loaded.meta
        self._info = {
            "id": meta.get("id", loaded.path.name),
            "version": meta.get("version", "unversioned"),
            "path": str(loaded.path),
            "base_encoder": loaded.config.base_encoder,
            "base_encoder_sha256": meta.get("base_encoder_sha256"),
            "finetune": loaded.config.finetune,
            "head": loaded.config.head.kind,
            "pooling": loaded.config.head.pooling,
            "training_data": meta.get("training_data"),
            "dev_scores": meta.get("dev_scores"),
            "languages": meta.get("languages", ["en"]),  # checkpoints from before this was recorded
            "created": meta.get("created"),
            "device": str(self.device),
            "dtype": str(self.dtype).removeprefix("torch."),
        }

    @property
    def info(self) -> dict[str, Any]:
        """Model card data for /info and response metadata."""
        return dict(self._info)

    def prepare(self, text: str) -> PreparedDocument:
        """Split and tokenize; raises ``ValueError`` when the text has no sentences."""
        return self.prepare_sentences(text, split_sentences(text))

    def prepare_sentences(self, text: str, sentences: list[Sentence]) -> PreparedDocument:
        """Tokenize a document already split into ``sentences``."""
        if not sentences:
            raise ValueError("the text contains no sentences")
        texts = model_sentences(sentences, text)
        encoded = encode_document(self.tokenizer, texts, self.encoding)
        if self.scorer.head_config.centrality:
            encoded = with_centrality(encoded, texts)
        ratio = unknown_ratio(encoded, self.tokenizer.unk_token_id)
        return PreparedDocument(text, sentences, encoded.num_tokens, encoded, ratio)

    def score(self, documents: Sequence[PreparedDocument]) -> list[list[float]]:
        """One padded forward pass for all documents; a score per sentence of each."""
        return score_encoded(
            self.scorer, [d.encoded for d in documents], self.pad_id, self.device, self.dtype
        )

    def select(
        self,
        document: PreparedDocument,
        scores: Sequence[float],
        budget: Budget,
        trigram_blocking: bool = True,
    ) -> Summary:
        """The chosen sentences under ``budget`` in document order, with every score."""
        texts = [s.text for s in document.sentences]
        chosen = select_sentences(texts, scores, budget, trigram_blocking)
        sentences = [
            ScoredSentence(s.index, s.text, s.start, s.end, float(scores[s.index]))
            for s in (document.sentences[i] for i in chosen)
        ]
        return Summary(sentences, [float(x) for x in scores], len(document.sentences))

    def summarize(
        self, text: str, budget: Budget | None = None, trigram_blocking: bool = True
    ) -> Summary:
        """Summarize one document."""
        return self.summarize_many([text], budget, trigram_blocking)[0]

    def summarize_many(
        self,
        texts: Sequence[str],
        budget: Budget | None = None,
        trigram_blocking: bool = True,
        batch_size: int = 8,
    ) -> list[Summary]:
        """Summarize many documents, ``batch_size`` per forward pass, sorted by length to cut
        padding; results come back in input order."""
        budget = budget or Budget()
        prepared = [self.prepare(text) for text in texts]
        order = sorted(range(len(prepared)), key=lambda i: prepared[i].num_tokens)
        results: dict[int, Summary] = {}
        for group in chunks(order, batch_size):
            docs = [prepared[i] for i in group]
            for index, doc, scores in zip(group, docs, self.score(docs), strict=True):
                results[index] = self.select(doc, scores, budget, trigram_blocking)
        return [results[i] for i in range(len(prepared))]

    def warmup(self) -> None:
        """A tiny forward pass: proves the weights and the device work."""
        self.score([self.prepare("A short warm-up sentence. And a second one.")])


def load_summarizer(
    checkpoint: str | Path | None = None, device: str = "auto", dtype: str = "auto"
) -> Summarizer:
    """Load a checkpoint (the shipped default when None) for inference."""
    loaded = load_checkpoint(Path(checkpoint) if checkpoint is not None else None)
    summarizer = Summarizer(loaded, device=device, dtype=dtype)
    logger.info("loaded checkpoint %s on %s", loaded.path, summarizer.device)
    return summarizer
