"""HTTP endpoints: summarize one document or a batch, health, readiness, metrics and model info."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, HTTPException, Request, Response
from fastapi.responses import FileResponse, PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.errors import InvalidRequestError, ServiceError, UnauthorizedError
from app.metrics import Metrics
from app.schemas import (
    BATCH_EXAMPLES,
    SUMMARIZE_EXAMPLES,
    BatchRequest,
    BatchResponse,
    BatchResult,
    ErrorResponse,
    HealthResponse,
    InfoResponse,
    ModelRef,
    ReadyResponse,
    SentenceOut,
    SummarizeRequest,
    SummarizeResponse,
    Timings,
)
from app.service import Job, Result, SummarizerService
from app.settings import Settings

T = TypeVar("T")

# The page for people (GET /) and its CSS and JavaScript, shipped as package data.
STATIC_DIR = Path(__file__).with_name("static")
# Served by name from this set only, so no path can reach outside the folder.
STATIC_FILES = frozenset(path.name for path in STATIC_DIR.iterdir() if path.is_file())
# The page loads nothing from elsewhere and talks only to this service.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorResponse} for status in statuses}


# Statuses every summarize call can answer besides 200 (401 is added where keys are set).
SUMMARIZE_ERRORS = _errors(400, 413, 415, 422, 429, 500, 503, 504)

# Open to everyone, so probes and scrapers need no key.
open_router = APIRouter()
# Behind the API keys when keys are configured (see app.main).
keyed_router = APIRouter()

_bearer = HTTPBearer(auto_error=False, description="one of BERTSUM_API_KEYS")


class ClientGoneError(ServiceError):
    """The client disconnected before its answer; nobody will read this response."""

    status_code = 499
    error_type = "client_closed_request"


def require_api_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Accept the request only with one of the configured keys as a Bearer token."""
    settings: Settings = request.app.state.settings
    if credentials is None:
        raise UnauthorizedError("send an API key as 'Authorization: Bearer <key>'")
    given = credentials.credentials.encode()
    # compare_digest takes the same time wherever the strings differ; check every key so
    # the time does not tell which one came close either.
    keys = [key.get_secret_value().encode() for key in settings.api_keys]
    matches = [hmac.compare_digest(given, key) for key in keys]
    if not any(matches):
        raise UnauthorizedError("the API key is not valid")


@keyed_router.post(
    "/summarize",
    response_model=SummarizeResponse,
    responses=SUMMARIZE_ERRORS,
    summary="Summarize one document",
)
async def summarize(
    request: Request,
    response: Response,
    body: Annotated[SummarizeRequest, Body(openapi_examples=SUMMARIZE_EXAMPLES)],
) -> SummarizeResponse:
    """Choose the document's most relevant sentences under the budget (default 3 sentences)."""
    service: SummarizerService = request.app.state.service
    job = Job(body.text, body.budget(), body.trigram_blocking)
    (result,) = await _until_disconnect(request, service.summarize([job]))
    _annotate(request, response, [result])
    return SummarizeResponse(
        **_summary_fields(result, body.include_all_sentences),
        model=_model_ref(service),
        timings=_timings(result),
    )


@keyed_router.post(
    "/summarize/batch",
    response_model=BatchResponse,
    responses=SUMMARIZE_ERRORS,
    summary="Summarize several documents",
)
async def summarize_batch(
    request: Request,
    response: Response,
    body: Annotated[BatchRequest, Body(openapi_examples=BATCH_EXAMPLES)],
) -> BatchResponse:
    """Summarize up to BERTSUM_MAX_REQUEST_DOCUMENTS documents; results keep the request order."""
    service: SummarizerService = request.app.state.service
    settings: Settings = request.app.state.settings
    if len(body.documents) > settings.max_request_documents:
        raise InvalidRequestError(
            f"documents: at most {settings.max_request_documents} documents per request"
        )
    jobs = [
        Job(doc.text, doc.budget(), doc.trigram_blocking, field=f"documents.{i}.text")
        for i, doc in enumerate(body.documents)
    ]
    results = await _until_disconnect(request, service.summarize(jobs))
    _annotate(request, response, results)
    return BatchResponse(
        results=[
            BatchResult(
                **_summary_fields(result, doc.include_all_sentences),
                id=doc.id,
                timings=_timings(result),
            )
            for doc, result in zip(body.documents, results, strict=True)
        ],
        model=_model_ref(service),
    )


@keyed_router.get("/info", response_model=InfoResponse, responses=_errors(503))
async def info(request: Request) -> InfoResponse:
    """The model card (base encoder, checkpoint, training data, dev scores) and the settings."""
    service: SummarizerService = request.app.state.service
    settings: Settings = request.app.state.settings
    return InfoResponse(model=service.model_card.public(), settings=settings.public())


@open_router.get("/", include_in_schema=False)
async def page() -> FileResponse:
    """The page for people: paste a text, see its summary highlighted in it (app/static/)."""
    return FileResponse(
        STATIC_DIR / "index.html",
        headers={"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-cache"},
    )


@open_router.get("/static/{name}", include_in_schema=False)
async def page_file(name: str) -> FileResponse:
    """The page's CSS and JavaScript."""
    if name not in STATIC_FILES:
        raise HTTPException(404, f"no such file: {name}")
    return FileResponse(STATIC_DIR / name, headers={"Cache-Control": "no-cache"})


@open_router.get("/health", response_model=HealthResponse)
async def health() -> HealthResponse:
    """Liveness: the process answers. Cheap; says nothing about the model."""
    return HealthResponse(status="ok")


@open_router.get("/ready", response_model=ReadyResponse, responses=_errors(503))
async def ready(request: Request) -> ReadyResponse:
    """Readiness: the model is loaded, warmed up by a forward pass, and the batcher runs."""
    service: SummarizerService = request.app.state.service
    service.require_ready()
    return ReadyResponse(status="ready")


@open_router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    """Prometheus metrics in the text exposition format."""
    registry: Metrics = request.app.state.metrics
    return Response(registry.render(), media_type=Metrics.content_type)


async def _until_disconnect(request: Request, work: Awaitable[T]) -> T:
    """Run `work`, cancelling it if the client disconnects, so its documents leave the queue."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnected(request))
    try:
        done, _ = await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()  # our own handler was cancelled, or the client left
    if task in done:
        return task.result()
    await asyncio.gather(task, return_exceptions=True)
    raise ClientGoneError("the client disconnected")


async def _disconnected(request: Request) -> None:
    # The body is read by now, so the next message can only be the disconnect.
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _annotate(request: Request, response: Response, results: Sequence[Result]) -> None:
    """Timing headers for the client and counts for the request's log line."""
    queued_ms = max(r.queued_s for r in results) * 1000
    inference_ms = max(r.inference_s for r in results) * 1000
    response.headers["x-queue-time-ms"] = f"{queued_ms:.1f}"
    response.headers["x-inference-time-ms"] = f"{inference_ms:.1f}"
    request.state.log.update(
        documents=len(results),
        sentences=sum(r.summary.num_document_sentences for r in results),
        chosen=sum(len(r.summary.sentences) for r in results),
        queue_ms=round(queued_ms, 1),
        inference_ms=round(inference_ms, 1),
    )


def _summary_fields(result: Result, include_all_sentences: bool) -> dict[str, Any]:
    """The fields of `SummaryOut`, shared by the single and the batch answer."""
    summary = result.summary
    return {
        "summary": summary.text,
        "sentences": [
            SentenceOut(index=s.index, text=s.text, start=s.start, end=s.end, score=s.score)
            for s in summary.sentences
        ],
        "num_document_sentences": summary.num_document_sentences,
        "all_sentences": _all_sentences(result) if include_all_sentences else None,
        "fewer_sentences_than_requested": summary.fewer_sentences_than_requested,
        "method": summary.method,
        "warning": summary.warning,
    }


def _all_sentences(result: Result) -> list[SentenceOut]:
    """Every sentence of the document with its score, for clients that show the whole text."""
    scores = result.summary.scores
    return [
        SentenceOut(index=s.index, text=s.text, start=s.start, end=s.end, score=scores[s.index])
        for s in result.document_sentences
    ]


def _timings(result: Result) -> Timings:
    return Timings(
        prepare_ms=round(result.prepare_s * 1000, 2),
        queue_ms=round(result.queued_s * 1000, 2),
        inference_ms=round(result.inference_s * 1000, 2),
        total_ms=round(result.total_s * 1000, 2),
    )


def _model_ref(service: SummarizerService) -> ModelRef:
    card = service.model_card
    return ModelRef(id=card.id, version=card.version)
