"""The checkpoint format shared by training and serving: write atomically, load with checks."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, cast

import torch
from safetensors.torch import load_file, save_file
from transformers import PreTrainedTokenizerBase

from model.errors import InputError
from model.network.encoder import (
    ModelConfig,
    build_scorer,
    encoder_fingerprint,
    file_sha256,
    load_tokenizer,
    trainable_state,
)
from model.network.scorer import ExtractiveScorer

FORMAT_VERSION = 1
CONFIG_FILE, WEIGHTS_FILE, META_FILE, CARD_FILE = (
    "config.json",
    "model.safetensors",
    "meta.json",
    "README.md",
)
TOKENIZER_DIR = "tokenizer"
DEFAULT_CHECKPOINT = Path(str(resources.files("model") / "resources" / "checkpoint"))


class CheckpointError(InputError):
    """A checkpoint that cannot be used, with the reason."""


@dataclass
class LoadedCheckpoint:
    """A network ready for inference plus what describes it."""

    scorer: ExtractiveScorer
    tokenizer: PreTrainedTokenizerBase
    config: ModelConfig
    meta: dict[str, Any]
    path: Path


def _hash_files(directory: Path) -> dict[str, str]:
    """SHA-256 of every file under ``directory`` except meta.json, by relative path."""
    return {
        str(path.relative_to(directory)): file_sha256(path)
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != META_FILE
    }


def save_checkpoint(
    directory: Path,
    scorer: ExtractiveScorer,
    tokenizer: PreTrainedTokenizerBase,
    config: ModelConfig,
    meta: dict[str, Any],
    card: str,
    weights_dtype: torch.dtype = torch.float32,
) -> None:
    """Write a checkpoint to a temporary sibling, then rename it into place."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = _staging_sibling(directory)
    try:
        (staging / CONFIG_FILE).write_text(
            json.dumps(
                {"format_version": FORMAT_VERSION, **config.to_dict()}, indent=2, sort_keys=True
            )
            + "\n"
        )
        state = {
            name: t.to(weights_dtype).contiguous().cpu()
            for name, t in trainable_state(scorer).items()
        }
        save_file(state, str(staging / WEIGHTS_FILE))
        tokenizer.save_pretrained(str(staging / TOKENIZER_DIR))
        (staging / CARD_FILE).write_text(card)
        full_meta = {
            **meta,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "base_encoder": config.base_encoder,
            "base_encoder_sha256": encoder_fingerprint(config.base_encoder),
            "files_sha256": _hash_files(staging),
        }
        _write_meta(staging, full_meta)
        _swap_into_place(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def replace_card(directory: Path, card: str) -> None:
    """Rewrite a checkpoint's model card and the card's recorded hash (e.g. to add results).

    Like `save_checkpoint`, the new checkpoint is made beside the old one and renamed into place.
    """
    directory = Path(directory)
    staging = _staging_sibling(directory)
    try:
        shutil.copytree(directory, staging, dirs_exist_ok=True)
        (staging / CARD_FILE).write_text(card)
        meta = read_meta(staging)
        meta["files_sha256"][CARD_FILE] = file_sha256(staging / CARD_FILE)
        _write_meta(staging, meta)
        _swap_into_place(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _staging_sibling(directory: Path) -> Path:
    """A new empty directory beside ``directory``, to build its replacement in."""
    return Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))


def _write_meta(directory: Path, meta: dict[str, Any]) -> None:
    (directory / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def _swap_into_place(staging: Path, directory: Path) -> None:
    """Rename a complete ``staging`` directory to ``directory``, replacing what was there."""
    for path in [staging, *staging.rglob("*")]:  # mkdtemp makes 0700; readers may be others
        path.chmod(0o755 if path.is_dir() else 0o644)
    old = directory.with_name(f".{directory.name}.old")
    if directory.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(directory, old)
    os.replace(staging, directory)
    shutil.rmtree(old, ignore_errors=True)


def read_meta(directory: Path) -> dict[str, Any]:
    """The checkpoint's meta.json."""
    return dict(json.loads((Path(directory) / META_FILE).read_text()))


def verify_checkpoint(directory: Path) -> tuple[ModelConfig, dict[str, Any]]:
    """Check that every file is there and unchanged and that the base encoder is the right one."""
    directory = Path(directory)
    for required in (CONFIG_FILE, WEIGHTS_FILE, META_FILE, TOKENIZER_DIR):
        if not (directory / required).exists():
            raise CheckpointError(f"checkpoint {directory} is missing {required}")
    meta = read_meta(directory)
    recorded = meta.get("files_sha256", {})
    actual = _hash_files(directory)
    for name, digest in recorded.items():
        if name not in actual:
            raise CheckpointError(f"checkpoint {directory} is missing {name}")
        if actual[name] != digest:
            raise CheckpointError(f"checkpoint file {name} does not match its recorded sha256")
    raw = json.loads((directory / CONFIG_FILE).read_text())
    version = raw.pop("format_version", None)
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint format version {version} is not supported (expected {FORMAT_VERSION})"
        )
    config = ModelConfig.from_dict(raw)
    try:
        base_digest = encoder_fingerprint(config.base_encoder)
    except (OSError, ValueError) as error:
        raise CheckpointError(
            f"base encoder {config.base_encoder!r} of the checkpoint is not available: {error}"
        ) from error
    if base_digest != meta.get("base_encoder_sha256"):
        raise CheckpointError(
            f"base encoder {config.base_encoder!r} has weights sha256 {base_digest[:12]}..., "
            f"but the checkpoint was trained on {str(meta.get('base_encoder_sha256'))[:12]}..."
        )
    return config, meta


def load_checkpoint(directory: Path | None = None) -> LoadedCheckpoint:
    """Load and verify a checkpoint (the shipped default when ``directory`` is None)."""
    directory = Path(directory) if directory is not None else DEFAULT_CHECKPOINT
    config, meta = verify_checkpoint(directory)
    scorer = build_scorer(config)
    stored = load_file(str(directory / WEIGHTS_FILE))
    expected = trainable_state(scorer)
    if set(stored) != set(expected):
        missing = sorted(set(expected) - set(stored))[:3]
        extra = sorted(set(stored) - set(expected))[:3]
        raise CheckpointError(
            f"checkpoint weights do not fit its config: missing {missing}, unexpected {extra}"
        )
    scorer.load_state_dict({k: v.float() for k, v in stored.items()}, strict=False)
    scorer.eval()
    tokenizer = load_tokenizer(directory / TOKENIZER_DIR)
    vocabulary = cast(Any, scorer.encoder).get_input_embeddings().num_embeddings
    if len(tokenizer) != vocabulary or tokenizer.cls_token_id is None:
        raise CheckpointError(
            f"the checkpoint's tokenizer ({len(tokenizer)} tokens) does not fit its base encoder "
            f"{config.base_encoder!r} ({vocabulary} embeddings)"
        )
    return LoadedCheckpoint(scorer, tokenizer, config, meta, directory)
