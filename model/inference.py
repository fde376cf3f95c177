"""Inference: split, encode, score many documents in one padded forward pass, summarize."""

from __future__ import annotations

import contextlib
import logging
import platform
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import torch
from torch import nn
from transformers import PreTrainedTokenizerBase

from model.checkpoint import LoadedCheckpoint, load_checkpoint
from model.errors import NoSentencesError
from model.fallback import (
    DEFAULT_MAX_UNKNOWN_RATIO,
    choose_method,
    fallback_summary,
    unknown_ratio,
)
from model.network.centrality import with_budget_share, with_centrality
from model.network.inputs import EncodedDocument, EncodingConfig, encode_document
from model.network.scorer import ExtractiveScorer, collate
from model.selection import summarize_scores
from model.text.ptb import detokenize
from model.text.sentences import looks_ptb_tokenized, split_sentences
from model.types import (
    FALLBACK,
    Budget,
    DtypeName,
    ModelCard,
    PreparedDocument,
    Sentence,
    Summary,
)

logger = logging.getLogger(__name__)

DTYPES: dict[str, torch.dtype] = {name: getattr(torch, name) for name in get_args(DtypeName)}
# Every precision the library can load; int8 quantizes the encoder (CPU only). It is measured by
# bench/compare.py, bench/paired_precision.py and scripts/bench_model.py, and offered as --dtype /
# BERTSUM_DTYPE only once the lower end of its paired R-1 interval against fp32 is within 0.2 R-1
# on each CNN/DM dev set; at 200 documents each it was not: -0.35 on the tokenized set.
PRECISIONS = (*DTYPES, "int8")


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` means CUDA when present, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@dataclass(frozen=True, slots=True)
class Precision:
    """The inference precision in force and why it was chosen (shown in /info and the log)."""

    name: str  # a key of DTYPES, or "int8"
    reason: str

    @property
    def compute_dtype(self) -> torch.dtype:
        """The floating-point type the forward pass runs in (int8 layers take fp32 input)."""
        return DTYPES.get(self.name, torch.float32)


def cpu_bf16_feature() -> str | None:
    """The CPU feature that computes bf16 natively (AVX512-BF16, AMX, Arm BF16), or None."""
    checks = (("avx512_bf16", "_is_avx512_bf16_supported"), ("amx", "_is_amx_tile_supported"))
    for feature, probe in checks:
        if getattr(torch.cpu, probe, lambda: False)():
            return feature
    with contextlib.suppress(OSError):  # Arm's flag, which torch has no probe for
        flags = set(Path("/proc/cpuinfo").read_text().split())
        if platform.machine().lower() in {"aarch64", "arm64"} and "bf16" in flags:
            return "arm bf16"
    return None


def resolve_precision(dtype: str, device: torch.device, training: bool = False) -> Precision:
    """The one precision rule. ``auto``: bf16 on a GPU that has it, else fp16 for inference and
    fp32 for training (fp16 gradients would need loss scaling); on a CPU, bf16 for inference
    where the CPU computes it natively, else fp32 (training on a CPU stays fp32)."""
    if dtype != "auto" and dtype not in PRECISIONS:
        raise ValueError(f"dtype must be auto or one of {', '.join(PRECISIONS)}, got {dtype!r}")
    if dtype == "int8" and (device.type != "cpu" or training):
        raise ValueError("int8 (quantized linear layers) runs on the CPU only, for inference")
    if dtype != "auto":
        return Precision(dtype, "asked for")
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return Precision("bfloat16", "auto: the GPU supports bf16")
        if training:
            return Precision("float32", "auto: training on a GPU without bf16")
        return Precision("float16", "auto: the GPU lacks bf16")
    if device.type == "cpu" and not training:
        feature = cpu_bf16_feature()
        if feature is not None:
            return Precision("bfloat16", f"auto: the CPU computes bf16 natively ({feature})")
        return Precision("float32", "auto: no native bf16 on this CPU (bf16 would be emulated)")
    return Precision(
        "float32", f"auto: fp32 {'training' if training else 'inference'} on {device.type}"
    )


def resolve_dtype(dtype: str, device: torch.device, training: bool = False) -> torch.dtype:
    """The floating-point type :func:`resolve_precision` picks."""
    return resolve_precision(dtype, device, training).compute_dtype


def apply_precision(scorer: ExtractiveScorer, precision: Precision, device: torch.device) -> None:
    """Cast or quantize the encoder in place for ``precision`` (the head stays fp32)."""
    if precision.name == "int8":
        with warnings.catch_warnings():  # torch.ao's deprecation notice, once per process
            warnings.simplefilter("ignore")
            scorer.encoder = torch.ao.quantization.quantize_dynamic(
                scorer.encoder, {nn.Linear}, dtype=torch.qint8
            )
    elif device.type == "cpu" and precision.name == "bfloat16":
        # Autocast alone re-casts every weight on every pass: on a CPU that costs more than
        # it does on a GPU. Norms and softmax still run in fp32 under autocast.
        scorer.encoder.to(torch.bfloat16)


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
        self.precision = resolve_precision(dtype, self.device)
        self.dtype = self.precision.compute_dtype
        self.scorer = loaded.scorer.to(self.device).eval()
        apply_precision(self.scorer, self.precision, self.device)
        self.tokenizer: PreTrainedTokenizerBase = loaded.tokenizer
        self.encoding: EncodingConfig = loaded.config.encoding
        self.pad_id = int(self.tokenizer.pad_token_id or 0)
        self._card = model_card(loaded, self.device, self.precision)
        # Texts with more unknown word pieces than this are ranked by the fallback, as served.
        self.max_unknown_ratio = DEFAULT_MAX_UNKNOWN_RATIO

    @property
    def card(self) -> ModelCard:
        """What this model is, for /info, metrics and response metadata."""
        return self._card

    def prepare(self, text: str, budget: Budget | None = None) -> PreparedDocument:
        """Split and tokenize for a summary under ``budget`` (a head may read how much of the
        document it takes); raises `NoSentencesError` when the text has no sentences."""
        sentences, texts = split_for_encoder(text)
        return self._encode(text, sentences, texts, budget or Budget())

    def prepare_sentences(
        self, text: str, sentences: list[Sentence], budget: Budget | None = None
    ) -> PreparedDocument:
        """Tokenize a document already split into ``sentences``, for a summary under ``budget``."""
        texts = model_sentences(sentences, looks_ptb_tokenized(text))
        return self._encode(text, sentences, texts, budget or Budget())

    def _encode(
        self, text: str, sentences: list[Sentence], texts: list[str], budget: Budget
    ) -> PreparedDocument:
        """The document with the encoder's windows over ``texts``, one per sentence, and the
        features its head reads beside them."""
        if not sentences:
            raise NoSentencesError("the text contains no sentences")
        encoded = encode_document(self.tokenizer, texts, self.encoding)
        if self.scorer.head_config.centrality:
            encoded = with_centrality(encoded, texts)
        if self.scorer.head_config.budget_share:
            encoded = with_budget_share(encoded, budget, texts)
        ratio = unknown_ratio(encoded, self.tokenizer.unk_token_id)
        return PreparedDocument(text, sentences, encoded.num_tokens, encoded, ratio, budget)

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
        prepared = [self.prepare(text, budget) for text in texts]
        return self.summarize_prepared(prepared, trigram_blocking, batch_size)

    def summarize_prepared(
        self,
        documents: Sequence[PreparedDocument],
        trigram_blocking: bool = True,
        batch_size: int = 8,
    ) -> list[Summary]:
        """Summarize prepared documents, each under the budget it was prepared for,
        ``batch_size`` per forward pass sorted by length to cut padding; in input order."""
        unreadable = {
            i
            for i, doc in enumerate(documents)
            if choose_method(doc.unknown_ratio, self.max_unknown_ratio) == FALLBACK
        }
        results = {
            i: fallback_summary(documents[i], documents[i].budget, trigram_blocking)
            for i in unreadable
        }
        order = sorted(
            (i for i in range(len(documents)) if i not in unreadable),
            key=lambda i: documents[i].num_tokens,
        )
        for group in chunks(order, batch_size):
            docs = [documents[i] for i in group]
            for index, doc, scores in zip(group, docs, self.score(docs), strict=True):
                results[index] = summarize_scores(
                    doc.sentences, scores, doc.budget, trigram_blocking
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


def model_card(loaded: LoadedCheckpoint, device: torch.device, precision: Precision) -> ModelCard:
    """The card of a loaded checkpoint running on ``device`` in ``precision``."""
    meta = loaded.meta
    return ModelCard(
        id=str(meta.get("id", loaded.path.name)),
        version=str(meta.get("version", "unversioned")),
        base_encoder=loaded.config.base_encoder,
        device=str(device),
        dtype=precision.name,
        dtype_reason=precision.reason,
        base_encoder_sha256=meta.get("base_encoder_sha256"),
        finetune=loaded.config.finetune,
        head=loaded.config.head.kind,
        pooling=loaded.config.head.pooling,
        training_data=list(meta.get("training_data") or []),
        dev_scores=dict(meta.get("dev_scores") or {}),
        languages=list(meta.get("languages") or ["en"]),  # older checkpoints did not record it
        created=meta.get("created"),
        path=str(loaded.path),
    )


def load_summarizer(
    checkpoint: str | Path | None = None, device: str = "auto", dtype: str = "auto"
) -> Summarizer:
    """Load a checkpoint (the shipped default when None) for inference."""
    loaded = load_checkpoint(Path(checkpoint) if checkpoint is not None else None)
    summarizer = Summarizer(loaded, device=device, dtype=dtype)
    precision = summarizer.precision
    logger.info(
        "loaded checkpoint %s on %s in %s (%s)",
        loaded.path,
        summarizer.device,
        precision.name,
        precision.reason,
    )
    return summarizer
