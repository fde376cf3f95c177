"""End to end: `bertsum serve` with the shipped checkpoint in a real uvicorn process, over HTTP."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.testing import free_port
from tests.app.harness import output, start_server, stop_server, wait_http_ready

pytestmark = pytest.mark.slow

DEV_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "cnndm" / "dev.jsonl"


def articles(count: int) -> list[str]:
    """Real news articles from the dev set (skips the test when the data is not around)."""
    if not DEV_DATA.exists():
        pytest.skip(f"no dev data at {DEV_DATA}")
    with DEV_DATA.open(encoding="utf-8") as lines:
        return [json.loads(line)["article"] for line, _ in zip(lines, range(count), strict=False)]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    bertsum = str(Path(sys.executable).with_name("bertsum"))
    process = start_server([bertsum, "serve", "--host", "127.0.0.1", "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http_ready(base, process, timeout=300)
        yield base
    finally:
        if process.poll() is None:
            assert stop_server(process, timeout=60) == 0, output(process)


def test_summarize_a_real_article(server: str) -> None:
    text = articles(1)[0]
    response = httpx.post(f"{server}/summarize", json={"text": text}, timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert 1 <= len(body["sentences"]) <= 3
    for sentence in body["sentences"]:
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]
        assert 0.0 <= sentence["score"] <= 1.0
    indices = [s["index"] for s in body["sentences"]]
    assert indices == sorted(indices)
    assert body["num_document_sentences"] > 3
    assert body["model"]["id"]
    assert float(response.headers["x-inference-time-ms"]) > 0


def test_batch_of_real_articles_keeps_order(server: str) -> None:
    texts = articles(4)
    documents = [{"id": str(i), "text": text, "ratio": 0.2} for i, text in enumerate(texts)]
    response = httpx.post(f"{server}/summarize/batch", json={"documents": documents}, timeout=120)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["id"] for r in results] == ["0", "1", "2", "3"]
    for text, result in zip(texts, results, strict=True):
        for sentence in result["sentences"]:
            assert text[sentence["start"] : sentence["end"]] == sentence["text"]


def test_no_sentences_is_422_and_info_metrics_answer(server: str) -> None:
    empty = httpx.post(f"{server}/summarize", json={"text": "   "}, timeout=30)
    assert empty.status_code == 422
    assert empty.json()["error"]["type"] == "invalid_request"
    info = httpx.get(f"{server}/info", timeout=30).json()
    assert info["model"]["base_encoder"]
    assert "path" not in info["model"]
    metrics = httpx.get(f"{server}/metrics", timeout=30).text
    assert "bertsum_batch_size_count" in metrics
    assert "bertsum_model_info" in metrics
