"""`bertsum serve`: run the HTTP service on uvicorn until SIGTERM or Ctrl+C."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Generator
from typing import Any

import uvicorn

from app.logging_setup import configure_logging
from app.main import create_app
from app.predictor import PredictorFactory, load_predictor
from app.settings import Settings, SettingsError, load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags that override the environment."""
    parser.add_argument("--host", help="address to listen on (BERTSUM_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="TCP port (BERTSUM_PORT, default 8000)")
    parser.add_argument(
        "--checkpoint", help="checkpoint directory (BERTSUM_CHECKPOINT, default: the shipped one)"
    )


def run(args: argparse.Namespace) -> int:
    """Validate the settings, then serve; 0 after a graceful shutdown, 2 for bad settings."""
    overrides: dict[str, Any] = {
        name: value
        for name in ("host", "port", "checkpoint")
        if (value := getattr(args, name, None)) is not None
    }
    try:
        settings = load_settings(**overrides)
    except SettingsError as error:
        print(f"bertsum serve: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.json_logs)
    return serve(settings)


def serve(settings: Settings, predictor_factory: PredictorFactory = load_predictor) -> int:
    """Serve until SIGTERM/SIGINT, finishing accepted requests; 0 after a clean shutdown."""
    config = uvicorn.Config(
        create_app(settings, predictor_factory),
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep the logging configured above
        access_log=False,  # the app logs one line per request itself
        # Accepted requests end within their timeout (504 at worst); then stop regardless.
        timeout_graceful_shutdown=int(settings.request_timeout_s) + 5,
    )
    server = _Server(config)
    server.run()
    return 0 if server.started else 1


class _Server(uvicorn.Server):
    """uvicorn's server, except that a drained shutdown on SIGTERM exits 0."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        with super().capture_signals():
            yield
            # uvicorn re-raises the signal once shut down, which ends the process with 143;
            # here every accepted request was answered, so that is a clean exit.
            self._captured_signals.clear()
