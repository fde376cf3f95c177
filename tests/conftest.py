"""Fixtures shared by every test package: a tiny encoder, a config on it, a checkpoint of it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from model.network.encoder import ModelConfig


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio through anyio's pytest plugin."""
    return "asyncio"


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BERT saved as a local encoder directory (weights, config, tokenizer)."""
    from tests.tiny_model import write_tiny_encoder  # torch loads only for tests that need it

    return write_tiny_encoder(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def tiny_config(tiny_encoder_dir: Path) -> ModelConfig:
    """A model config on the tiny encoder: top layer + small Transformer head, short windows."""
    from model.network.encoder import ModelConfig
    from model.network.inputs import EncodingConfig
    from model.network.scorer import HeadConfig

    return ModelConfig(
        base_encoder=str(tiny_encoder_dir),
        finetune="top",
        top_layers=1,
        encoding=EncodingConfig(max_sentence_tokens=40, window_tokens=128, overlap_tokens=32),
        head=HeadConfig(pooling="mean", kind="transformer", heads=2, feedforward=32, dropout=0.0),
    )


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_config: ModelConfig, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint of a freshly initialised tiny scorer."""
    from model.checkpoint import save_checkpoint
    from model.network.encoder import build_scorer, load_tokenizer

    directory = tmp_path_factory.mktemp("ckpt") / "tiny"
    tokenizer = load_tokenizer(tiny_config.base_encoder)
    save_checkpoint(directory, build_scorer(tiny_config), tokenizer, tiny_config, {}, "# tiny\n")
    return directory
