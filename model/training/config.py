"""The settings of a training run, saved with it and checked when it resumes."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from model.errors import InputError
from model.network.encoder import ModelConfig

Precision = Literal["auto", "fp32", "bf16"]
TextForm = Literal["served", "as-given"]
CONFIG_FILE = "train_config.json"
# Settings a resumed run may change: they do not change what is trained.
RESUMABLE_CHANGES = frozenset({"command", "cache_dir"})


class ConfigError(InputError, ValueError):
    """Training settings that cannot be used; the message names the setting."""


@dataclass
class TrainConfig:
    """Everything that defines a training run; the same config resumes the same run.

    The docstring under each field is its help on the command line (`bertsum train`).
    """

    train_files: list[str]
    """Training JSONL file(s)."""
    out_dir: str
    """Run directory: state/, best/, curves."""
    model: ModelConfig = field(default_factory=ModelConfig)
    dev_files: list[str] = field(default_factory=list)
    """Dev JSONL file(s) for validation by ROUGE; each file's mean counts equally."""
    epochs: float = 1.0
    """Passes over the data."""
    batch_size: int = 4
    """Documents per micro-batch per process."""
    accumulation: int = 1
    """Micro-batches per optimizer step."""
    learning_rate: float = 5e-5
    """Encoder learning rate."""
    head_learning_rate: float = 1e-3
    """Head learning rate."""
    warmup_ratio: float = 0.1
    """Share of steps with linear warmup."""
    weight_decay: float = 0.01
    """AdamW weight decay."""
    max_grad_norm: float = 1.0
    """Gradients are clipped to this norm."""
    precision: Precision = "auto"
    """Autocast precision (auto: bf16 on a capable GPU, else fp32)."""
    seed: int = 13
    """Random seed."""
    oracle_max_sentences: int = 3
    """Oracle selects at most this many sentences (3 suits CNN/DM)."""
    oracle_ratio: float | None = None
    """Oracle selects at most this share of sentences instead (e.g. 0.4 for BBC)."""
    oracle_budgets: list[str] = field(default_factory=list)
    """Per training file, the oracle's budget: N sentences or 'reference' (its length)."""
    dev_budgets: list[str] = field(default_factory=list)
    """Per dev file, the summary length validated: N sentences or 'reference'."""
    text_form: TextForm = "served"
    """served: tokenized articles become the prose users send, split by the serving splitter."""
    oversample: list[int] = field(default_factory=list)
    """Per training file, times each of its documents is seen per epoch (balances domains)."""
    label_smoothing: float = 0.0
    """Pull the oracle's 0/1 targets toward 1/2 by this much (e.g. 0.1)."""
    soft_labels: float = 0.0
    """Mix into the oracle's 0/1 targets, by this weight (e.g. 0.3), each sentence's own
    ROUGE-1 F + ROUGE-2 F scaled so the document's best sentence has 1."""
    max_train_windows: int = 1
    """512-token windows per training document (cost grows with it)."""
    limit: int | None = None
    """Use only the first N documents of each training file."""
    dev_limit: int | None = 200
    """Dev documents validated on."""
    validate_every: int = 200
    """Optimizer steps between dev validations."""
    save_every: int = 50
    """Optimizer steps between resume states."""
    dev_budget_sentences: int = 3
    """Sentences of each dev summary scored in validation."""
    cache_dir: str = "cache"
    """Cache of oracle labels and frozen-encoder sentence vectors."""
    command: str = ""
    """The command line that started the run, for the model card."""

    def __post_init__(self) -> None:
        if not self.train_files:
            raise ConfigError("train_files: give at least one training file")
        for name in (
            "batch_size",
            "accumulation",
            "validate_every",
            "save_every",
            "dev_budget_sentences",
            "oracle_max_sentences",
            "max_train_windows",
            "limit",
            "dev_limit",
        ):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"{name}: must be at least 1, got {value}")
        for name in ("epochs", "learning_rate", "head_learning_rate", "max_grad_norm"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name}: must be positive, got {getattr(self, name)}")
        if not 0 <= self.warmup_ratio < 1:
            raise ConfigError(f"warmup_ratio: must be in [0, 1), got {self.warmup_ratio}")
        if self.weight_decay < 0:
            raise ConfigError(f"weight_decay: must not be negative, got {self.weight_decay}")
        if self.oracle_ratio is not None and not 0 < self.oracle_ratio <= 1:
            raise ConfigError(f"oracle_ratio: must be in (0, 1], got {self.oracle_ratio}")
        if not 0 <= self.label_smoothing < 1:
            raise ConfigError(f"label_smoothing: must be in [0, 1), got {self.label_smoothing}")
        if not 0 <= self.soft_labels < 1:
            raise ConfigError(f"soft_labels: must be in [0, 1), got {self.soft_labels}")
        if self.oversample and (
            len(self.oversample) != len(self.train_files) or min(self.oversample) < 1
        ):
            raise ConfigError("oversample: give one count of at least 1 per training file")
        for name, budgets, files in (
            ("oracle_budgets", self.oracle_budgets, self.train_files),
            ("dev_budgets", self.dev_budgets, self.dev_files),
        ):
            if budgets and len(budgets) != len(files):
                raise ConfigError(f"{name}: give one per file ({len(files)}), got {len(budgets)}")
            for budget in budgets:
                if budget != "reference" and not (budget.isdigit() and int(budget) > 0):
                    raise ConfigError(f"{name}: {budget!r} is neither a count nor 'reference'")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = asdict(self)
        data["model"] = self.model.to_dict()
        return data


def write_config(out_dir: Path, config: TrainConfig) -> None:
    """Record the run's settings in ``out_dir``, for a later resume to be checked against."""
    (out_dir / CONFIG_FILE).write_text(json.dumps(config.to_dict(), indent=2))


def check_resume(out_dir: Path, config: TrainConfig) -> None:
    """Refuse to resume the run in ``out_dir`` with other settings than it was started with."""
    path = out_dir / CONFIG_FILE
    if not path.is_file():
        return
    saved = _flat(json.loads(path.read_text()))
    current = _flat(json.loads(json.dumps(config.to_dict())))  # as JSON has it: tuples are lists
    changed = sorted(
        name
        for name in saved.keys() | current.keys()
        if name not in RESUMABLE_CHANGES and saved.get(name) != current.get(name)
    )
    if changed:
        differences = "; ".join(
            f"{name} was {saved.get(name)!r}, now {current.get(name)!r}" for name in changed
        )
        raise ConfigError(
            f"{out_dir} holds a run started with other settings, so it cannot resume with these "
            f"({differences}); use the same settings or another --out"
        )


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings as one level of dotted names (``model.head.kind``)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
