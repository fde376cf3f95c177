"""`bertsum train`: fine-tune the encoder and head on article/summary pairs into a checkpoint.

Each option is a field of `TrainConfig` (or of the model config inside it): its default, its
choices and its help come from the field.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from model.commands.dataclass_options import FieldOption, add_field_options, build
from model.training.config import ConfigError, TrainConfig

OPTION_GROUPS: dict[str, list[FieldOption]] = {
    "data": [
        FieldOption("--train", "train_files"),
        FieldOption("--dev", "dev_files"),
        FieldOption("--oracle-budget", "oracle_budgets"),
        FieldOption("--dev-budget", "dev_budgets"),
        FieldOption("--text-form", "text_form"),
        FieldOption("--label-smoothing", "label_smoothing"),
        FieldOption("--soft-labels", "soft_labels"),
        FieldOption("--oversample", "oversample"),
        FieldOption("--out", "out_dir"),
        FieldOption("--limit", "limit"),
        FieldOption("--dev-limit", "dev_limit"),
        FieldOption("--cache-dir", "cache_dir"),
        FieldOption("--oracle-max", "oracle_max_sentences"),
        FieldOption("--oracle-ratio", "oracle_ratio"),
    ],
    "network": [
        FieldOption("--encoder", "model.base_encoder"),
        FieldOption("--finetune", "model.finetune"),
        FieldOption("--top-layers", "model.top_layers"),
        FieldOption("--lora-rank", "model.lora_rank"),
        FieldOption("--head", "model.head.kind"),
        FieldOption("--head-layers", "model.head.layers"),
        FieldOption("--pooling", "model.head.pooling"),
        FieldOption("--head-feedforward", "model.head.feedforward"),
        FieldOption("--sentence-lengths", "model.head.sentence_lengths"),
        FieldOption("--layer-mix", "model.head.layer_mix"),
        FieldOption("--centrality", "model.head.centrality"),
        FieldOption("--budget-share", "model.head.budget_share"),
        FieldOption("--dropout", "model.head.dropout"),
        FieldOption("--max-sentence-tokens", "model.encoding.max_sentence_tokens"),
        FieldOption("--max-train-windows", "max_train_windows"),
    ],
    "optimisation": [
        FieldOption("--epochs", "epochs"),
        FieldOption("--batch-size", "batch_size"),
        FieldOption("--accumulation", "accumulation"),
        FieldOption("--lr", "learning_rate"),
        FieldOption("--head-lr", "head_learning_rate"),
        FieldOption("--warmup-ratio", "warmup_ratio"),
        FieldOption("--weight-decay", "weight_decay"),
        FieldOption("--precision", "precision"),
        FieldOption("--seed", "seed"),
        FieldOption("--validate-every", "validate_every"),
        FieldOption("--save-every", "save_every"),
    ],
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `bertsum train`, one per config field, in groups."""
    for title, options in OPTION_GROUPS.items():
        add_field_options(parser.add_argument_group(title), TrainConfig, options)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The training config the options describe; `ConfigError` names a setting out of range."""
    values = {
        option.path: getattr(args, option.path)
        for options in OPTION_GROUPS.values()
        for option in options
    }
    # One flag sets the LoRA rank; the scaling follows it, as in the LoRA paper's setups.
    values["model.lora_alpha"] = 2 * values["model.lora_rank"]
    values["command"] = "bertsum " + shlex.join(sys.argv[1:])
    try:
        config: TrainConfig = build(TrainConfig, values)
    except ConfigError:
        raise
    except ValueError as error:  # a nested config's own check (HeadConfig, ModelConfig)
        raise ConfigError(str(error)) from None
    return config


def run(args: argparse.Namespace) -> int:
    """Train and print where the best checkpoint is."""
    from model.training.loop import train  # torch loads only when there is work

    best = train(config_from_args(args))
    print(f"best checkpoint: {best}")
    return 0
