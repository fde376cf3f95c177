"""Inference: split, encode, score many documents in one padded forward pass, summarize."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, get_args

import torch
from transformers import PreTrainedTokenizerBase

from model.centrality import with_centrality
from model.checkpoint import LoadedCheckpoint, load_checkpoint
from model.encoding import EncodedDocument, EncodingConfig, encode_document
from model.errors import NoSentencesError
from model.network import ExtractiveScorer, collate
from model.ptb import detokenize
from model.selection import summarize_scores
from model.sentences import looks_ptb_tokenized, split_sentences
from model.types import Budget, DtypeName, ModelCard, PreparedDocument, Sentence, Summary

logger = logging.getLogger(__name__)

DTYPES: dict[str, torch.dtype] = {name: getattr(torch, name) for name in get_args(DtypeName)}


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` means CUDA when present, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def resolve_dtype(dtype: str, device: torch.device, training: bool = False) -> torch.dtype:
    """The precision ``dtype`` names; ``auto`` means bf16 on a GPU that has it, else fp16 for
    inference and fp32 for training (fp16 gradients would need loss scaling), fp32 on the CPU."""
    if dtype != "auto":
        return DTYPES[dtype]
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32 if training else torch.float16
    return torch.float32


def autocast(device: torch.device, dtype: torch.dtype) -> contextlib.AbstractContextManager[Any]:
    """Mixed precision for ``dtype`` on ``device``, or nothing for fp32."""
    if dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def model_sentences(sentences: Sequence[Sentence], ptb: bool) -> list[str]:
    """The sentence texts the encoder reads: PTB-tokenized input is turned back into prose."""
    if ptb:
        return [detokenize(s.text) for s in sentences]
    return [s.text for s in sentences]


def split_for_encoder(text: str) -> tuple[list[Sentence], list[str]]:
    """The sentences of ``text`` and what the encoder reads of each; PTB is detected once."""
    ptb = looks_ptb_tokenized(text)
    sentences = split_sentences(text, "ptb" if ptb else "punkt")
    return sentences, model_sentences(sentences, ptb)


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
        logits = scorer(batch)  # [B, S]
    return sentence_probabilities(logits, [doc.num_sentences for doc in documents])


def sentence_probabilities(logits: torch.Tensor, counts: Sequence[int]) -> list[list[float]]:
    """Sigmoid of padded ``[B, S]`` logits, as each document's list of its ``counts[b]`` scores."""
    probabilities = torch.sigmoid(logits.float()).cpu()  # [B, S]
    return [probabilities[row, :count].tolist() for row, count in enumerate(counts)]


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Summarizer:
    """A loaded checkpoint behind the `prepare -> score` steps the service batches."""

    def __init__(self, loaded: LoadedCheckpoint, device: str = "auto", dtype: str = "auto") -> None:
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype, self.device)
        self.scorer = loaded.scorer.to(self.device).eval()
        self.tokenizer: PreTrainedTokenizerBase = loaded.tokenizer
        self.encoding: EncodingConfig = loaded.config.encoding
        self.pad_id = int(self.tokenizer.pad_token_id or 0)
        self._card = model_card(loaded, self.device, self.dtype)

    @property
    def card(self) -> ModelCard:
        """What this model is, for /info, metrics and response metadata."""
        return self._card

    def prepare(self, text: str) -> PreparedDocument:
        """Split and tokenize; raises `NoSentencesError` when the text has no sentences."""
        sentences, texts = split_for_encoder(text)
        return self._encode(text, sentences, texts)

    def prepare_sentences(self, text: str, sentences: list[Sentence]) -> PreparedDocument:
        """Tokenize a document already split into ``sentences``."""
        return self._encode(text, sentences, model_sentences(sentences, looks_ptb_tokenized(text)))

    def _encode(self, text: str, sentences: list[Sentence], texts: list[str]) -> PreparedDocument:
        """The document with the encoder's windows over ``texts``, one per sentence."""
        if not sentences:
            raise NoSentencesError("the text contains no sentences")
        encoded = encode_document(self.tokenizer, texts, self.encoding)
        if self.scorer.head_config.centrality:
            encoded = with_centrality(encoded, texts)
        return PreparedDocument(text, sentences, encoded.num_tokens, encoded)

    def score(self, documents: Sequence[PreparedDocument]) -> list[list[float]]:
        """One padded forward pass for all documents; a score per sentence of each."""
        return score_encoded(
            self.scorer, [encoded_of(d) for d in documents], self.pad_id, self.device, self.dtype
        )

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
        """Summarize many documents under one budget, in input order (see `summarize_prepared`)."""
        prepared = [self.prepare(text) for text in texts]
        budgets = [budget or Budget()] * len(prepared)
        return self.summarize_prepared(prepared, budgets, trigram_blocking, batch_size)

    def summarize_prepared(
        self,
        documents: Sequence[PreparedDocument],
        budgets: Sequence[Budget],
        trigram_blocking: bool = True,
        batch_size: int = 8,
    ) -> list[Summary]:
        """Summarize prepared documents, each under its budget, ``batch_size`` per forward pass
        sorted by length to cut padding; results come back in input order."""
        order = sorted(range(len(documents)), key=lambda i: documents[i].num_tokens)
        results: dict[int, Summary] = {}
        for group in chunks(order, batch_size):
            docs = [documents[i] for i in group]
            for index, doc, scores in zip(group, docs, self.score(docs), strict=True):
                results[index] = summarize_scores(
                    doc.sentences, scores, budgets[index], trigram_blocking
                )
        return [results[i] for i in range(len(documents))]

    def warmup(self) -> None:
        """A tiny forward pass: proves the weights and the device work."""
        self.score([self.prepare("A short warm-up sentence. And a second one.")])


def encoded_of(document: PreparedDocument) -> EncodedDocument:
    """The encoder input of a document this library prepared."""
    if document.encoded is None:
        raise ValueError("the document was not prepared by a Summarizer: it has no encoding")
    return document.encoded


def model_card(loaded: LoadedCheckpoint, device: torch.device, dtype: torch.dtype) -> ModelCard:
    """The card of a loaded checkpoint running on ``device`` in ``dtype``."""
    meta = loaded.meta
    return ModelCard(
        id=str(meta.get("id", loaded.path.name)),
        version=str(meta.get("version", "unversioned")),
        base_encoder=loaded.config.base_encoder,
        device=str(device),
        dtype=str(dtype).removeprefix("torch."),
        base_encoder_sha256=meta.get("base_encoder_sha256"),
        finetune=loaded.config.finetune,
        head=loaded.config.head.kind,
        pooling=loaded.config.head.pooling,
        training_data=list(meta.get("training_data") or []),
        dev_scores=dict(meta.get("dev_scores") or {}),
        created=meta.get("created"),
        path=str(loaded.path),
    )


def load_summarizer(
    checkpoint: str | Path | None = None, device: str = "auto", dtype: str = "auto"
) -> Summarizer:
    """Load a checkpoint (the shipped default when None) for inference."""
    loaded = load_checkpoint(Path(checkpoint) if checkpoint is not None else None)
    summarizer = Summarizer(loaded, device=device, dtype=dtype)
    logger.info("loaded checkpoint %s on %s", loaded.path, summarizer.device)
    return summarizer
