"""The summarization service: loads the model, prepares documents, batches them, picks sentences."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import anyio.to_thread

from app.batcher import (
    BatchedResult,
    Batcher,
    BatcherClosedError,
    BatchFailedError,
    QueueFullError,
)
from app.errors import (
    InferenceError,
    InvalidRequestError,
    NotReadyError,
    OverloadedError,
    RequestTimeoutError,
)
from app.metrics import Metrics
from app.predictor import Predictor, PredictorFactory
from app.settings import Settings
from model.fallback import choose_method, fallback_scores, said_by_fallback
from model.selection import summarize_scores
from model.types import (
    FALLBACK,
    MODEL,
    Budget,
    Method,
    ModelCard,
    PreparedDocument,
    Sentence,
    Summary,
)

logger = logging.getLogger(__name__)


class State(StrEnum):
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"
    STOPPING = "stopping"


@dataclass(frozen=True, slots=True)
class Job:
    """One document to summarize; `field` names its text in error messages."""

    text: str
    budget: Budget
    trigram_blocking: bool
    field: str = "text"


@dataclass(frozen=True, slots=True)
class Result:
    """One document's summary and where its time went."""

    summary: Summary
    prepare_s: float
    queued_s: float
    inference_s: float
    total_s: float
    document_sentences: Sequence[Sentence] = ()


class SummarizerService:
    """Owns the predictor and the batcher; the routes call `summarize`."""

    def __init__(self, settings: Settings, factory: PredictorFactory, metrics: Metrics) -> None:
        self._settings = settings
        self._factory = factory
        self._metrics = metrics
        self._predictor: Predictor | None = None
        self._batcher: Batcher[PreparedDocument, list[float]] | None = None
        self._preparing: anyio.CapacityLimiter | None = None
        self.state = State.LOADING

    @property
    def ready(self) -> bool:
        """Loaded, warmed up, and the batcher is taking work."""
        return self.state is State.READY and self._batcher is not None and self._batcher.running

    @property
    def queue_size(self) -> int:
        """Documents waiting for a batch."""
        return self._batcher.queue_size if self._batcher is not None else 0

    @property
    def model_card(self) -> ModelCard:
        """The loaded model's card; `NotReadyError` until loaded."""
        if self._predictor is None:  # loaded is enough: requests finishing while stopping need it
            raise NotReadyError(_NOT_READY_MESSAGES.get(self.state, "the service is not ready"))
        return self._predictor.card

    async def start(self) -> None:
        """Load and warm up the model off the event loop, then start batching."""
        # Splitting is pure Python: each preparing thread holds the GIL that the inference
        # thread needs between its ops, so few threads keep the forward pass fed best.
        self._preparing = anyio.CapacityLimiter(self._settings.prepare_threads)
        try:
            # Loading weights takes seconds: threads keep /health answering meanwhile.
            predictor = await anyio.to_thread.run_sync(self._factory, self._settings)
            await anyio.to_thread.run_sync(predictor.warmup)
        except Exception:
            logger.exception("the model failed to load")
            self.state = State.FAILED
            return
        if self.state is not State.LOADING:  # shut down while loading
            return
        self._predictor = predictor
        self._batcher = Batcher(
            predictor.score,
            max_batch_size=self._settings.max_batch_documents,
            max_batch_cost=self._settings.max_batch_tokens,
            max_wait_s=self._settings.max_wait_ms / 1000,
            max_queue=self._settings.queue_size,
            on_batch=self._metrics.observe_batch,
        )
        self._batcher.start()
        self._metrics.watch_queue(lambda: self.queue_size)
        self._metrics.set_model(predictor.card)
        self.state = State.READY
        self._metrics.ready.set(1)
        logger.info("ready: model %s", predictor.card.id)

    async def stop(self) -> None:
        """Refuse new work and finish what the batcher holds."""
        self.state = State.STOPPING
        self._metrics.ready.set(0)
        if self._batcher is not None:
            await self._batcher.close()

    async def summarize(self, jobs: Sequence[Job]) -> list[Result]:
        """Summarize the documents together; raises a `ServiceError` the routes turn into HTTP."""
        predictor = self.require_ready()
        for job in jobs:
            self._check_text(job)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._settings.request_timeout_s):
                prepared = await anyio.to_thread.run_sync(
                    self._prepare_all, predictor, jobs, limiter=self._preparing
                )
                methods = [self._method(document) for document, _ in prepared]
                scored = await self._score_by_method([d for d, _ in prepared], methods)
        except TimeoutError:
            raise RequestTimeoutError(
                f"no result within {self._settings.request_timeout_s:g}s; try again later"
            ) from None
        results = []
        for job, (document, prepare_s), batched, method in zip(
            jobs, prepared, scored, methods, strict=True
        ):
            # Selection is a few list passes per document: cheaper inline than a thread hop.
            summary = summarize_scores(
                document.sentences, batched.value, document.budget, job.trigram_blocking
            )
            if method == FALLBACK:
                summary = said_by_fallback(summary, document.unknown_ratio)
            total_s = time.perf_counter() - started
            results.append(
                Result(
                    summary,
                    prepare_s,
                    batched.queued_s,
                    batched.run_s,
                    total_s,
                    document.sentences,
                )
            )
        self._metrics.observe_documents(
            len(results), sum(r.summary.num_document_sentences for r in results)
        )
        self._metrics.observe_methods(methods)
        return results

    def require_ready(self) -> Predictor:
        """The predictor, or `NotReadyError` saying why there is none to use."""
        if not self.ready or self._predictor is None:
            raise NotReadyError(_NOT_READY_MESSAGES.get(self.state, "the service is not ready"))
        return self._predictor

    def _check_text(self, job: Job) -> None:
        if not job.text.strip():
            raise InvalidRequestError(f"{job.field}: is empty")
        if len(job.text) > self._settings.max_text_chars:
            raise InvalidRequestError(
                f"{job.field}: longer than {self._settings.max_text_chars} characters"
            )

    @staticmethod
    def _prepare_all(
        predictor: Predictor, jobs: Sequence[Job]
    ) -> list[tuple[PreparedDocument, float]]:
        prepared = []
        for job in jobs:
            started = time.perf_counter()
            try:
                document = predictor.prepare(job.text, job.budget)
            except ValueError:
                raise InvalidRequestError(f"{job.field}: no sentences found") from None
            prepared.append((document, time.perf_counter() - started))
        return prepared

    def _method(self, document: PreparedDocument) -> Method:
        return choose_method(document.unknown_ratio, self._settings.max_unknown_ratio)

    async def _score_by_method(
        self, documents: list[PreparedDocument], methods: Sequence[Method]
    ) -> list[BatchedResult[list[float]]]:
        """The model's scores for the documents it can read, the fallback's for the others."""
        pairs = list(zip(documents, methods, strict=True))
        by_model = iter(await self._score([d for d, m in pairs if m == MODEL]))
        others = [d for d, m in pairs if m == FALLBACK]
        # Most requests have none: skip the thread hop, which contends with the inference thread.
        fallback = await anyio.to_thread.run_sync(rank_without_model, others) if others else []
        by_fallback = iter(fallback)
        return [next(by_model) if m == MODEL else next(by_fallback) for m in methods]

    async def _score(self, documents: list[PreparedDocument]) -> list[BatchedResult[list[float]]]:
        if self._batcher is None:
            raise NotReadyError("the service is not ready")
        try:
            futures = self._batcher.submit_many([(doc, doc.num_tokens) for doc in documents])
        except QueueFullError as error:
            raise OverloadedError(
                "too many documents waiting; retry later", error.retry_after_s
            ) from None
        except BatcherClosedError:
            raise NotReadyError("the service is shutting down") from None
        # return_exceptions: one failed document must not leave its siblings' errors unread.
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
        results = []
        for outcome in outcomes:
            if isinstance(outcome, BatchFailedError):
                raise InferenceError("inference failed for this request's batch; retry")
            if isinstance(outcome, BatcherClosedError):
                raise NotReadyError("the service is shutting down")
            if isinstance(outcome, BaseException):
                raise outcome
            results.append(outcome)
        return results


_NOT_READY_MESSAGES = {
    State.LOADING: "the model is loading",
    State.FAILED: "the model failed to load; see the server log",
    State.STOPPING: "the service is shutting down",
}


def rank_without_model(documents: Sequence[PreparedDocument]) -> list[BatchedResult[list[float]]]:
    """Fallback scores of each document, timed as its 'inference' (it never queues)."""
    results = []
    for document in documents:
        started = time.perf_counter()
        scores = fallback_scores([s.text for s in document.sentences])
        results.append(BatchedResult(scores, 0.0, time.perf_counter() - started, 1))
    return results
