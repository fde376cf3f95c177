"""The batcher on its own: limits, grouping, waits, refusals, cancellation, failures, draining."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from app.batcher import (
    BatchedResult,
    Batcher,
    BatcherClosedError,
    BatchFailedError,
    BatchStats,
    QueueFullError,
)

pytestmark = pytest.mark.anyio


class Recorder:
    """A run_batch that records its batches and thread, doubles items, and can be held shut."""

    def __init__(self, hold: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.threads: set[str] = set()
        self.gate = threading.Event()
        if not hold:
            self.gate.set()

    def __call__(self, items: list[int]) -> list[int]:
        self.threads.add(threading.current_thread().name)
        self.gate.wait(timeout=5)
        self.batches.append(list(items))
        if -1 in items:
            raise RuntimeError("bad item")
        return [item * 2 for item in items]


def make(recorder: Recorder, **limits: float) -> Batcher[int, int]:
    options = {"max_batch_size": 4, "max_batch_cost": 10_000, "max_wait_s": 0.0, "max_queue": 64}
    options.update(limits)
    batcher: Batcher[int, int] = Batcher(
        recorder,
        max_batch_size=int(options["max_batch_size"]),
        max_batch_cost=int(options["max_batch_cost"]),
        max_wait_s=options["max_wait_s"],
        max_queue=int(options["max_queue"]),
    )
    batcher.start()
    return batcher


async def occupy_worker(
    batcher: Batcher[int, int], recorder: Recorder
) -> asyncio.Future[BatchedResult[int]]:
    """Send one item and wait until the (held) worker has it, so the next items queue up."""
    task = asyncio.ensure_future(batcher.submit(0, 1))
    while not recorder.threads:
        await asyncio.sleep(0.001)
    return task


async def test_results_come_back_to_their_callers_in_one_worker_thread() -> None:
    recorder = Recorder()
    batcher = make(recorder)
    results = await asyncio.gather(*(batcher.submit(i, 10) for i in range(10)))
    assert [r.value for r in results] == [i * 2 for i in range(10)]
    assert all(r.queued_s >= 0 and r.run_s >= 0 for r in results)
    assert len(recorder.threads) == 1
    await batcher.close()


async def test_batches_are_capped_by_count() -> None:
    recorder = Recorder(hold=True)
    batcher = make(recorder, max_batch_size=3)
    first = await occupy_worker(batcher, recorder)
    rest = [asyncio.ensure_future(batcher.submit(i, 10)) for i in range(1, 8)]
    await asyncio.sleep(0.01)
    recorder.gate.set()
    results = await asyncio.gather(first, *rest)
    assert [len(b) for b in recorder.batches] == [1, 3, 3, 1]
    assert max(r.batch_size for r in results) == 3
    await batcher.close()


async def test_batches_are_capped_by_padded_tokens_but_a_huge_item_still_runs() -> None:
    recorder = Recorder(hold=True)
    batcher = make(recorder, max_batch_size=100, max_batch_cost=300)
    first = await occupy_worker(batcher, recorder)
    # Padded cost is the longest item times the count: 100-token items go 3 to a batch.
    small = [asyncio.ensure_future(batcher.submit(i, 100)) for i in range(1, 7)]
    huge = asyncio.ensure_future(batcher.submit(99, 1000))
    await asyncio.sleep(0.01)
    recorder.gate.set()
    await asyncio.gather(first, *small, huge)
    assert sorted(len(b) for b in recorder.batches[1:]) == [1, 3, 3]
    assert [99] in recorder.batches
    await batcher.close()


async def test_similar_lengths_are_grouped_to_cut_padding() -> None:
    recorder = Recorder(hold=True)
    batcher = make(recorder, max_batch_size=3)
    first = await occupy_worker(batcher, recorder)
    costs = {1: 10, 2: 500, 3: 12, 4: 480, 5: 11, 6: 490}
    tasks = [asyncio.ensure_future(batcher.submit(item, cost)) for item, cost in costs.items()]
    await asyncio.sleep(0.01)
    recorder.gate.set()
    await asyncio.gather(first, *tasks)
    assert [sorted(b) for b in recorder.batches[1:]] == [[1, 3, 5], [2, 4, 6]]
    await batcher.close()


async def test_a_lone_item_waits_at_most_max_wait() -> None:
    batcher = make(Recorder(), max_wait_s=0.1)
    started = time.monotonic()
    result = await batcher.submit(1, 10)
    waited = time.monotonic() - started
    assert 0.09 <= waited < 1.0
    assert result.queued_s >= 0.09
    await batcher.close()


async def test_a_full_batch_does_not_wait() -> None:
    batcher = make(Recorder(), max_batch_size=2, max_wait_s=5.0)
    started = time.monotonic()
    await asyncio.gather(batcher.submit(1, 10), batcher.submit(2, 10))
    assert time.monotonic() - started < 1.0
    await batcher.close()


async def test_a_full_queue_refuses_at_once_and_all_or_nothing() -> None:
    recorder = Recorder(hold=True)
    batcher = make(recorder, max_queue=3)
    first = await occupy_worker(batcher, recorder)
    queued = batcher.submit_many([(1, 10), (2, 10)])
    with pytest.raises(QueueFullError) as refused:
        batcher.submit_many([(3, 10), (4, 10)])  # only one place left: neither goes in
    assert refused.value.retry_after_s >= 1
    assert batcher.queue_size == 2
    more = batcher.submit_many([(5, 10)])
    recorder.gate.set()
    await asyncio.gather(first, *queued, *more)
    assert sorted(i for b in recorder.batches for i in b) == [0, 1, 2, 5]
    await batcher.close()


async def test_cancelled_items_never_reach_the_model() -> None:
    recorder = Recorder(hold=True)
    batcher = make(recorder)
    first = await occupy_worker(batcher, recorder)
    kept = asyncio.ensure_future(batcher.submit(1, 10))
    gone = asyncio.ensure_future(batcher.submit(2, 10))
    await asyncio.sleep(0.01)
    gone.cancel()  # the client went away
    await asyncio.sleep(0.01)
    recorder.gate.set()
    await asyncio.gather(first, kept)
    assert all(2 not in b for b in recorder.batches)
    await batcher.close()


async def test_a_failing_batch_fails_only_its_own_items() -> None:
    recorder = Recorder(hold=True)
    batcher = make(recorder, max_batch_size=1)
    first = await occupy_worker(batcher, recorder)
    bad = asyncio.ensure_future(batcher.submit(-1, 10))
    good = asyncio.ensure_future(batcher.submit(3, 10))
    recorder.gate.set()
    await first
    with pytest.raises(BatchFailedError):
        await bad
    assert (await good).value == 6
    assert batcher.running
    assert (await batcher.submit(4, 10)).value == 8  # still serving
    await batcher.close()


async def test_close_drains_the_queue_then_refuses() -> None:
    recorder = Recorder(hold=True)
    batcher = make(recorder, max_batch_size=2)
    first = await occupy_worker(batcher, recorder)
    queued = [asyncio.ensure_future(batcher.submit(i, 10)) for i in range(1, 6)]
    await asyncio.sleep(0.01)
    closing = asyncio.ensure_future(batcher.close())
    await asyncio.sleep(0.01)
    with pytest.raises(BatcherClosedError):
        batcher.submit_many([(9, 10)])
    recorder.gate.set()
    await closing
    assert [r.value for r in await asyncio.gather(first, *queued)] == [0, 2, 4, 6, 8, 10]
    assert not batcher.running


async def test_close_does_not_wait_for_a_batch_to_fill() -> None:
    batcher = make(Recorder(), max_batch_size=2, max_wait_s=10.0)
    lone = asyncio.ensure_future(batcher.submit(1, 10))
    await asyncio.sleep(0.01)
    started = time.monotonic()
    await batcher.close()
    assert (await lone).value == 2
    assert time.monotonic() - started < 1.0


async def test_reports_each_batch() -> None:
    reports: list[BatchStats] = []
    batcher: Batcher[int, int] = Batcher(
        Recorder(),
        max_batch_size=8,
        max_batch_cost=10_000,
        max_wait_s=0.05,
        max_queue=8,
        on_batch=reports.append,
    )
    batcher.start()
    await asyncio.gather(batcher.submit(1, 30), batcher.submit(2, 50))
    await batcher.close()
    assert len(reports) == 1
    assert reports[0].size == 2 and reports[0].padded_cost == 100 and not reports[0].failed
    assert len(reports[0].queued_s) == 2
