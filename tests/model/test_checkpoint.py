"""Tests for the checkpoint format: round trip, atomic writes and refusal of broken checkpoints."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from transformers import BertTokenizer  # the fast (tokenizers) one since transformers 5

from model.checkpoint import (
    CheckpointError,
    load_checkpoint,
    replace_card,
    save_checkpoint,
    verify_checkpoint,
)
from model.inference import score_encoded
from model.network.encoder import ModelConfig, build_scorer, load_tokenizer
from model.network.inputs import encode_document
from tests.tiny_model import write_tiny_encoder

SENTENCES = ["the market rose.", "the team won the game.", "a film of news."]


def write(directory: Path, config: ModelConfig) -> torch.nn.Module:
    """Save a freshly built scorer as a checkpoint; return the scorer."""
    scorer = build_scorer(config).eval()
    tokenizer = load_tokenizer(config.base_encoder)
    save_checkpoint(directory, scorer, tokenizer, config, {"id": "tiny"}, "# card\n")
    return scorer


def scores(scorer: torch.nn.Module, config: ModelConfig) -> list[float]:
    """Scores of a fixed document."""
    tokenizer = load_tokenizer(config.base_encoder)
    doc = encode_document(tokenizer, SENTENCES, config.encoding)
    return score_encoded(scorer, [doc], tokenizer.pad_token_id, torch.device("cpu"))[0]  # type: ignore[arg-type]


def test_round_trip_gives_the_same_scores(tiny_config: ModelConfig, tmp_path: Path) -> None:
    scorer = write(tmp_path / "ckpt", tiny_config)
    loaded = load_checkpoint(tmp_path / "ckpt")
    assert loaded.config == tiny_config
    torch.testing.assert_close(
        torch.tensor(scores(loaded.scorer, tiny_config)), torch.tensor(scores(scorer, tiny_config))
    )
    meta = json.loads((tmp_path / "ckpt" / "meta.json").read_text())
    assert {"config.json", "model.safetensors", "README.md"} <= set(meta["files_sha256"])
    assert len(meta["base_encoder_sha256"]) == 64 and meta["created"]
    assert not list(tmp_path.glob(".ckpt*")), "staging directories were left behind"


def test_compact_checkpoint_stores_only_trained_weights(
    tiny_config: ModelConfig, tmp_path: Path
) -> None:
    write(tmp_path / "ckpt", tiny_config)
    from safetensors.torch import load_file

    names = set(load_file(str(tmp_path / "ckpt" / "model.safetensors")))
    assert names and all(n.startswith("head.") or ".layer.1." in n for n in names)


def test_overwriting_keeps_a_whole_checkpoint(tiny_config: ModelConfig, tmp_path: Path) -> None:
    write(tmp_path / "ckpt", tiny_config)
    second = write(tmp_path / "ckpt", tiny_config)
    loaded = load_checkpoint(tmp_path / "ckpt")
    torch.testing.assert_close(
        torch.tensor(scores(loaded.scorer, tiny_config)), torch.tensor(scores(second, tiny_config))
    )
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"], "staging or old copies were left"


def test_replacing_the_card_keeps_a_verified_checkpoint(
    tiny_config: ModelConfig, tmp_path: Path
) -> None:
    write(tmp_path / "ckpt", tiny_config)
    replace_card(tmp_path / "ckpt", "# card with results\n")
    assert (tmp_path / "ckpt" / "README.md").read_text() == "# card with results\n"
    verify_checkpoint(tmp_path / "ckpt")
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"], "staging or old copies were left"


@pytest.mark.parametrize("victim", ["model.safetensors", "config.json", "tokenizer", "meta.json"])
def test_missing_file_is_refused(tiny_config: ModelConfig, tmp_path: Path, victim: str) -> None:
    write(tmp_path / "ckpt", tiny_config)
    target = tmp_path / "ckpt" / victim
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    with pytest.raises(CheckpointError, match="missing"):
        load_checkpoint(tmp_path / "ckpt")


def test_changed_file_is_refused(tiny_config: ModelConfig, tmp_path: Path) -> None:
    write(tmp_path / "ckpt", tiny_config)
    weights = tmp_path / "ckpt" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"model.safetensors does not match"):
        load_checkpoint(tmp_path / "ckpt")


def test_other_base_encoder_is_refused(tmp_path: Path, tiny_config: ModelConfig) -> None:
    encoder = write_tiny_encoder(tmp_path / "encoder", seed=1)
    own = ModelConfig.from_dict({**tiny_config.to_dict(), "base_encoder": str(encoder)})
    write(tmp_path / "ckpt", own)
    write_tiny_encoder(encoder, seed=2)  # the base encoder's weights change under the checkpoint
    with pytest.raises(CheckpointError, match="trained on"):
        load_checkpoint(tmp_path / "ckpt")


def test_unknown_format_version_is_refused(tiny_config: ModelConfig, tmp_path: Path) -> None:
    write(tmp_path / "ckpt", tiny_config)
    meta_path = tmp_path / "ckpt" / "meta.json"
    config_path = tmp_path / "ckpt" / "config.json"
    raw = json.loads(config_path.read_text())
    raw["format_version"] = 99
    config_path.write_text(json.dumps(raw))
    meta = json.loads(meta_path.read_text())
    meta["files_sha256"].pop("config.json")  # so that the version check itself is reached
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="format version 99"):
        load_checkpoint(tmp_path / "ckpt")


def test_tokenizer_that_does_not_fit_the_encoder_is_refused(
    tiny_config: ModelConfig, tmp_path: Path
) -> None:
    write(tmp_path / "ckpt", tiny_config)
    # A tokenizer of another vocabulary, as if the wrong files had been copied in.
    other = tmp_path / "other"
    other.mkdir()
    (other / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n")
    BertTokenizer(vocab=str(other / "vocab.txt")).save_pretrained(
        str(tmp_path / "ckpt" / "tokenizer")
    )
    meta_path = tmp_path / "ckpt" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["files_sha256"] = {
        k: v for k, v in meta["files_sha256"].items() if not k.startswith("tokenizer")
    }
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="tokenizer"):
        load_checkpoint(tmp_path / "ckpt")
