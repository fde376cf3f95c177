"""Tests for the resume state: one atomic swap, RNG saved with the weights, `.old` as fallback."""

from __future__ import annotations

from pathlib import Path

import torch

from model.network.encoder import ModelConfig, build_scorer
from model.network.scorer import ExtractiveScorer
from model.training.state import Distributed, load_state, save_state, saved_state


def trainable(config: ModelConfig) -> tuple[ExtractiveScorer, torch.optim.Optimizer]:
    """A scorer and an optimizer over its trainable parameters."""
    scorer = build_scorer(config)
    return scorer, torch.optim.AdamW([p for p in scorer.parameters() if p.requires_grad])


def test_state_holds_weights_optimizer_and_rng_of_the_same_step(
    tiny_config: ModelConfig, tmp_path: Path
) -> None:
    scorer, optimizer = trainable(tiny_config)
    state = tmp_path / "state"
    save_state(state, scorer, optimizer, {"step": 1}, Distributed())
    expected_rng = torch.get_rng_state()
    torch.rand(100)  # move the generator on
    assert sorted(p.name for p in state.iterdir()) == [
        "optimizer.safetensors", "progress.json", "rng-rank0.safetensors", "weights.safetensors"
    ]  # fmt: skip
    assert not state.with_name("state.tmp").exists()
    progress = load_state(state, scorer, optimizer, Distributed())
    assert progress["step"] == 1
    assert torch.equal(torch.get_rng_state(), expected_rng)


def test_a_kill_between_the_renames_resumes_from_the_previous_state(
    tiny_config: ModelConfig, tmp_path: Path
) -> None:
    scorer, optimizer = trainable(tiny_config)
    state = tmp_path / "state"
    assert saved_state(state) is None
    save_state(state, scorer, optimizer, {"step": 4}, Distributed())
    assert saved_state(state) == state
    state.rename(state.with_name("state.old"))  # what the first rename of the next save leaves
    found = saved_state(state)
    assert found == state.with_name("state.old")
    assert load_state(found, scorer, optimizer, Distributed())["step"] == 4
    save_state(state, scorer, optimizer, {"step": 5}, Distributed())
    assert saved_state(state) == state
    assert not state.with_name("state.old").exists()
