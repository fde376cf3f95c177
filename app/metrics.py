"""Prometheus metrics of one app instance, in its own registry so many apps can coexist in tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
)

from app.batcher import BatchStats
from model.types import ModelCard

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
_TOKEN_BUCKETS = (128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536)


class Metrics:
    """Counters and histograms the routes, the middleware and the batcher feed."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "bertsum_requests", "HTTP requests", ["endpoint", "method", "status"], registry=r
        )
        self.request_seconds = Histogram(
            "bertsum_request_duration_seconds",
            "HTTP request latency",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_size = Gauge("bertsum_queue_size", "documents waiting for a batch", registry=r)
        self.queue_seconds = Histogram(
            "bertsum_queue_wait_seconds",
            "time a document waited for its batch",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "bertsum_batch_size",
            "documents per forward pass",
            buckets=_BATCH_SIZE_BUCKETS,
            registry=r,
        )
        self.batch_tokens = Histogram(
            "bertsum_batch_padded_tokens",
            "padded tokens per forward pass",
            buckets=_TOKEN_BUCKETS,
            registry=r,
        )
        self.inference_seconds = Histogram(
            "bertsum_inference_duration_seconds",
            "time of one batch's forward pass",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.failed_batches = Counter("bertsum_failed_batches", "batches that raised", registry=r)
        self.documents = Counter("bertsum_documents", "documents summarized", registry=r)
        self.sentences = Counter(
            "bertsum_sentences", "sentences scored in summarized documents", registry=r
        )
        self.methods = Counter(
            "bertsum_documents_by_method",
            "summarized documents by what chose their sentences (model, textrank-fallback)",
            ["method"],
            registry=r,
        )
        self.ready = Gauge("bertsum_ready", "1 when the service is ready", registry=r)
        self.model = Info("bertsum_model", "the model being served", registry=r)

    def watch_queue(self, size: Callable[[], int]) -> None:
        """Read the queue size at scrape time, so the gauge is never stale."""
        self.queue_size.set_function(lambda: float(size()))

    def set_model(self, card: ModelCard) -> None:
        """Publish the identifying fields of the model card (those it has) as labels."""
        labels = {
            "id": card.id,
            "version": card.version,
            "base_encoder": card.base_encoder,
            "device": card.device,
            "dtype": card.dtype,
        }
        self.model.info({name: value for name, value in labels.items() if value is not None})

    def observe_batch(self, report: BatchStats) -> None:
        """Record one batch (the batcher calls this from the event loop)."""
        if report.failed:
            self.failed_batches.inc()
            return
        self.batch_size.observe(report.size)
        self.batch_tokens.observe(report.padded_cost)
        self.inference_seconds.observe(report.run_s)
        for waited in report.queued_s:
            self.queue_seconds.observe(waited)

    def observe_documents(self, documents: int, sentences: int) -> None:
        """Count summarized documents and their sentences."""
        self.documents.inc(documents)
        self.sentences.inc(sentences)

    def observe_methods(self, methods: Sequence[str]) -> None:
        """Count each summarized document under the method that chose its sentences."""
        for method in methods:
            self.methods.labels(method).inc()

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one HTTP request and its latency."""
        self.requests.labels(endpoint, method, str(status)).inc()
        self.request_seconds.labels(endpoint).observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text format."""
        return generate_latest(self.registry)
