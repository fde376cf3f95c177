"""ASGI middleware: request ids, timing headers, a log line and metrics per request; body limits."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import (
    PayloadTooLargeError,
    ServiceError,
    UnsupportedMediaTypeError,
    service_error_response,
)
from app.metrics import Metrics

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"
# A client's id is echoed only if it is short and plain, so it cannot forge log lines.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_BODY_METHODS = {"POST", "PUT", "PATCH"}
_KNOWN_METHODS = {"GET", "HEAD", "OPTIONS", "DELETE", *_BODY_METHODS}


class RequestContextMiddleware:
    """Gives each request an id, adds it and the total time as headers, logs and counts it.

    Routes add their own counts and timings to `request.state.log` (a dict): they join the
    one log line per request. The text of a document never does.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics, paths: frozenset[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.paths = paths  # the app's route paths, for requests refused before routing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex
        fields: dict[str, object] = {}
        scope.setdefault("state", {})["log"] = fields
        status = 500  # what the client gets if the app fails before answering

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                headers["x-process-time-ms"] = f"{(time.perf_counter() - started) * 1000:.1f}"
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            seconds = time.perf_counter() - started
            endpoint = self._endpoint(scope)
            # Any token is a valid method on the wire: keep the label set bounded.
            method = scope["method"] if scope["method"] in _KNOWN_METHODS else "other"
            self.metrics.observe_request(endpoint, method, status, seconds)
            details = " ".join(f"{key}={value}" for key, value in fields.items())
            logger.info(
                "%s %s %d %.1fms id=%s %s",
                method,
                endpoint,
                status,
                seconds * 1000,
                request_id,
                details,
                extra={
                    "request_id": request_id,
                    "method": method,
                    "endpoint": endpoint,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                    **fields,
                },
            )

    def _endpoint(self, scope: Scope) -> str:
        """The route's path template: a label of bounded cardinality for metrics and logs."""
        route_path = getattr(scope.get("route"), "path", None)
        if route_path:
            return str(route_path)
        # Refused by middleware (413, 415) before routing; the routes here have no parameters.
        return str(scope["path"]) if scope["path"] in self.paths else "unmatched"


class BodyGuardMiddleware:
    """Refuses non-JSON bodies (415) and bodies over `max_bytes` (413) without reading them whole.

    A declared Content-Length over the limit is refused before any byte is read; otherwise the
    bytes are counted as they stream in and the request is cut off at the first chunk too many.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = self._refuse_early(headers)
        if refusal is not None:
            await service_error_response(refusal)(scope, receive, send)
            return

        received = 0
        too_large = False
        answered = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise PayloadTooLargeError(self._too_large_message())
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal answered
            # Once the body is over the limit, whatever the app made of the cut-off body
            # (FastAPI turns read errors into a 400) is replaced by the 413 below.
            if too_large:
                return
            answered = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except PayloadTooLargeError:
            if answered:
                raise
        if too_large and not answered:
            too_large_error = PayloadTooLargeError(self._too_large_message())
            await service_error_response(too_large_error)(scope, receive, send)

    def _refuse_early(self, headers: Headers) -> ServiceError | None:
        content_type = headers.get("content-type", "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type != "application/json":
            return UnsupportedMediaTypeError(
                f"send the body as application/json, not {media_type or 'no content type'}"
            )
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return PayloadTooLargeError(self._too_large_message())
        return None

    def _too_large_message(self) -> str:
        return f"the body is larger than {self.max_bytes} bytes"
