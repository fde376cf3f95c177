"""Test harness: run an app with a fake predictor in-process, or a real server as a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from app.main import create_app
from app.predictor import Predictor
from app.settings import Settings
from app.testing import NotReadyError, wait_until_ready
from tests.app.fakes import FakePredictor

REPO = Path(__file__).resolve().parents[2]
ARTICLE = (
    "The river flooded the old town on Sunday night. "
    "Hundreds of people spent the night in the school gym while the water rose. "
    "Officials said repairs would take months. "
    "The mayor asked for help from the national government and the army. "
    "Rain is expected to stop by Wednesday."
)


async def wait_ready(app: FastAPI, timeout: float = 5.0) -> None:
    """Until the service reports ready (the model loads in the background)."""
    deadline = time.monotonic() + timeout
    while not app.state.service.ready:
        if time.monotonic() > deadline:
            raise AssertionError(f"not ready after {timeout}s: {app.state.service.state}")
        await asyncio.sleep(0.005)


@contextlib.asynccontextmanager
async def running_app(
    predictor: Predictor | None = None,
    *,
    factory: Callable[[Settings], Predictor] | None = None,
    wait: bool = True,
    **settings: Any,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app through its lifespan, with an HTTP client talking to it in-process."""
    fake = predictor or FakePredictor()
    app = create_app(Settings(**settings), factory or (lambda _: fake))
    async with app.router.lifespan_context(app):
        if wait:
            await wait_ready(app)
        # Answer 500s as the server would, instead of raising into the test.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client


def start_server(
    command: Sequence[str], env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start a server process from the repository root, its output in a pipe."""
    return subprocess.Popen(
        list(command),
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_http_ready(
    base_url: str, process: subprocess.Popen[bytes], timeout: float, path: str = "/ready"
) -> None:
    """Poll `path` until 200; fail early with the server's output if it dies or fails to load."""
    try:
        wait_until_ready(base_url, timeout, process, path)
    except NotReadyError as error:
        raise AssertionError(f"{error}: {output(process)}") from None


def stop_server(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    """SIGTERM a running server and wait for it; its exit code, or None if it did not stop.

    The output pipe is closed either way (after ``output`` has read it, when it was needed).
    """
    code = process.poll()
    if code is None:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
    if process.stdout is not None and code is not None:
        process.stdout.close()
    return code


def output(process: subprocess.Popen[bytes]) -> str:
    """The tail of a finished (or killed) server's output."""
    if process.poll() is None:
        process.kill()
    out, _ = process.communicate(timeout=10)
    return out.decode(errors="replace")[-3000:]


def python_command(*args: str) -> list[str]:
    return [sys.executable, *args]
