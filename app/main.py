"""The app factory: builds the FastAPI app, its middleware and, in the lifespan, the service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from app.errors import install_error_handlers
from app.metrics import Metrics
from app.middleware import BodyGuardMiddleware, RequestContextMiddleware
from app.predictor import PredictorFactory, load_predictor
from app.routes import keyed_router, open_router, require_api_key
from app.schemas import ErrorResponse
from app.service import SummarizerService
from app.settings import Settings

logger = logging.getLogger(__name__)

DESCRIPTION = """Extractive summaries in the BertSum style: the most relevant sentences of a
document, in document order, with their character offsets and scores.

Every error has the shape `{"error": {"type": ..., "message": ...}}`."""


def create_app(settings: Settings, predictor_factory: PredictorFactory = load_predictor) -> FastAPI:
    """Build the app; the model loads in the background once the server starts."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = SummarizerService(settings, predictor_factory, app.state.metrics)
        app.state.service = service
        # Load in the background: the server answers /health (and 503 on /ready) meanwhile.
        loading = asyncio.create_task(service.start())
        try:
            yield
        finally:
            # The server has finished its accepted requests by now; drain what is queued.
            await service.stop()
            await asyncio.gather(loading, return_exceptions=True)
            logger.info("stopped")

    app = FastAPI(
        title="bertsum-service",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    install_error_handlers(app)

    if settings.api_keys:
        app.include_router(
            keyed_router,
            dependencies=[Depends(require_api_key)],
            responses={401: {"model": ErrorResponse}},
        )
    else:
        app.include_router(keyed_router)
    app.include_router(open_router)

    # Added last is outermost: the context middleware sees (and counts) every answer,
    # including CORS preflights and the body guard's refusals.
    app.add_middleware(BodyGuardMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
            expose_headers=["X-Request-Id", "X-Queue-Time-Ms", "X-Inference-Time-Ms"],
        )
    routes = [*keyed_router.routes, *open_router.routes]
    paths = frozenset(route.path for route in routes if isinstance(route, APIRoute))
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics, paths=paths)
    return app
