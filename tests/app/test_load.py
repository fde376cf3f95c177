"""Behaviour under load and failure: 429, 503, 504, failing batches, clients leaving, draining."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings
from model.types import Budget, PreparedDocument
from tests.app.fakes import FakePredictor
from tests.app.harness import ARTICLE, running_app, wait_ready

pytestmark = pytest.mark.anyio


async def until(condition: Any, timeout: float = 5.0) -> None:
    """Wait for a condition the test cannot await directly (it happens in another thread)."""
    for _ in range(int(timeout / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not met in time")


def post(client: httpx.AsyncClient, text: str = ARTICLE) -> asyncio.Future[httpx.Response]:
    return asyncio.ensure_future(client.post("/summarize", json={"text": text}))


async def test_a_full_queue_answers_429_with_retry_after_and_accepted_requests_finish() -> None:
    gate = threading.Event()
    fake = FakePredictor(gate=gate)
    async with running_app(fake, queue_size=2, max_batch_documents=1) as (app, client):
        running = post(client)
        await until(lambda: fake.started_batches == 1)
        queued = [post(client), post(client)]
        await until(lambda: app.state.service.queue_size == 2)
        refused = await client.post("/summarize", json={"text": ARTICLE})
        batch = await client.post("/summarize/batch", json={"documents": [{"text": ARTICLE}]})
        gate.set()
        accepted = await asyncio.gather(running, *queued)
        ready = await client.get("/ready")
    for response in (refused, batch):
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) >= 1
        assert response.json()["error"]["type"] == "overloaded"
    assert [r.status_code for r in accepted] == [200, 200, 200]
    assert ready.status_code == 200


async def test_not_ready_while_loading_then_ready() -> None:
    loaded = threading.Event()
    fake = FakePredictor()

    def slow_factory(_: Settings) -> FakePredictor:
        loaded.wait(timeout=5)
        return fake

    async with running_app(factory=slow_factory, wait=False) as (app, client):
        health = await client.get("/health")
        ready = await client.get("/ready")
        summarize = await client.post("/summarize", json={"text": ARTICLE})
        info = await client.get("/info")
        loaded.set()
        await wait_ready(app)
        ready_after = await client.get("/ready")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    for response in (ready, summarize, info):
        assert response.status_code == 503
        assert response.json()["error"] == {"type": "not_ready", "message": "the model is loading"}
        assert "retry-after" in response.headers
    assert ready_after.status_code == 200 and ready_after.json() == {"status": "ready"}


async def test_a_model_that_fails_to_load_is_never_ready(caplog: pytest.LogCaptureFixture) -> None:
    async with running_app(FakePredictor(fail_warmup=True), wait=False) as (app, client):
        await until(lambda: app.state.service.state == "failed")
        ready = await client.get("/ready")
    assert ready.status_code == 503
    assert "failed to load" in ready.json()["error"]["message"]
    assert "no weights here" in caplog.text  # the reason is in the log, not the response
    assert "no weights here" not in ready.text


async def test_a_request_past_its_timeout_gets_504_and_the_service_stays_ready() -> None:
    async with running_app(FakePredictor(delay=0.5), request_timeout_s=0.1) as (_, client):
        response = await client.post("/summarize", json={"text": ARTICLE})
        ready = await client.get("/ready")
    assert response.status_code == 504
    assert response.json()["error"]["type"] == "timeout"
    assert ready.status_code == 200


async def test_a_failing_batch_fails_only_its_requests() -> None:
    gate = threading.Event()
    fake = FakePredictor(gate=gate)
    async with running_app(fake, max_batch_documents=1) as (app, client):
        first = post(client)
        await until(lambda: fake.started_batches == 1)
        bad = post(client, "This text will EXPLODE in the model. It has two sentences.")
        good = post(client)
        # Both wait behind the gated first batch, so each gets a batch of its own.
        await until(lambda: app.state.service.queue_size == 2)
        assert len(fake.batches) == 0 and fake.started_batches == 1
        gate.set()
        responses = await asyncio.gather(first, bad, good)
        ready = await client.get("/ready")
        again = await client.post("/summarize", json={"text": ARTICLE})
    assert [r.status_code for r in responses] == [200, 500, 200]
    assert responses[1].json()["error"]["type"] == "inference_error"
    assert "on purpose" not in responses[1].text and "Traceback" not in responses[1].text
    assert ready.status_code == 200 and again.status_code == 200


class BrokenPrepare(FakePredictor):
    """A bug outside the forward pass, with an internal path in its message."""

    def prepare(self, text: str, budget: Budget | None = None) -> PreparedDocument:
        if text == ARTICLE:  # the warm-up text still works, so the service becomes ready
            raise KeyError("/srv/secret/app/module.py")
        return super().prepare(text, budget)


async def test_an_unexpected_error_is_a_plain_500_without_internals() -> None:
    async with running_app(BrokenPrepare()) as (_, client):
        response = await client.post("/summarize", json={"text": ARTICLE})
    assert response.status_code == 500
    assert response.json() == {
        "error": {"type": "internal_error", "message": "internal error; see the server log"}
    }


async def call_and_leave(app: FastAPI, text: str, leave: asyncio.Event) -> list[dict[str, Any]]:
    """A raw ASGI request whose client disconnects when `leave` is set."""
    body = json.dumps({"text": text}).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/summarize",
        "raw_path": b"/summarize",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"host", b"test")],
        "client": ("127.0.0.1", 5000),
        "server": ("test", 80),
    }
    messages = iter([{"type": "http.request", "body": body, "more_body": False}])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        message = next(messages, None)
        if message is not None:
            return message
        await leave.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)
    return sent


async def test_a_client_that_left_is_dropped_before_inference() -> None:
    gate = threading.Event()
    fake = FakePredictor(gate=gate)
    async with running_app(fake, max_batch_documents=1) as (app, client):
        first = post(client)
        await until(lambda: fake.started_batches == 1)
        leave = asyncio.Event()
        gone = asyncio.ensure_future(call_and_leave(app, "Nobody waits for this one.", leave))
        stays = post(client, "Somebody waits for this one. Yes.")
        await until(lambda: app.state.service.queue_size == 2)
        leave.set()
        await gone
        gate.set()
        assert [r.status_code for r in await asyncio.gather(first, stays)] == [200, 200]
    scored = [text for batch in fake.batches for text in batch]
    assert "Somebody waits for this one. Yes." in scored
    assert "Nobody waits for this one." not in scored


async def test_stopping_finishes_queued_requests_and_refuses_new_ones() -> None:
    gate = threading.Event()
    fake = FakePredictor(gate=gate)
    app = create_app(Settings(max_batch_documents=1), lambda _: fake)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        await wait_ready(app)
        accepted = [post(client)]
        await until(lambda: fake.started_batches == 1)
        accepted += [post(client), post(client)]
        await until(lambda: app.state.service.queue_size == 2)
        stopping = asyncio.ensure_future(app.state.service.stop())
        await asyncio.sleep(0.01)
        late = await client.post("/summarize", json={"text": ARTICLE})
        ready = await client.get("/ready")
        gate.set()
        await stopping
        responses = await asyncio.gather(*accepted)
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert late.status_code == 503 and ready.status_code == 503
    assert late.json()["error"]["message"] == "the service is shutting down"
