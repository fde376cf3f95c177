"""Overload the service with five times more concurrent clients than its queue holds.

Every request must end with 200 or 429 (with Retry-After) within its timeout, never a 5xx;
/ready must stay 200 throughout, and the server's memory must stay bounded. Prints the counts
and exits 1 if any of that fails.

    python scripts/overload_service.py [--checkpoint DIR] [--queue-size 16]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# The sibling benchmark script (beside this one, so on the path of a script run) owns starting a
# service and reading the articles.
from bench_service import add_service_arguments, load_articles, running_service


@dataclass
class Tally:
    """What the clients and the watcher saw."""

    statuses: collections.Counter[str] = field(default_factory=collections.Counter)
    missing_retry_after: int = 0
    not_ready: int = 0
    ready_checks: int = 0
    rss_mb: list[float] = field(default_factory=list)


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def client(
    http: httpx.AsyncClient, texts: Sequence[str], start: int, requests: int, tally: Tally
) -> None:
    """Send `requests` documents back to back; a 429 is counted and the next one sent at once."""
    for offset in range(requests):
        text = texts[(start + offset) % len(texts)]
        try:
            response = await http.post("/summarize", json={"text": text})
        except httpx.TimeoutException:
            tally.statuses["client timeout"] += 1
            continue
        except httpx.TransportError as error:
            tally.statuses[f"transport error ({type(error).__name__})"] += 1
            continue
        tally.statuses[str(response.status_code)] += 1
        if response.status_code == 429 and "retry-after" not in response.headers:
            tally.missing_retry_after += 1


async def watch(url: str, pid: int | None, tally: Tally, stop: asyncio.Event) -> None:
    """Check readiness and sample the server's memory while the clients run."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        while not stop.is_set():
            tally.ready_checks += 1
            try:
                if (await http.get("/ready")).status_code != 200:
                    tally.not_ready += 1
            except httpx.TransportError:
                tally.not_ready += 1
            if pid is not None:
                tally.rss_mb.append(rss_mb(pid))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.25)


async def overload(
    url: str, pid: int | None, texts: Sequence[str], clients: int, requests: int, timeout_s: float
) -> Tally:
    tally = Tally()
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout_s) as http:
        watcher = asyncio.create_task(watch(url, pid, tally, stop))
        await asyncio.gather(*(client(http, texts, i, requests, tally) for i in range(clients)))
        stop.set()
        await watcher
    return tally


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_service_arguments(parser)
    parser.add_argument("--queue-size", type=int, default=16, help="the service's queue size")
    parser.add_argument("--factor", type=int, default=5, help="clients per queue place")
    parser.add_argument("--requests", type=int, default=4, help="requests per client")
    parser.add_argument("--max-chars", type=int, default=3000, help="cut articles to this")
    parser.add_argument("--timeout", type=float, default=120, help="request timeout, seconds")
    parser.add_argument("--max-rss-growth-mb", type=float, default=1024)
    parser.add_argument("--pid", type=int, help="with --url: the server's pid, for memory")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    texts = load_articles(args.data, 64, args.max_chars)
    clients = args.factor * args.queue_size
    env = {
        "BERTSUM_DEVICE": args.device,
        "BERTSUM_QUEUE_SIZE": str(args.queue_size),
        "BERTSUM_REQUEST_TIMEOUT_S": str(args.timeout),
    }
    with contextlib.ExitStack() as stack:
        if args.url:
            url, pid = args.url, args.pid
        else:
            url, process = stack.enter_context(running_service(args.checkpoint, env))
            pid = process.pid
        for text in texts[:4]:  # warm up, so the baseline memory includes the model's buffers
            httpx.post(f"{url}/summarize", json={"text": text}, timeout=args.timeout)
        baseline = rss_mb(pid) if pid is not None else float("nan")
        started = time.perf_counter()
        # The client timeout is past the server's: a 504 would show as a status, not a hang.
        tally = asyncio.run(overload(url, pid, texts, clients, args.requests, args.timeout + 30))
        seconds = time.perf_counter() - started
        ready_after = httpx.get(f"{url}/ready", timeout=30).status_code
    return report(args, clients, seconds, tally, baseline, ready_after)


def report(
    args: argparse.Namespace,
    clients: int,
    seconds: float,
    tally: Tally,
    baseline_mb: float,
    ready_after: int,
) -> int:
    total = sum(tally.statuses.values())
    others = {k: v for k, v in tally.statuses.items() if k not in ("200", "429")}
    peak = max(tally.rss_mb, default=float("nan"))
    print(
        f"{clients} clients x {args.requests} requests against a queue of {args.queue_size}, "
        f"{seconds:.1f}s"
    )
    print(f"  200: {tally.statuses['200']}  429: {tally.statuses['429']}  other: {others or 0}")
    print(f"  429 without Retry-After: {tally.missing_retry_after}")
    print(
        f"  /ready: {tally.ready_checks - tally.not_ready}/{tally.ready_checks} checks 200 "
        f"during the run, {ready_after} after"
    )
    print(f"  server RSS: {baseline_mb:.0f} MB after warm-up, {peak:.0f} MB at most during")
    problems = []
    if others or total != clients * args.requests:
        problems.append("requests ended with something other than 200 or 429")
    if tally.missing_retry_after:
        problems.append("429 without Retry-After")
    if tally.not_ready or ready_after != 200:
        problems.append("the service stopped being ready")
    if peak - baseline_mb > args.max_rss_growth_mb:
        problems.append(f"memory grew by more than {args.max_rss_growth_mb:.0f} MB")
    if not tally.statuses["429"]:
        problems.append("no 429 at all: the queue was never full (more clients or longer texts)")
    print("FAIL: " + "; ".join(problems) if problems else "OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
