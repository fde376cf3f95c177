"""Helpers for tests and scripts that run the service: a free port, waiting until /ready."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time

import httpx


class NotReadyError(RuntimeError):
    """The service did not become ready; the message says why."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(
    url: str,
    timeout_s: float,
    process: subprocess.Popen[bytes] | None = None,
    path: str = "/ready",
) -> None:
    """Poll ``url`` + ``path`` until 200; `NotReadyError` when the server process exits,
    reports a model that failed to load, or is not ready in time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise NotReadyError(f"the server exited with {process.returncode}")
        with contextlib.suppress(httpx.TransportError):
            response = httpx.get(f"{url}{path}", timeout=5)
            if response.status_code == 200:
                return
            if "failed to load" in response.text:
                raise NotReadyError("the model failed to load")
        time.sleep(0.1)
    raise NotReadyError(f"not ready after {timeout_s:g}s")
