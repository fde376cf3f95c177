"""Tests for choosing the inference precision and for the bf16 and int8 CPU paths."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
from torch import nn

from model import inference
from model.inference import Summarizer, load_summarizer, resolve_precision

ARTICLE = (
    "The city council approved a new budget on Tuesday. It raises spending on schools by "
    "4%. Critics said the plan ignores roads. The mayor called the vote historic."
)
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def fp32(tiny_checkpoint: Path) -> Summarizer:
    """The tiny checkpoint in fp32, the reference for the other precisions."""
    return load_summarizer(tiny_checkpoint, device="cpu", dtype="float32")


def test_auto_picks_bf16_on_a_cpu_that_computes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inference, "cpu_bf16_feature", lambda: "avx512_bf16")
    precision = resolve_precision("auto", CPU)
    assert precision.name == "bfloat16" and precision.compute_dtype == torch.bfloat16
    assert "avx512_bf16" in precision.reason


def test_auto_keeps_fp32_where_bf16_would_be_emulated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inference, "cpu_bf16_feature", lambda: None)
    precision = resolve_precision("auto", CPU)
    assert precision.name == "float32" and "emulated" in precision.reason


def test_an_explicit_choice_wins_and_bad_ones_are_refused() -> None:
    assert resolve_precision("float32", CPU).name == "float32"
    assert resolve_precision("int8", CPU).compute_dtype == torch.float32
    with pytest.raises(ValueError, match="CPU only"):
        resolve_precision("int8", torch.device("cuda"))
    with pytest.raises(ValueError, match="dtype must be"):
        resolve_precision("int4", CPU)


def test_the_cpu_probe_names_a_feature_or_none() -> None:
    assert inference.cpu_bf16_feature() in {None, "avx512_bf16", "amx", "arm bf16"}


def test_int8_quantizes_the_encoder_and_keeps_the_choice(
    tiny_checkpoint: Path, fp32: Summarizer
) -> None:
    int8 = load_summarizer(tiny_checkpoint, device="cpu", dtype="int8")
    encoder_linears = [m for m in int8.scorer.encoder.modules() if type(m) is nn.Linear]
    assert not encoder_linears, "every encoder linear layer is replaced by a quantized one"
    assert any(type(m) is nn.Linear for m in int8.scorer.head.modules()), "the head stays fp32"
    assert int8.card.dtype == "int8" and int8.card.dtype_reason == "asked for"
    quantized, reference = int8.summarize(ARTICLE), fp32.summarize(ARTICLE)
    assert quantized.scores == pytest.approx(reference.scores, abs=0.05)
    assert quantized.scores != reference.scores  # the weights really changed


def test_bf16_on_the_cpu_casts_the_encoder_weights(
    tiny_checkpoint: Path, fp32: Summarizer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="model.inference"):
        bf16 = load_summarizer(tiny_checkpoint, device="cpu", dtype="bfloat16")
    assert "in bfloat16 (asked for)" in caplog.text
    assert {p.dtype for p in bf16.scorer.encoder.parameters()} == {torch.bfloat16}
    assert {p.dtype for p in bf16.scorer.head.parameters()} == {torch.float32}
    assert bf16.summarize(ARTICLE).scores == pytest.approx(fp32.summarize(ARTICLE).scores, abs=0.05)
