"""Tests for training: the loss falls, a killed run resumes exactly, two processes agree."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import load_file

from model.inference import load_summarizer
from model.network.encoder import ModelConfig
from model.training.config import TrainConfig
from model.training.loop import train
from tests.tiny_model import toy_rows, write_tiny_encoder

BERTSUM = [sys.executable, "-c", "from app.cli import main; main()"]


def tiny_train_args(encoder: Path, data: Path, out: Path, *extra: str) -> list[str]:
    """`bertsum train` options for a small, fast run on the tiny encoder."""
    return [
        "train", "--train", str(data), "--out", str(out), "--encoder", str(encoder),
        "--top-layers", "1", "--head", "transformer", "--max-sentence-tokens", "40",
        "--precision", "fp32", "--cache-dir", str(out.parent / "cache"), *extra,
    ]  # fmt: skip


def run_train(encoder: Path, data: Path, out: Path, *extra: str) -> None:
    """Run `bertsum train` on the tiny encoder to completion in a subprocess."""
    subprocess.run(
        [*BERTSUM, *tiny_train_args(encoder, data, out, *extra)], check=True, capture_output=True
    )


def final_weights(out: Path) -> dict[str, torch.Tensor]:
    """The trainable weights in the run's last resume state."""
    return load_file(str(out / "state" / "weights.safetensors"))


def test_a_few_steps_lower_the_loss(
    tiny_config: ModelConfig, toy_jsonl: Path, tmp_path: Path
) -> None:
    config = TrainConfig(
        train_files=[str(toy_jsonl)],
        dev_files=[str(toy_jsonl)],
        out_dir=str(tmp_path / "run"),
        model=tiny_config,
        epochs=12,
        batch_size=8,
        learning_rate=1e-3,
        head_learning_rate=3e-3,
        warmup_ratio=0.05,
        validate_every=1000,
        cache_dir=str(tmp_path / "cache"),
    )
    best = train(config)
    history = [
        json.loads(line) for line in (tmp_path / "run" / "curves.jsonl").read_text().splitlines()
    ]
    first, last = history[0]["loss"], sum(r["loss"] for r in history[-4:]) / 4
    assert last < 0.7 * first
    assert (tmp_path / "run" / "curves.png").stat().st_size > 0
    meta = json.loads((best / "meta.json").read_text())
    assert meta["dev_scores"]["rouge1"] > 0
    # Only the top layer trained, on lower states cached once: its weights are in the checkpoint.
    assert list((tmp_path / "cache").glob("frozen-*/tokens/*.safetensors"))
    stored = load_file(str(best / "model.safetensors"))
    assert any(name.startswith("encoder.encoder.layer.1.") for name in stored)
    assert not any(name.startswith("encoder.encoder.layer.0.") for name in stored)


def test_killed_run_resumes_to_the_same_weights(
    tiny_encoder_dir: Path, toy_jsonl: Path, tmp_path: Path
) -> None:
    options = ["--epochs", "10", "--batch-size", "2", "--save-every", "1"]
    reference = tmp_path / "uninterrupted"
    run_train(tiny_encoder_dir, toy_jsonl, reference, *options)

    resumed = tmp_path / "resumed"
    command = [*BERTSUM, *tiny_train_args(tiny_encoder_dir, toy_jsonl, resumed, *options)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    progress = resumed / "state" / "progress.json"
    deadline = time.monotonic() + 120
    killed_at = 0
    while time.monotonic() < deadline and process.poll() is None:
        try:
            killed_at = json.loads(progress.read_text())["step"]
        except (OSError, ValueError, KeyError):
            killed_at = 0
        if killed_at >= 5:
            os.kill(process.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert 5 <= killed_at < 80

    subprocess.run(command, check=True, capture_output=True)
    expected, actual = final_weights(reference), final_weights(resumed)
    assert expected.keys() == actual.keys()
    for name in expected:
        torch.testing.assert_close(actual[name], expected[name], rtol=0, atol=0)


def test_two_processes_match_one(tmp_path: Path, toy_jsonl: Path) -> None:
    encoder = write_tiny_encoder(tmp_path / "encoder", dropout=0.0)
    common = ["--epochs", "2", "--head", "linear", "--dropout", "0"]  # no randomness in the step
    single = tmp_path / "single"
    run_train(encoder, toy_jsonl, single, *common, "--batch-size", "4")
    ddp = tmp_path / "ddp"
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                "--master-port", str(29500 + os.getpid() % 1000), "-m", "app.cli"]  # fmt: skip
    result = subprocess.run(
        [*launcher, *tiny_train_args(encoder, toy_jsonl, ddp, *common, "--batch-size", "2")],
        capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    digests = {
        line.split("rank ")[1].split()[0]: line.split("sha256 ")[1].strip()
        for line in result.stderr.splitlines()
        if "final weights sha256" in line
    }
    assert set(digests) == {"0", "1"}
    assert digests["0"] == digests["1"], "the two ranks ended with different weights"
    expected, actual = final_weights(single), final_weights(ddp)
    for name in expected:
        # Only the order of floating-point reductions differs between one and two processes.
        torch.testing.assert_close(actual[name], expected[name], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["lora", "full"])
def test_other_finetune_modes_run(
    tiny_encoder_dir: Path, toy_jsonl: Path, tmp_path: Path, mode: str
) -> None:
    out = tmp_path / mode
    run_train(
        tiny_encoder_dir, toy_jsonl, out, "--finetune", mode, "--epochs", "1", "--lora-rank", "2"
    )
    stored = load_file(str(out / "best" / "model.safetensors"))
    if mode == "lora":
        assert all("lora_" in name or name.startswith("head.") for name in stored)
    else:
        assert any(name.startswith("encoder.embeddings") for name in stored)


@pytest.mark.parametrize(
    "head_option", ["--sentence-lengths", "--layer-mix", "--layer-mix --soft-labels 0.3"]
)
def test_frozen_encoder_heads_train_from_cached_vectors(
    tiny_encoder_dir: Path, toy_jsonl: Path, tmp_path: Path, head_option: str
) -> None:
    out = tmp_path / "frozen"
    run_train(tiny_encoder_dir, toy_jsonl, out, "--top-layers", "0", "--epochs", "2",
              "--dev", str(toy_jsonl), *head_option.split())  # fmt: skip
    assert list((tmp_path / "cache").glob("features-*/*.safetensors"))
    stored = load_file(str(out / "best" / "model.safetensors"))
    assert all(name.startswith("head.") for name in stored)
    assert any("lengths" in n or "layer_weights" in n for n in stored)
    loaded = load_summarizer(out / "best", device="cpu")
    summary = loaded.summarize(toy_rows(1)[0]["article"])
    assert summary.num_document_sentences == len(summary.scores) == 5  # the toy rows' sentences


def test_label_smoothing_pulls_targets_toward_one_half() -> None:
    from model.training.loop import smoothed

    targets = torch.tensor([[1.0, 0.0]])
    assert torch.equal(smoothed(targets, 0.0), targets)
    assert torch.allclose(smoothed(targets, 0.1), torch.tensor([[0.95, 0.05]]))


def test_soft_labels_mix_into_the_oracle_targets() -> None:
    from model.training.loop import with_soft_targets

    targets = torch.tensor([[1.0, 0.0, 0.0]])
    assert torch.equal(with_soft_targets(targets, [None], 0.0), targets)
    mixed = with_soft_targets(targets, [[1.0, 0.5]], 0.2)  # the padded third sentence gets 0
    assert torch.allclose(mixed, torch.tensor([[1.0, 0.1, 0.0]]))
    with pytest.raises(ValueError, match="soft labels"):
        with_soft_targets(targets, [None], 0.2)


def test_oversampling_repeats_a_files_documents_in_every_epoch() -> None:
    from model.training.loop import epoch_pool

    items = [SimpleNamespace(source=0), SimpleNamespace(source=1), SimpleNamespace(source=1)]
    assert epoch_pool(items, []) == [0, 1, 2]  # type: ignore[arg-type]
    assert epoch_pool(items, [1, 3]) == [0, 1, 1, 1, 2, 2, 2]  # type: ignore[arg-type]
