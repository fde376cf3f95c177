"""`bertsum serve`: run the HTTP service on uvicorn until SIGTERM or Ctrl+C."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Generator
from typing import Any

import uvicorn

from app.logging_setup import configure_logging
from app.main import create_app
from app.predictor import PredictorFactory, load_predictor
from app.settings import Settings, SettingsError, load_settings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags that override the environment."""
    parser.add_argument("--host", help="address to listen on (BERTSUM_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="TCP port (BERTSUM_PORT, default 8000)")
    parser.add_argument(
        "--checkpoint", help="checkpoint directory (BERTSUM_CHECKPOINT, default: the shipped one)"
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The settings of the environment, with the flags given on the command line winning."""
    overrides: dict[str, Any] = {
        name: value
        for name in ("host", "port", "checkpoint")
        if (value := getattr(args, name, None)) is not None
    }
    return load_settings(**overrides)


def run(args: argparse.Namespace) -> int:
    """Validate the settings, then serve; 0 after a graceful shutdown, 2 for bad settings."""
    try:
        settings = settings_from_args(args)
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
        """Shut down on SIGINT/SIGTERM as uvicorn does, without re-raising the signal after.

        uvicorn re-raises it once shut down, which ends the process with 143; here every
        accepted request was answered, so that is a clean exit.
        """
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach only the main thread
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
