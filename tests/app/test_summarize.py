"""POST /summarize and /summarize/batch with a fake model: answers, budgets, offsets, headers."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from model.types import Budget, PreparedDocument
from tests.app.fakes import FakePredictor
from tests.app.harness import ARTICLE, running_app

pytestmark = pytest.mark.anyio


async def test_summary_has_three_sentences_in_document_order_with_offsets() -> None:
    async with running_app() as (_, client):
        response = await client.post("/summarize", json={"text": ARTICLE})
    assert response.status_code == 200
    body = response.json()
    sentences = body["sentences"]
    assert len(sentences) == 3
    assert [s["index"] for s in sentences] == sorted(s["index"] for s in sentences)
    for sentence in sentences:
        assert ARTICLE[sentence["start"] : sentence["end"]] == sentence["text"]
        assert 0 <= sentence["score"] <= 1
    # The fake scores longer sentences higher (words: 9, 14, 6, 12, 7): not the lead.
    assert [s["index"] for s in sentences] == [0, 1, 3]
    assert body["summary"] == " ".join(s["text"] for s in sentences)
    assert body["num_document_sentences"] == 5
    assert body["fewer_sentences_than_requested"] is False
    assert body["model"] == {"id": "fake-model", "version": "1.0"}
    assert set(body["timings"]) == {"prepare_ms", "queue_ms", "inference_ms", "total_ms"}


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        ({"num_sentences": 1}, [1]),
        ({"ratio": 0.4}, [1, 3]),  # 2 of 5
        ({"max_words": 20}, [1, 2]),  # 14 + 6 words; the longer ones would pass 20
        ({"num_sentences": 5}, [0, 1, 2, 3, 4]),
    ],
)
async def test_budgets(budget: dict[str, float], expected: list[int]) -> None:
    async with running_app() as (_, client):
        response = await client.post("/summarize", json={"text": ARTICLE, **budget})
    assert response.status_code == 200, response.text
    assert [s["index"] for s in response.json()["sentences"]] == expected


async def test_a_short_document_comes_back_whole_and_says_so() -> None:
    # The two sentences share a trigram, which blocking would otherwise drop.
    text = "The cat sat on the mat today. The cat sat on the mat again."
    async with running_app() as (_, client):
        response = await client.post("/summarize", json={"text": text, "num_sentences": 3})
    body = response.json()
    assert [s["index"] for s in body["sentences"]] == [0, 1]
    assert body["fewer_sentences_than_requested"] is True


async def test_trigram_blocking_can_be_switched_off() -> None:
    # Every sentence shares "rain fell on" with every other. Two of eight sentences is within the
    # share of a text a blocked budget may take (model.selection.BLOCKING_UP_TO), three is over.
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "today"]
    text = " ".join(f"Rain fell on the city {day}." for day in days)
    async with running_app() as (_, client):
        blocked = await client.post("/summarize", json={"text": text, "num_sentences": 2})
        unblocked = await client.post(
            "/summarize", json={"text": text, "num_sentences": 2, "trigram_blocking": False}
        )
        longer = await client.post("/summarize", json={"text": text, "num_sentences": 3})
    assert len(blocked.json()["sentences"]) == 1
    assert len(unblocked.json()["sentences"]) == 2
    assert len(longer.json()["sentences"]) == 3  # over that share: no blocking


async def test_request_id_is_echoed_or_made_and_timing_headers_are_set() -> None:
    async with running_app() as (_, client):
        echoed = await client.post(
            "/summarize", json={"text": ARTICLE}, headers={"x-request-id": "abc-123"}
        )
        made = await client.post("/summarize", json={"text": ARTICLE})
        forged = await client.post(
            "/summarize", json={"text": ARTICLE}, headers={"x-request-id": "bad id\tforged"}
        )
    assert echoed.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32
    assert forged.headers["x-request-id"] != "bad id\tforged"
    for name in ("x-queue-time-ms", "x-inference-time-ms", "x-process-time-ms"):
        assert float(made.headers[name]) >= 0


async def test_batch_keeps_order_and_ids_and_shares_forward_passes() -> None:
    fake = FakePredictor()
    documents = [
        {"id": "first", "text": ARTICLE, "num_sentences": 1},
        {"text": "One sentence only."},
        {"id": "third", "text": ARTICLE, "ratio": 1.0},
    ]
    async with running_app(fake) as (_, client):
        response = await client.post("/summarize/batch", json={"documents": documents})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["id"] for r in results] == ["first", None, "third"]
    assert [len(r["sentences"]) for r in results] == [1, 1, 5]
    assert results[1]["fewer_sentences_than_requested"] is True
    assert response.json()["model"]["id"] == "fake-model"
    assert len(fake.batches) == 1  # all three documents in one forward pass
    # Each document is prepared for its own budget: a head may read how much of it that takes.
    assert fake.prepared_for[-3:] == [Budget(num_sentences=1), Budget(), Budget(ratio=1.0)]


async def test_concurrent_requests_are_batched_together() -> None:
    import asyncio

    fake = FakePredictor(delay=0.05)
    async with running_app(fake, max_wait_ms=50, max_batch_documents=8) as (_, client):
        responses = await asyncio.gather(
            *(client.post("/summarize", json={"text": ARTICLE}) for _ in range(8))
        )
    assert all(r.status_code == 200 for r in responses)
    assert len(fake.batches) < 8
    assert max(len(b) for b in fake.batches) > 1


class SlowPrepare(FakePredictor):
    """The fake model, slow to prepare, counting how many texts are prepared at once."""

    def __init__(self) -> None:
        super().__init__()
        self.preparing = self.most_at_once = 0
        self._count = threading.Lock()

    def prepare(self, text: str, budget: Budget | None = None) -> PreparedDocument:
        with self._count:
            self.preparing += 1
            self.most_at_once = max(self.most_at_once, self.preparing)
        time.sleep(0.05)
        with self._count:
            self.preparing -= 1
        return super().prepare(text, budget)


@pytest.mark.parametrize("threads", [1, 4])
async def test_texts_are_prepared_on_at_most_the_configured_threads(threads: int) -> None:
    fake = SlowPrepare()
    async with running_app(fake, prepare_threads=threads) as (_, client):
        responses = await asyncio.gather(
            *(client.post("/summarize", json={"text": ARTICLE}) for _ in range(8))
        )
    assert all(r.status_code == 200 for r in responses)
    assert 1 <= fake.most_at_once <= threads
