"""Typed service errors and the one place that maps every error to `{"error": {type, message}}`."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

logger = logging.getLogger(__name__)


class ServiceError(Exception):
    """An error with its HTTP status and a message safe to show to the client."""

    status_code: ClassVar[int] = 500
    error_type: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = dict(headers or {})


class InvalidRequestError(ServiceError):
    status_code = 422
    error_type = "invalid_request"


class UnauthorizedError(ServiceError):
    status_code = 401
    error_type = "unauthorized"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class PayloadTooLargeError(ServiceError):
    status_code = 413
    error_type = "payload_too_large"


class UnsupportedMediaTypeError(ServiceError):
    status_code = 415
    error_type = "unsupported_media_type"


class OverloadedError(ServiceError):
    status_code = 429
    error_type = "overloaded"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after_s)})


class NotReadyError(ServiceError):
    status_code = 503
    error_type = "not_ready"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"Retry-After": "5"})


class RequestTimeoutError(ServiceError):
    status_code = 504
    error_type = "timeout"


class InferenceError(ServiceError):
    status_code = 500
    error_type = "inference_error"


# Statuses that Starlette raises itself (routing, parsing), by the type clients see.
_HTTP_ERROR_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_response(
    status_code: int, error_type: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The JSON response every error takes."""
    body = {"error": {"type": error_type, "message": message}}
    return JSONResponse(body, status_code=status_code, headers=dict(headers or {}))


def service_error_response(error: ServiceError) -> JSONResponse:
    """The response for a typed error (also used by middleware, outside the handlers)."""
    return error_response(error.status_code, error.error_type, error.message, error.headers)


def describe_validation_errors(errors: Sequence[Any]) -> str:
    """`field.path: problem` for each problem, the body prefix left out (clients never see it)."""
    parts = []
    for problem in errors[:5]:
        loc = [str(part) for part in problem.get("loc", ()) if part != "body"]
        where = ".".join(loc) if loc else "body"
        message = str(problem.get("msg", "invalid")).removeprefix("Value error, ")
        if problem.get("type") == "json_invalid":
            where, message = "body", "is not valid JSON"
        parts.append(f"{where}: {message}")
    if len(errors) > 5:
        parts.append(f"and {len(errors) - 5} more")
    return "; ".join(parts)


async def _service_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ServiceError)
    return service_error_response(error)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    message = describe_validation_errors(error.errors())
    return error_response(422, InvalidRequestError.error_type, message)


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    error_type = _HTTP_ERROR_TYPES.get(error.status_code, "http_error")
    if error.status_code == 400:
        # Starlette's wording is about parsing; say what a client can fix.
        message = "the body could not be parsed: it must be UTF-8 JSON, not nested too deeply"
    else:
        message = str(error.detail)
    return error_response(error.status_code, error_type, message, error.headers)


async def _unexpected_error(_request: Request, error: Exception) -> JSONResponse:
    # The traceback goes to the log, never to the client.
    logger.error("unhandled error", exc_info=(type(error), error, error.__traceback__))
    return error_response(500, "internal_error", "internal error; see the server log")


def install_error_handlers(app: FastAPI) -> None:
    """Map every error the app can raise to the one JSON shape."""
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
