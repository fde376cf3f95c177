"""Benchmark the HTTP service against a bare forward pass of the same model, side by side.

Starts `bertsum serve` on loopback (or drives `--url`), sends real CNN/DM articles at
concurrency 1, 8 and 32, and prints documents/s and p50/p95/p99 latency next to the
throughput of the same model called in-process on the same documents; then the gain of dynamic
batching over batches of one on short (~128-token) and long (~512-token) documents.
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
from collections.abc import Iterator, Sequence
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


def batches_like_the_service(
    costs: Sequence[int], max_documents: int, max_tokens: int
) -> list[list[int]]:
    """Indices sorted by cost, cut into batches under the service's count and padded-token caps.

    This is the best case for the bare model: the service cannot sort a whole set in advance.
    """
    batches: list[list[int]] = []
    for index in sorted(range(len(costs)), key=lambda i: costs[i]):
        current = batches[-1] if batches else None
        # Sorted ascending, so this item is the widest of its batch.
        if (
            current
            and len(current) < max_documents
            and costs[index] * (len(current) + 1) <= max_tokens
        ):
            current.append(index)
        else:
            batches.append([index])
    return batches


def bare_forward(summarizer: Any, prepared: Sequence[Any], batches: list[list[int]]) -> Run:
    """Throughput of `score` alone, on documents split and tokenized beforehand."""
    summarizer.score(prepared[:1])  # first-call allocations are not the model's speed
    started = time.perf_counter()
    for batch in batches:
        summarizer.score([prepared[i] for i in batch])
    return Run(documents=len(prepared), seconds=time.perf_counter() - started)


def best_bare(summarizer: Any, texts: Sequence[str], max_docs: int, max_tokens: int) -> Run:
    """The faster of one document per pass and the service's batch caps, printed both."""
    prepared = [summarizer.prepare(text) for text in texts]
    costs = [d.num_tokens for d in prepared]
    single = bare_forward(summarizer, prepared, [[i] for i in range(len(prepared))])
    batched = bare_forward(
        summarizer, prepared, batches_like_the_service(costs, max_docs, max_tokens)
    )
    print(
        f"bare forward pass in process: {single.docs_per_s:.2f} docs/s one at a time, "
        f"{batched.docs_per_s:.2f} docs/s in batches of <= {max_docs} documents and <= "
        f"{max_tokens} padded tokens sorted by length; the service is compared with the faster"
    )
    return max(single, batched, key=lambda run: run.docs_per_s)


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


def print_levels(url: str, texts: Sequence[str], levels: Sequence[int], bare: Run | None) -> None:
    asyncio.run(drive(url, texts[: min(4, len(texts))], 4))  # warm the server's paths
    columns = ("concurrency", "docs/s", "p50 ms", "p95 ms", "p99 ms", "vs bare")
    print("{:>11} {:>8} {:>9} {:>9} {:>9} {:>8}".format(*columns))
    for concurrency in levels:
        run = asyncio.run(drive(url, texts, concurrency))
        ratio = f"{run.docs_per_s / bare.docs_per_s:7.0%}" if bare else "      -"
        print(
            f"{concurrency:>11} {run.docs_per_s:>8.2f} {run.percentile_ms(50):>9.0f} "
            f"{run.percentile_ms(95):>9.0f} {run.percentile_ms(99):>9.0f} {ratio:>8}"
            + (f"  ({run.failures} failed)" if run.failures else "")
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
        f"{tokens:.0f} tokens on average; torch threads {_torch_threads()}"
    )
    env = {
        "BERTSUM_DEVICE": args.device,
        "BERTSUM_MAX_BATCH_DOCUMENTS": str(args.max_batch_documents),
    }
    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(running_service(args.checkpoint, env))[0]
        settings = httpx.get(f"{url}/info", timeout=30).json()["settings"]
        max_docs, max_tokens = settings["max_batch_documents"], settings["max_batch_tokens"]
        bare = best_bare(summarizer, articles, max_docs, max_tokens)
        print_levels(url, articles, args.concurrency, bare)
    if args.skip_gain or args.url:
        return 0
    batching_gain(args, summarizer, articles)
    return 0


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


if __name__ == "__main__":
    sys.exit(main())
