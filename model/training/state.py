"""Resumable and multi-process training state: plain tensors in safetensors and JSON, no pickle."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from model.errors import InputError
from model.network.scorer import ExtractiveScorer

logger = logging.getLogger(__name__)


@dataclass
class Distributed:
    """This process's place in a multi-process run (one process when not launched by torchrun)."""

    rank: int = 0
    world_size: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def is_main(self) -> bool:
        """Whether this process writes files and validates."""
        return self.rank == 0


def process_device(device: torch.device, local_rank: int) -> torch.device:
    """The device of the process ``local_rank`` of its machine: its own GPU, ``cuda:LOCAL_RANK``.

    A bare ``cuda`` would put every process of a machine on its first GPU.
    """
    if device.type != "cuda" or device.index is not None:
        return device
    count = torch.cuda.device_count()
    if local_rank >= count:
        raise InputError(
            f"LOCAL_RANK {local_rank} but {count} CUDA device(s) here: "
            "start at most one process per GPU (torchrun --nproc-per-node)"
        )
    torch.cuda.set_device(local_rank)
    return torch.device("cuda", local_rank)


def setup_distributed(device: torch.device) -> Distributed:
    """Join the process group torchrun describes through RANK, WORLD_SIZE and LOCAL_RANK, if any,
    each process on its own GPU where ``device`` is CUDA."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Distributed(device=device)
    device = process_device(device, int(os.environ.get("LOCAL_RANK", "0")))
    backend = "nccl" if device.type == "cuda" else "gloo"
    torch.distributed.init_process_group(backend=backend)
    return Distributed(torch.distributed.get_rank(), world_size, device)


def save_state(
    directory: Path,
    scorer: ExtractiveScorer,
    optimizer: torch.optim.Optimizer,
    progress: dict[str, Any],
    dist: Distributed,
) -> None:
    """Write weights, optimizer moments, RNG and progress as one atomic swap of ``directory``.

    Everything goes to a staging directory first (each rank writes its own RNG state there), and
    only a complete staging directory replaces the old state, so a kill at any moment leaves
    one consistent state behind: the old one or the new one.
    """
    staging = directory.with_name(directory.name + ".tmp")
    if dist.is_main:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
    if dist.world_size > 1:
        torch.distributed.barrier()
    save_file({"rng": torch.get_rng_state()}, str(staging / f"rng-rank{dist.rank}.safetensors"))
    if dist.world_size > 1:
        torch.distributed.barrier()
    if not dist.is_main:
        return
    trainable = {
        n: p.detach().contiguous() for n, p in scorer.named_parameters() if p.requires_grad
    }
    save_file(trainable, str(staging / "weights.safetensors"))
    state = optimizer.state_dict()
    moments = {
        f"{index}/{name}": value.contiguous()
        for index, values in state["state"].items()
        for name, value in values.items()
    }
    save_file(moments, str(staging / "optimizer.safetensors"))
    groups = [dict(g) for g in state["param_groups"]]
    (staging / "progress.json").write_text(
        json.dumps({**progress, "param_groups": groups}, indent=1)
    )
    old = directory.with_name(directory.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if directory.exists():
        os.replace(directory, old)
    os.replace(staging, directory)
    shutil.rmtree(old, ignore_errors=True)


def saved_state(directory: Path) -> Path | None:
    """The complete resume state to continue from, if any.

    A kill between the two renames of :func:`save_state` leaves only the previous state, under
    ``<directory>.old``; that one is complete and is used.
    """
    for candidate in (directory, directory.with_name(directory.name + ".old")):
        if (candidate / "progress.json").is_file():
            return candidate
    return None


def load_state(
    directory: Path,
    scorer: ExtractiveScorer,
    optimizer: torch.optim.Optimizer,
    dist: Distributed,
) -> dict[str, Any]:
    """Restore what :func:`save_state` wrote; returns the progress record."""
    progress = json.loads((directory / "progress.json").read_text())
    weights = load_file(str(directory / "weights.safetensors"))
    missing = [n for n, p in scorer.named_parameters() if p.requires_grad and n not in weights]
    if missing:
        raise ValueError(f"resume state in {directory} lacks weights such as {missing[0]}")
    scorer.load_state_dict(weights, strict=False)
    moments = load_file(str(directory / "optimizer.safetensors"))
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in moments.items():
        index, name = key.split("/")
        state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": progress.pop("param_groups")})
    rng_file = directory / f"rng-rank{dist.rank}.safetensors"
    if rng_file.is_file():
        torch.set_rng_state(load_file(str(rng_file))["rng"])
    return dict(progress)


def weights_digest(scorer: nn.Module) -> str:
    """SHA-256 over the trainable weights: equal digests mean bit-identical weights."""
    digest = hashlib.sha256()
    for name, parameter in scorer.named_parameters():
        if parameter.requires_grad:
            digest.update(name.encode())
            digest.update(parameter.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()
