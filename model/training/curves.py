"""The training log as JSON lines and a PNG plot of loss and dev ROUGE."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def write_curves(out: Path, history: Sequence[dict[str, Any]]) -> None:
    """The training log as JSON lines and a PNG plot of loss and dev ROUGE."""
    with (out / "curves.jsonl").open("w") as log:
        for record in history:
            log.write(json.dumps(record) + "\n")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (loss_axis, rouge_axis) = plt.subplots(1, 2, figsize=(10, 4))
    steps = [r["step"] for r in history]
    losses = [r["loss"] for r in history]
    window = max(1, len(losses) // 50)
    smoothed = [
        sum(losses[max(0, i - window + 1) : i + 1]) / len(losses[max(0, i - window + 1) : i + 1])
        for i in range(len(losses))
    ]
    loss_axis.plot(steps, smoothed)
    loss_axis.set(title="training loss (smoothed)", xlabel="step")
    dev = [r for r in history if "dev_rouge1" in r]
    rouge_axis.plot(
        [r["step"] for r in dev], [r["dev_rouge1"] for r in dev], marker="o", label="R-1"
    )
    rouge_axis.plot(
        [r["step"] for r in dev], [r["dev_rouge2"] for r in dev], marker="o", label="R-2"
    )
    rouge_axis.set(title="dev ROUGE (top 3, trigram blocking)", xlabel="step")
    rouge_axis.legend()
    figure.tight_layout()
    figure.savefig(out / "curves.png", dpi=100)
    plt.close(figure)
