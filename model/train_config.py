"""The settings of a training run, saved with it and used to resume it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from model.encoder import ModelConfig


@dataclass
class TrainConfig:
    """Everything that defines a training run; the same config resumes the same run."""

    train_files: list[str]
    dev_files: list[str]
    out_dir: str
    model: ModelConfig = field(default_factory=ModelConfig)
    epochs: float = 1.0
    batch_size: int = 4  # documents per micro-batch per process
    accumulation: int = 1
    learning_rate: float = 5e-5  # encoder weights
    head_learning_rate: float = 1e-3
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    precision: str = "auto"  # auto | fp32 | bf16
    seed: int = 13
    oracle_max_sentences: int = 3
    oracle_ratio: float | None = None  # instead of a count, for long extractive references
    # One oracle budget per training file ("3", "reference": as many sentences as the reference
    # has); empty: oracle_max_sentences / oracle_ratio for every file.
    oracle_budgets: list[str] = field(default_factory=list)
    # One selection budget per dev file ("3", "reference"); empty: dev_budget_sentences for all.
    dev_budgets: list[str] = field(default_factory=list)
    # "served": PTB-tokenized articles are turned into the prose the service receives and split
    # by the serving splitter (train as you serve); "as-given": split as given (PTB rule).
    text_form: str = "served"
    # Per training file, how many times each of its documents is seen per epoch (empty: once);
    # balances a small domain against a large one.
    oversample: list[int] = field(default_factory=list)
    label_smoothing: float = 0.0  # targets become 1 - s/2 and s/2 instead of 1 and 0
    max_train_windows: int = 1  # encoder windows per training document (cost grows with it)
    limit: int | None = None  # training documents used
    dev_limit: int | None = 200
    validate_every: int = 200  # optimizer steps
    save_every: int = 50  # optimizer steps between resume states
    dev_budget_sentences: int = 3
    cache_dir: str = "cache"
    command: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = asdict(self)
        data["model"] = self.model.to_dict()
        return data
