"""What operators and client developers see: metrics, /info, /docs, CORS and the log lines."""

from __future__ import annotations

import json
import logging

import pytest

from app.logging_setup import JsonFormatter
from tests.app.harness import ARTICLE, running_app

pytestmark = pytest.mark.anyio


def sample(metrics: str, line_start: str) -> float:
    """The value of the first metric line starting with `line_start`."""
    for line in metrics.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no metric line starting with {line_start!r}")


async def test_metrics_count_requests_batches_documents_and_model() -> None:
    async with running_app() as (_, client):
        await client.post("/summarize", json={"text": ARTICLE})
        await client.post("/summarize", json={"text": ""})
        await client.post("/summarize", content=b"{}", headers={"content-type": "text/plain"})
        await client.post("/summarize/batch", json={"documents": [{"text": ARTICLE}] * 2})
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    requests = 'bertsum_requests_total{endpoint="/summarize",method="POST",status="%s"}'
    assert sample(text, requests % 200) == 1
    assert sample(text, requests % 422) == 1
    assert sample(text, requests % 415) == 1  # refused before routing, still labelled
    assert sample(text, 'bertsum_request_duration_seconds_count{endpoint="/summarize"}') == 3
    assert sample(text, "bertsum_documents_total") == 3
    assert sample(text, "bertsum_sentences_total") == 15
    assert sample(text, "bertsum_batch_size_count") == 2
    assert sample(text, "bertsum_batch_size_sum") == 3
    assert sample(text, "bertsum_batch_padded_tokens_count") == 2
    assert sample(text, "bertsum_queue_wait_seconds_count") == 3
    assert sample(text, "bertsum_inference_duration_seconds_count") == 2
    assert sample(text, "bertsum_queue_size") == 0
    assert sample(text, "bertsum_ready") == 1
    assert 'bertsum_model_info{base_encoder="none",device="cpu",id="fake-model"' in text


async def test_each_app_has_its_own_metrics() -> None:
    async with running_app() as (_, first), running_app() as (_, second):
        await first.post("/summarize", json={"text": ARTICLE})
        metrics = (await second.get("/metrics")).text
    assert "bertsum_documents_total 0.0" in metrics


async def test_info_shows_the_model_card_and_settings_without_secrets() -> None:
    async with running_app(api_keys="topsecret") as (_, client):
        response = await client.get("/info", headers={"authorization": "Bearer topsecret"})
    assert response.status_code == 200
    body = response.json()
    assert body["model"]["base_encoder"] == "none"
    assert body["model"]["dev_scores"] == {"rouge1": 0.5}
    assert "path" not in body["model"]  # no internal paths
    assert body["settings"]["checkpoint"] == "default (shipped)"
    assert body["settings"]["max_batch_documents"] == 16
    assert "topsecret" not in response.text


async def test_docs_and_schema_have_examples_and_the_error_shape() -> None:
    async with running_app() as (_, client):
        docs = await client.get("/docs")
        schema = (await client.get("/openapi.json")).json()
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    summarize = schema["paths"]["/summarize"]["post"]
    examples = summarize["requestBody"]["content"]["application/json"]["examples"]
    assert {"sentences", "ratio", "words"} <= set(examples)
    error_ref = {"$ref": "#/components/schemas/ErrorResponse"}
    for status in ("413", "422", "429", "503", "504"):
        assert summarize["responses"][status]["content"]["application/json"]["schema"] == error_ref
    assert "401" not in summarize["responses"]  # only documented when keys are set


async def test_keys_show_in_the_schema_when_set() -> None:
    async with running_app(api_keys="k") as (_, client):
        schema = (await client.get("/openapi.json")).json()
    summarize = schema["paths"]["/summarize"]["post"]
    assert "401" in summarize["responses"]
    assert summarize["security"] == [{"HTTPBearer": []}]
    assert "security" not in schema["paths"]["/health"]["get"]


async def test_cors_is_off_by_default_and_follows_the_setting() -> None:
    preflight = {
        "origin": "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    async with running_app() as (_, closed):
        off = await closed.options("/summarize", headers=preflight)
    async with running_app(cors_origins="https://app.example") as (_, open_):
        on = await open_.options("/summarize", headers=preflight)
        simple = await open_.post(
            "/summarize", json={"text": ARTICLE}, headers={"origin": "https://app.example"}
        )
    assert "access-control-allow-origin" not in off.headers
    assert on.status_code == 200
    assert on.headers["access-control-allow-origin"] == "https://app.example"
    assert simple.headers["access-control-allow-origin"] == "https://app.example"
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()


async def test_one_log_line_per_request_with_counts_and_never_the_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="app.middleware")
    async with running_app() as (_, client):
        response = await client.post(
            "/summarize", json={"text": ARTICLE}, headers={"x-request-id": "req-7"}
        )
    assert response.status_code == 200
    lines = [r for r in caplog.records if r.name == "app.middleware"]
    assert len(lines) == 1
    record = lines[0]
    assert record.__dict__["request_id"] == "req-7"
    assert record.__dict__["status"] == 200
    assert record.__dict__["documents"] == 1 and record.__dict__["sentences"] == 5
    assert "POST /summarize 200" in record.getMessage()
    assert "flooded" not in caplog.text


def test_json_log_lines_carry_the_extra_fields() -> None:
    record = logging.LogRecord("app.middleware", logging.INFO, "x.py", 1, "%s done", ("it",), None)
    record.__dict__.update(request_id="r1", status=200)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "it done"
    assert line["request_id"] == "r1" and line["status"] == 200
    assert line["level"] == "INFO" and line["logger"] == "app.middleware"
