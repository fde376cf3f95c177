"""Benchmark the HTTP service against the same model in process, side by side.

Starts `bertsum serve` on loopback (or drives `--url`), sends real CNN/DM articles at
concurrency 1, 8 and 32, and prints documents/s and p50/p95/p99 latency next to the
throughput of `Summarizer.summarize_many` in this process on the same raw texts (so splitting,
tokenizing and selection count on both sides), measured just before each level; then the gain
of dynamic batching over batches of one on short (~128-token) and long (~512-token) documents.
The device is chosen as the service chooses it (CUDA when present), so the same command
reports GPU figures on a GPU machine.

    python scripts/bench_service.py [--checkpoint DIR] [--docs 64]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.testing import NotReadyError, free_port, wait_until_ready

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "cnndm" / "dev.jsonl"
# Long enough for a queue of long documents on a CPU; the benchmark measures, it does not refuse.
SERVICE_TIMEOUT_S = 900


@dataclass
class Run:
    """Documents done, wall time, and each request's latency."""

    documents: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    cpu_s: float = float("nan")  # CPU seconds of the process that did the work

    @property
    def cpu_per_doc(self) -> float:
        return self.cpu_s / self.documents if self.documents else float("nan")

    @property
    def docs_per_s(self) -> float:
        return self.documents / self.seconds

    def percentile_ms(self, p: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1] * 1000


def load_articles(path: Path, count: int, max_chars: int | None = None) -> list[str]:
    """The first `count` articles of a JSONL file with an `article` field."""
    texts = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                article = json.loads(line)["article"]
                texts.append(article[:max_chars] if max_chars else article)
            if len(texts) == count:
                break
    return texts


@contextlib.contextmanager
def running_service(
    checkpoint: str | None, env: dict[str, str], ready_timeout_s: float = 600
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`bertsum serve` on a free loopback port until the block ends (then SIGTERM)."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("bertsum")), "serve", "--port", str(port)]
    command += ["--host", "127.0.0.1"] + (["--checkpoint", checkpoint] if checkpoint else [])
    # No keys, whatever the caller's environment holds: these clients send none.
    settings = {
        "BERTSUM_LOG_LEVEL": "WARNING",
        "BERTSUM_REQUEST_TIMEOUT_S": "600",
        "BERTSUM_API_KEYS": "",
        **env,
    }
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, cwd=REPO, env={**os.environ, **settings}, stdout=log, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(url, ready_timeout_s, process)
            yield url, process
        except NotReadyError as error:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
            raise SystemExit(f"the service was not ready: {error}") from None
        except BaseException:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
            raise
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()


async def drive(url: str, texts: Sequence[str], concurrency: int) -> Run:
    """Send every text once, `concurrency` requests in flight, and time them."""
    pending = list(reversed(texts))
    run = Run(documents=0, seconds=0.0)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client_loop(client: httpx.AsyncClient) -> None:
        while pending:
            text = pending.pop()
            started = time.perf_counter()
            response = await client.post("/summarize", json={"text": text})
            if response.status_code == 200:
                run.latencies.append(time.perf_counter() - started)
                run.documents += 1
            else:
                run.failures += 1

    timeout = httpx.Timeout(SERVICE_TIMEOUT_S)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        run.seconds = time.perf_counter() - started
    return run


def bare_run(summarizer: Any, texts: Sequence[str], batch_size: int) -> Run:
    """Throughput of in-process `summarize_many` on the raw texts: splitting, tokenizing, the
    forward passes (sorted by length, `batch_size` a pass) and selection, as the service does."""
    started, cpu = time.perf_counter(), time.process_time()
    summarizer.summarize_many(texts, batch_size=batch_size)
    run = Run(documents=len(texts), seconds=time.perf_counter() - started)
    run.cpu_s = time.process_time() - cpu
    return run


def process_cpu_s(pid: int | None) -> float:
    """CPU seconds (user + system, every thread) a process has used; NaN where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):  # not Linux, or no process of ours to read (--url)
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive_timed(url: str, texts: Sequence[str], concurrency: int, pid: int | None) -> Run:
    """`drive`, with the CPU seconds the server process used meanwhile."""
    cpu = process_cpu_s(pid)
    run = await drive(url, texts, concurrency)
    run.cpu_s = process_cpu_s(pid) - cpu
    return run


def trimmed(summarizer: Any, texts: Sequence[str], tokens: int) -> list[str]:
    """Each text cut to the longest word prefix the model reads as at most `tokens` tokens."""
    result = []
    for text in texts:
        words = text.split()
        low, high = 1, len(words)
        while low < high:  # largest prefix within the token count
            middle = (low + high + 1) // 2
            if summarizer.prepare(" ".join(words[:middle])).num_tokens <= tokens:
                low = middle
            else:
                high = middle - 1
        result.append(" ".join(words[:low]))
    return result


def print_levels(
    url: str,
    texts: Sequence[str],
    levels: Sequence[int],
    bare: Callable[[], Run] | None,
    pid: int | None = None,
) -> None:
    """Each concurrency level right after a bare run, so both see the same load.

    On a shared machine the load can change within a run; CPU seconds per document (the
    server process's against this process's in the bare run) do not depend on it as much.
    """
    asyncio.run(drive(url, texts[: min(4, len(texts))], 4))  # warm the server's paths
    rows = []
    for concurrency in levels:
        reference = bare() if bare else None
        run = asyncio.run(drive_timed(url, texts, concurrency, pid))
        rows.append((concurrency, run, reference))
        print(f"  concurrency {concurrency}: {run.docs_per_s:.2f} docs/s", flush=True)
    columns = ("concurrency", "docs/s", "p50 ms", "p99 ms", "bare", "vs bare", "CPU s/doc")
    print("{:>11} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10} {:>10}".format(*columns, "bare CPU"))
    for concurrency, run, reference in rows:
        bare_rate = f"{reference.docs_per_s:8.2f}" if reference else "       -"
        ratio = f"{run.docs_per_s / reference.docs_per_s:7.0%}" if reference else "      -"
        bare_cpu = f"{reference.cpu_per_doc:10.2f}" if reference else "         -"
        print(
            f"{concurrency:>11} {run.docs_per_s:>8.2f} {run.percentile_ms(50):>8.0f} "
            f"{run.percentile_ms(99):>8.0f} {bare_rate} {ratio:>8} {run.cpu_per_doc:>10.2f} "
            f"{bare_cpu}" + (f"  ({run.failures} failed)" if run.failures else "")
        )


def batching_gain(args: argparse.Namespace, summarizer: Any, articles: Sequence[str]) -> None:
    """Service throughput with dynamic batching over batches of one, short and long documents."""
    env = {"BERTSUM_DEVICE": args.device}
    print(f"\ndynamic batching vs batch size 1, concurrency {args.gain_concurrency}:")
    print(f"{'documents':>22} {'batch 1':>9} {'batched':>9} {'gain':>6}")
    for label, tokens in (("short (~128 tokens)", 128), ("long (~512 tokens)", 512)):
        texts = trimmed(summarizer, articles, tokens)
        mean = statistics.mean(summarizer.prepare(t).num_tokens for t in texts)
        rates = []
        for max_docs in ("1", str(args.max_batch_documents)):
            with running_service(
                args.checkpoint, {**env, "BERTSUM_MAX_BATCH_DOCUMENTS": max_docs}
            ) as (url, _):
                asyncio.run(drive(url, texts[:4], 4))
                rates.append(asyncio.run(drive(url, texts, args.gain_concurrency)).docs_per_s)
        print(
            f"{label:>22} {rates[0]:>9.2f} {rates[1]:>9.2f} {rates[1] / rates[0]:>5.1f}x"
            f"  (docs/s; {mean:.0f} tokens on average)"
        )


def add_service_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared with the overload script: data, model, device, or a running service."""
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="JSONL with `article`")
    parser.add_argument("--checkpoint", help="checkpoint directory (default: the shipped one)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda")
    parser.add_argument("--url", help="drive this running service instead of starting one")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_service_arguments(parser)
    parser.add_argument("--docs", type=int, default=64, help="articles per measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--max-batch-documents", type=int, default=16, help="service batch cap")
    parser.add_argument("--gain-concurrency", type=int, default=32)
    parser.add_argument("--skip-gain", action="store_true", help="skip the batching-gain runs")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from model.inference import load_summarizer  # torch loads only when the benchmark runs

    articles = load_articles(args.data, args.docs)
    summarizer = load_summarizer(args.checkpoint, device=args.device)
    card = summarizer.card
    tokens = statistics.mean(summarizer.prepare(t).num_tokens for t in articles)
    print(
        f"model {card.id} {card.version} on {card.device} "
        f"({card.dtype}); {len(articles)} articles from {args.data.name}, "
        f"{tokens:.0f} tokens on average; torch threads {_torch_threads()}; "
        f"load average {_load()}"
    )
    env = {
        "BERTSUM_DEVICE": args.device,
        "BERTSUM_MAX_BATCH_DOCUMENTS": str(args.max_batch_documents),
    }
    with contextlib.ExitStack() as stack:
        url, pid = args.url, None
        if url is None:
            url, process = stack.enter_context(running_service(args.checkpoint, env))
            pid = process.pid
        max_docs = httpx.get(f"{url}/info", timeout=30).json()["settings"]["max_batch_documents"]
        summarizer.summarize_many(articles[:2])  # first-call allocations are not the model's speed
        print(f"bare side: summarize_many in this process, {max_docs} documents a pass")
        print_levels(
            url, articles, args.concurrency, lambda: bare_run(summarizer, articles, max_docs), pid
        )
        print(f"load average at the end {_load()}")
    if args.skip_gain or args.url:
        return 0
    batching_gain(args, summarizer, articles)
    return 0


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


if __name__ == "__main__":
    sys.exit(main())
