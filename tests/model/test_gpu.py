"""GPU paths: CUDA placement and half precision give the CPU's choices (skipped without CUDA)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from model.inference import load_summarizer
from model.types import Budget

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

TEXT = " ".join(f"Sentence {i} is about the market, the team and the film." for i in range(60))


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16"])
def test_cuda_scores_match_cpu(tiny_checkpoint: Path, dtype: str) -> None:
    cpu = load_summarizer(tiny_checkpoint, device="cpu").summarize(TEXT, Budget(num_sentences=5))
    gpu_summarizer = load_summarizer(tiny_checkpoint, device="cuda", dtype=dtype)
    assert next(gpu_summarizer.scorer.parameters()).is_cuda
    gpu = gpu_summarizer.summarize(TEXT, Budget(num_sentences=5))
    tolerance = 1e-4 if dtype == "float32" else 3e-2
    assert gpu.scores == pytest.approx(cpu.scores, abs=tolerance)


def test_shipped_checkpoint_on_cuda_in_bf16() -> None:
    summarizer = load_summarizer(device="cuda")
    assert summarizer.card.dtype in {"bfloat16", "float16"}
    summary = summarizer.summarize(TEXT, Budget(num_sentences=3))
    assert len(summary.sentences) == 3
