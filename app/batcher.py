"""Dynamic batching: queue costed items, group them by size, run each group in one worker thread."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")


class QueueFullError(Exception):
    """The queue cannot take the items now; retry after `retry_after_s` seconds."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"queue full, retry after {retry_after_s}s")
        self.retry_after_s = retry_after_s


class BatcherClosedError(Exception):
    """The batcher is not running (not started yet, or shutting down)."""


class BatchFailedError(Exception):
    """The batch this item was in failed; the cause is chained."""


@dataclass(frozen=True, slots=True)
class BatchedResult(Generic[ResultT]):
    """An item's result with the time it spent queued and in its batch's run."""

    value: ResultT
    queued_s: float
    run_s: float
    batch_size: int


@dataclass(frozen=True, slots=True)
class BatchStats:
    """What one batch did, for metrics."""

    size: int
    padded_cost: int
    queued_s: list[float]
    run_s: float
    failed: bool


@dataclass(eq=False, slots=True)
class _Entry(Generic[ItemT, ResultT]):
    item: ItemT
    cost: int
    future: asyncio.Future[BatchedResult[ResultT]]
    arrived: float = field(default_factory=time.monotonic)


class Batcher(Generic[ItemT, ResultT]):
    """Groups queued items into batches and calls `run_batch` on each, one batch at a time.

    `run_batch` gets a list of items and returns one result per item, in order. It runs in a
    single worker thread, so the event loop never blocks and there is one inference stream.
    A batch is closed when it holds `max_batch_size` items, when its padded cost (largest item
    cost x items) would pass `max_batch_cost`, or when its oldest item has waited `max_wait_s`.
    """

    def __init__(
        self,
        run_batch: Callable[[list[ItemT]], Sequence[ResultT]],
        *,
        max_batch_size: int,
        max_batch_cost: int,
        max_wait_s: float,
        max_queue: int,
        on_batch: Callable[[BatchStats], None] | None = None,
    ) -> None:
        if max_batch_size < 1 or max_batch_cost < 1 or max_queue < 1 or max_wait_s < 0:
            raise ValueError("batch limits and queue size must be positive")
        self._run_batch = run_batch
        self._max_batch_size = max_batch_size
        self._max_batch_cost = max_batch_cost
        self._max_wait_s = max_wait_s
        self._max_queue = max_queue
        self._on_batch = on_batch
        self._pending: list[_Entry[ItemT, ResultT]] = []  # arrival order
        self._wakeup = asyncio.Event()
        self._closing = False
        self._collector: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._seconds_per_item = 0.0  # moving average, for Retry-After

    @property
    def queue_size(self) -> int:
        """Items waiting for a batch (not counting the batch running now)."""
        return len(self._pending)

    @property
    def running(self) -> bool:
        """True while the batcher accepts items and its collector is alive."""
        return self._collector is not None and not self._collector.done() and not self._closing

    def start(self) -> None:
        """Start the collector task and the worker thread; call from the event loop."""
        if self._collector is not None:
            raise RuntimeError("batcher already started")
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference")
        self._collector = asyncio.get_running_loop().create_task(self._collect())

    def submit_many(
        self, items: Sequence[tuple[ItemT, int]]
    ) -> list[asyncio.Future[BatchedResult[ResultT]]]:
        """Queue `(item, cost)` pairs all together or not at all; await the returned futures.

        Cancelling a future before its batch runs drops the item from the batch.
        """
        if not self.running:
            raise BatcherClosedError("the batcher is not running")
        live = self._drop_cancelled()
        if live + len(items) > self._max_queue:
            raise QueueFullError(self._retry_after_s(live))
        loop = asyncio.get_running_loop()
        entries = [_Entry(item, cost, loop.create_future()) for item, cost in items]
        self._pending.extend(entries)
        self._wakeup.set()
        return [entry.future for entry in entries]

    async def submit(self, item: ItemT, cost: int) -> BatchedResult[ResultT]:
        """Queue one item and wait for its result."""
        (future,) = self.submit_many([(item, cost)])
        return await future

    async def close(self) -> None:
        """Refuse new items, run every queued one, then stop the worker thread."""
        self._closing = True
        self._wakeup.set()
        if self._collector is not None:
            await self._collector
        if self._executor is not None:
            self._executor.shutdown(wait=False)  # idle: the collector awaited its last batch

    def _drop_cancelled(self) -> int:
        # A client that went away cancels its future; its item must not cost a forward pass.
        self._pending = [entry for entry in self._pending if not entry.future.cancelled()]
        return len(self._pending)

    def _retry_after_s(self, queued: int) -> int:
        # Roughly how long the queue ahead needs, so clients do not come back too early.
        return max(1, min(60, math.ceil(queued * self._seconds_per_item)))

    async def _collect(self) -> None:
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                if not self._drop_cancelled():
                    if self._closing:
                        return
                    continue
                await self._wait_for_batch()
                batch = self._take_batch()
                if batch:
                    await self._run(batch)
                if self._pending or self._closing:
                    self._wakeup.set()
        finally:
            # Only reached with items left if the collector itself broke: fail them, never hang.
            for entry in self._pending:
                if not entry.future.done():
                    entry.future.set_exception(BatcherClosedError("the batcher stopped"))
            self._pending.clear()

    async def _wait_for_batch(self) -> None:
        deadline = self._pending[0].arrived + self._max_wait_s
        while not self._closing and not self._full():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), remaining)
            except TimeoutError:
                return
            self._drop_cancelled()
            if not self._pending:
                return

    def _full(self) -> bool:
        count = len(self._pending)
        if count >= self._max_batch_size:
            return True
        return max(entry.cost for entry in self._pending) * count >= self._max_batch_cost

    def _take_batch(self) -> list[_Entry[ItemT, ResultT]]:
        """The oldest item plus the items closest to it in cost, within the batch limits.

        Starting from the oldest keeps waits fair; neighbours in cost keep padding small.
        """
        if not self._drop_cancelled():
            return []
        oldest = self._pending[0]
        others = sorted(self._pending[1:], key=lambda entry: abs(entry.cost - oldest.cost))
        batch = [oldest]
        widest = oldest.cost
        for entry in others:
            if len(batch) == self._max_batch_size:
                break
            if max(widest, entry.cost) * (len(batch) + 1) <= self._max_batch_cost:
                batch.append(entry)
                widest = max(widest, entry.cost)
        chosen = set(map(id, batch))
        self._pending = [entry for entry in self._pending if id(entry) not in chosen]
        return batch

    async def _run(self, batch: list[_Entry[ItemT, ResultT]]) -> None:
        assert self._executor is not None
        started = time.monotonic()
        padded_cost = max(entry.cost for entry in batch) * len(batch)
        items = [entry.item for entry in batch]
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(self._executor, self._run_batch, items)
            if len(results) != len(batch):
                raise RuntimeError(f"run_batch returned {len(results)} results for {len(batch)}")
        except Exception as error:
            logger.exception("batch of %d items failed", len(batch))
            self._finish(batch, started, padded_cost, failed=True)
            for entry in batch:
                if not entry.future.done():
                    failure = BatchFailedError(f"batch failed: {type(error).__name__}")
                    failure.__cause__ = error
                    entry.future.set_exception(failure)
            return
        run_s = self._finish(batch, started, padded_cost, failed=False)
        for entry, value in zip(batch, results, strict=True):
            if not entry.future.done():  # cancelled while running: nobody is waiting
                queued_s = started - entry.arrived
                entry.future.set_result(BatchedResult(value, queued_s, run_s, len(batch)))

    def _finish(
        self, batch: list[_Entry[ItemT, ResultT]], started: float, padded_cost: int, failed: bool
    ) -> float:
        run_s = time.monotonic() - started
        self._seconds_per_item = 0.8 * self._seconds_per_item + 0.2 * run_s / len(batch)
        if self._on_batch is not None:
            queued = [started - entry.arrived for entry in batch]
            try:
                self._on_batch(BatchStats(len(batch), padded_cost, queued, run_s, failed))
            except Exception:  # a broken observer must not stop the collector
                logger.exception("batch observer failed")
        return run_s
