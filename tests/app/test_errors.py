"""Client errors: every one a clear 4xx in the one JSON shape, naming what to fix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.app.harness import ARTICLE, running_app

pytestmark = pytest.mark.anyio
JSON = {"content-type": "application/json"}


def error_of(response: httpx.Response) -> dict[str, str]:
    """The error object, after checking the shape holds nothing else."""
    body = response.json()
    assert list(body) == ["error"]
    assert set(body["error"]) == {"type", "message"}
    return dict(body["error"])


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({}, "text: Field required"),
        ({"text": ""}, "text"),
        ({"text": "   \n "}, "text: is empty"),
        ({"text": "... !!! ???"}, "text: no sentences"),
        ({"text": ARTICLE, "ratio": 0.5, "num_sentences": 2}, "at most one of"),
        ({"text": ARTICLE, "num_sentences": 0}, "num_sentences"),
        ({"text": ARTICLE, "ratio": 1.5}, "ratio"),
        ({"text": ARTICLE, "ratio": 0}, "ratio"),
        ({"text": ARTICLE, "max_words": -3}, "max_words"),
        ({"text": ARTICLE, "num_sentences": "2"}, "num_sentences"),
        ({"text": ARTICLE, "num_sentences": True}, "num_sentences"),
        ({"text": 42}, "text"),
        ({"text": ARTICLE, "num_sentence": 2}, "num_sentence: Extra inputs"),
        ({"text": "x" * 1001 + "."}, "text: longer than 1000 characters"),
    ],
)
async def test_invalid_bodies_are_422_naming_the_field(body: dict[str, Any], names: str) -> None:
    async with running_app(max_text_chars=1000) as (_, client):
        response = await client.post("/summarize", json=body)
    assert response.status_code == 422
    error = error_of(response)
    assert error["type"] == "invalid_request"
    assert names in error["message"]


@pytest.mark.parametrize(
    ("documents", "names"),
    [
        ([], "documents"),
        ([{"text": ARTICLE}, {"text": "?!"}], "documents.1.text: no sentences"),
        ([{"text": ARTICLE, "ratio": 2}], "documents.0.ratio"),
        ([{"text": ARTICLE}] * 4, "documents: at most 3 documents"),
    ],
)
async def test_invalid_batches_are_422_naming_the_document(
    documents: list[dict[str, Any]], names: str
) -> None:
    async with running_app(max_request_documents=3) as (_, client):
        response = await client.post("/summarize/batch", json={"documents": documents})
    assert response.status_code == 422
    assert names in error_of(response)["message"]


async def test_unreadable_bodies_are_4xx_never_500() -> None:
    bodies = {
        "not utf-8": b'{"text": "caf\xe9 au lait. \xff"}',
        "not json": b'{"text": ',
        "nested deep": b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "not an object": b"[1, 2, 3]",
        "empty": b"",
    }
    async with running_app(max_body_bytes=1_000_000) as (_, client):
        for name, body in bodies.items():
            response = await client.post("/summarize", content=body, headers=JSON)
            assert 400 <= response.status_code < 500, name
            assert error_of(response)["type"] in {"bad_request", "invalid_request"}, name


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_wrong_content_type_is_415(content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    async with running_app() as (_, client):
        response = await client.post("/summarize", content=b'{"text": "Hi."}', headers=headers)
    assert response.status_code == 415
    assert error_of(response)["type"] == "unsupported_media_type"


async def test_json_with_a_charset_is_fine() -> None:
    headers = {"content-type": "application/json; charset=utf-8"}
    async with running_app() as (_, client):
        response = await client.post("/summarize", content=b'{"text": "Hi."}', headers=headers)
    assert response.status_code == 200


async def test_a_declared_oversize_body_is_refused_before_reading() -> None:
    async with running_app(max_body_bytes=2048, max_text_chars=1000) as (_, client):
        response = await client.post(
            "/summarize", content=b'{"text": "' + b"a" * 5000 + b'"}', headers=JSON
        )
    assert response.status_code == 413
    assert error_of(response)["type"] == "payload_too_large"


async def test_a_streamed_oversize_body_is_cut_off_early() -> None:
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(1000):  # 512 KB in all, against a 2 KB limit
            pulled += 1
            yield b"a" * 512

    async with running_app(max_body_bytes=2048, max_text_chars=1000) as (_, client):
        response = await client.post("/summarize", content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert error_of(response)["type"] == "payload_too_large"
    assert pulled < 10


async def test_api_keys_are_required_when_configured() -> None:
    async with running_app(api_keys="k1,s3cret-ключ") as (_, client):
        missing = await client.post("/summarize", json={"text": ARTICLE})
        wrong = await client.post(
            "/summarize", json={"text": ARTICLE}, headers={"authorization": "Bearer nope"}
        )
        basic = await client.post(
            "/summarize", json={"text": ARTICLE}, headers={"authorization": "Basic azE6"}
        )
        right = await client.post(
            "/summarize", json={"text": ARTICLE}, headers={"authorization": "Bearer k1"}
        )
        info = await client.get("/info")
        health = await client.get("/health")
        ready = await client.get("/ready")
    for refused in (missing, wrong, basic, info):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert error_of(refused)["type"] == "unauthorized"
    assert right.status_code == 200
    assert health.status_code == 200 and ready.status_code == 200  # probes need no key


async def test_without_keys_no_authorization_is_needed() -> None:
    async with running_app() as (_, client):
        response = await client.post(
            "/summarize", json={"text": ARTICLE}, headers={"authorization": "Bearer anything"}
        )
    assert response.status_code == 200


async def test_unknown_paths_and_methods_use_the_error_shape() -> None:
    async with running_app() as (_, client):
        missing = await client.get("/nowhere")
        wrong_method = await client.get("/summarize")
    assert missing.status_code == 404 and error_of(missing)["type"] == "not_found"
    assert wrong_method.status_code == 405
    assert error_of(wrong_method)["type"] == "method_not_allowed"
