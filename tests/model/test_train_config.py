"""The training settings: the `bertsum train` options come from the config, which checks itself
and refuses to resume a run with other settings."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from model.commands import train
from model.commands.dataclass_options import field_docs
from model.network.encoder import ModelConfig
from model.network.scorer import HeadConfig
from model.training.config import ConfigError, TrainConfig, check_resume, write_config


def parse(*options: str) -> argparse.Namespace:
    """`bertsum train` options parsed as the command would."""
    parser = argparse.ArgumentParser()
    train.add_arguments(parser)
    return parser.parse_args(["--train", "a.jsonl", "--out", "run", *options])


def test_the_options_default_to_the_config_defaults() -> None:
    config = train.config_from_args(parse())
    expected = TrainConfig(["a.jsonl"], "run", command=config.command)
    assert config == expected


def test_options_reach_the_nested_configs() -> None:
    options = ["--head", "linear", "--layer-mix", "--lora-rank", "4", "--max-sentence-tokens", "40"]
    config = train.config_from_args(parse(*options, "--lr", "1e-4", "--dev", "dev.jsonl"))
    assert config.model.head.kind == "linear" and config.model.head.layer_mix is True
    assert (config.model.lora_rank, config.model.lora_alpha) == (4, 8)
    assert config.model.encoding.max_sentence_tokens == 40
    assert config.learning_rate == 1e-4 and config.dev_files == ["dev.jsonl"]


def test_literal_fields_offer_their_choices_only() -> None:
    with pytest.raises(SystemExit):
        parse("--precision", "fp16")
    with pytest.raises(SystemExit):
        parse("--finetune", "half")


@pytest.mark.parametrize("cls", [TrainConfig, ModelConfig, HeadConfig])
def test_every_option_field_has_a_doc(cls: type) -> None:
    docs = field_docs(cls)
    documented = {f.name for f in dataclasses.fields(cls) if f.name in docs}
    nested = (
        {"model"} if cls is TrainConfig else {"encoding", "head"} if cls is ModelConfig else set()
    )
    assert documented | nested == {f.name for f in dataclasses.fields(cls)}


def test_a_head_option_that_contradicts_another_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="layer_mix"):
        train.config_from_args(parse("--layer-mix", "--pooling", "cls"))


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"warmup_ratio": 1.0}, "warmup_ratio"),
        ({"oracle_ratio": 1.5}, "oracle_ratio"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"train_files": []}, "train_files"),
    ],
)
def test_settings_out_of_range_are_refused_by_name(change: dict[str, object], named: str) -> None:
    base = {"train_files": ["a.jsonl"], "dev_files": [], "out_dir": "run"}
    with pytest.raises(ConfigError, match=named):
        TrainConfig(**{**base, **change})  # type: ignore[arg-type]


def test_a_resume_with_other_settings_is_refused_naming_them(tmp_path: Path) -> None:
    started = TrainConfig(["a.jsonl"], str(tmp_path), command="bertsum train ...")
    write_config(tmp_path, started)
    same = dataclasses.replace(started, command="bertsum train --other-order", cache_dir="c2")
    check_resume(tmp_path, same)  # the command line and the cache may change
    head = dataclasses.replace(started.model.head, kind="linear")
    other = dataclasses.replace(
        started, learning_rate=1e-4, model=dataclasses.replace(started.model, head=head)
    )
    with pytest.raises(ConfigError) as refused:
        check_resume(tmp_path, other)
    message = str(refused.value)
    assert "learning_rate was 5e-05, now 0.0001" in message
    assert "model.head.kind was 'transformer', now 'linear'" in message
    assert "batch_size" not in message
