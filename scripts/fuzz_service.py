"""Fuzz the service with schemathesis against its own OpenAPI schema: no 5xx, no schema violation.

Serves the app on loopback (uvicorn in a thread) with the real model, or with `--tiny`, a small
deterministic predictor defined here that needs no weights; generates valid and invalid
requests for every operation, checks every response, and prints how many cases ran.

    python scripts/fuzz_service.py [--tiny] [--examples 200]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import hypothesis
import schemathesis
import uvicorn
from hypothesis import HealthCheck
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode

from app.main import create_app
from app.predictor import Predictor, load_predictor
from app.settings import Settings, load_settings
from app.testing import NotReadyError, free_port, wait_until_ready
from model.types import Budget, ModelCard, PreparedDocument, Sentence

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
]


class TinyPredictor:
    """A weightless predictor for fuzzing the HTTP layer: regex sentences, longer scores higher;
    the service chooses sentences with the product's rule."""

    @property
    def card(self) -> ModelCard:
        """A card naming the stand-in."""
        return ModelCard(id="tiny-fuzz", version="0", base_encoder="none")

    _sentence = re.compile(r"[^.!?]*\w[^.!?]*[.!?]*")

    def prepare(self, text: str, budget: Budget | None = None) -> PreparedDocument:  # noqa: ARG002
        """Regex sentences; the stand-in's scores do not depend on the budget."""
        sentences = [
            Sentence(i, m.group(), m.start(), m.end())
            for i, m in enumerate(self._sentence.finditer(text))
        ]
        if not sentences:
            raise ValueError("the text contains no sentences")
        return PreparedDocument(text, sentences, min(512, len(text) // 4 + 2))

    def score(self, documents: Sequence[PreparedDocument]) -> list[list[float]]:
        return [[min(1.0, len(s.text) / 200) for s in d.sentences] for d in documents]

    def warmup(self) -> None:
        self.prepare("Warm up.")


@contextlib.contextmanager
def serve_in_thread(settings: Settings, predictor: Predictor | None) -> Iterator[str]:
    """Run the app on uvicorn in a background thread until the generator is closed."""
    factory = (lambda _: predictor) if predictor is not None else load_predictor
    app = create_app(settings, factory)
    server = uvicorn.Server(
        uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://{settings.host}:{settings.port}"
    try:
        wait_until_ready(url, timeout_s=600)
    except NotReadyError as error:
        raise SystemExit(f"the service did not become ready: {error}") from None
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=60)


def fuzz(url: str, examples: int) -> tuple[collections.Counter[str], list[str]]:
    """Run every operation in both generation modes; count cases, collect failures."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    counts: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for result in schema.get_all_operations():
            if not isinstance(result, Ok):
                failures.append(f"schema: {result.err()}")
                continue
            operation = result.ok()
            takes_input = bool(list(operation.iter_parameters()) or list(operation.body))
            if mode is GenerationMode.NEGATIVE and not takes_input:
                continue  # nothing to make invalid
            label = f"{operation.label} ({mode.value})"
            strategy = operation.as_strategy(generation_mode=mode)
            try:
                counts[label] = run_cases(url, strategy, examples)
            except Exception as failure:  # a check failed: report it, then fuzz the rest
                failures.append(f"{label}: {failure}")
    return counts, failures


def run_cases(url: str, strategy: Any, examples: int) -> int:
    """Call and check up to `examples` generated cases; the first failure raises."""
    count = 0

    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )
    @hypothesis.given(case=strategy)
    def run(case: Any) -> None:
        nonlocal count
        count += 1
        case.call_and_validate(base_url=url, checks=CHECKS)

    run()
    return count


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tiny", action="store_true", help="fuzz with the weightless predictor")
    parser.add_argument("--checkpoint", help="checkpoint directory (default: the shipped one)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda")
    parser.add_argument("--examples", type=int, default=200, help="cases per operation and mode")
    parser.add_argument("--url", help="fuzz this running service instead of starting one")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.url:
        counts, failures = fuzz(args.url, args.examples)
    else:
        # Keys off whatever the environment says: the generated cases carry none.
        overrides = {
            "host": "127.0.0.1",
            "port": free_port(),
            "device": args.device,
            "api_keys": [],
        }
        settings = load_settings(checkpoint=args.checkpoint, **overrides)
        with serve_in_thread(settings, TinyPredictor() if args.tiny else None) as url:
            counts, failures = fuzz(url, args.examples)
    for label, count in sorted(counts.items()):
        print(f"{count:6d}  {label}")
    print(f"{sum(counts.values())} cases, {len(failures)} failing operations")
    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
