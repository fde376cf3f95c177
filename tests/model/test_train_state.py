"""Tests for the resume state: one atomic swap, RNG saved with the weights, `.old` as fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from model.errors import InputError
from model.network.encoder import ModelConfig, build_scorer
from model.network.scorer import ExtractiveScorer
from model.training.state import (
    Distributed,
    load_state,
    save_state,
    saved_state,
    setup_distributed,
)


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


@pytest.fixture
def fake_process_group(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """torchrun's environment for rank 3 of 4, two fake GPUs; records what would be called."""
    calls: dict[str, object] = {}
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_device", lambda index: calls.update(set_device=index))
    monkeypatch.setattr(
        torch.distributed, "init_process_group", lambda backend: calls.update(backend=backend)
    )
    monkeypatch.setattr(torch.distributed, "get_rank", lambda: 3)
    return calls


@pytest.mark.parametrize("local_rank", [0, 1])
def test_each_process_of_a_machine_takes_its_own_gpu(
    fake_process_group: dict[str, object], monkeypatch: pytest.MonkeyPatch, local_rank: int
) -> None:
    monkeypatch.setenv("LOCAL_RANK", str(local_rank))
    dist = setup_distributed(torch.device("cuda"))
    assert dist.device == torch.device("cuda", local_rank)
    assert fake_process_group == {"set_device": local_rank, "backend": "nccl"}
    assert (dist.rank, dist.world_size, dist.is_main) == (3, 4, False)


def test_cpu_processes_use_gloo_and_no_gpu(
    fake_process_group: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert setup_distributed(torch.device("cpu")).device == torch.device("cpu")
    assert fake_process_group == {"backend": "gloo"}


def test_more_processes_than_gpus_is_one_clear_error(
    fake_process_group: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCAL_RANK", "2")
    with pytest.raises(InputError, match="LOCAL_RANK 2 but 2 CUDA device"):
        setup_distributed(torch.device("cuda"))
    assert fake_process_group == {}, "no process group joined"


def test_one_process_keeps_the_device(
    fake_process_group: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORLD_SIZE", "1")
    dist = setup_distributed(torch.device("cuda"))
    assert dist.device == torch.device("cuda") and dist.world_size == 1
    assert fake_process_group == {}
