"""Chinese through the service: the fallback when the model cannot read it, else the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app import service as service_module
from tests.app.fakes import EnglishOnlyPredictor
from tests.app.harness import ARTICLE as ENGLISH
from tests.app.harness import running_app
from tests.app.test_observability import sample
from tests.model.chinese import ARTICLE, ARTICLE_SENTENCES, chinese_characters, write_chinese_rows

pytestmark = pytest.mark.anyio


def assert_whole_sentences(text: str, body: dict[str, Any], count: int) -> None:
    """``count`` sentences of the text, each exactly its slice, in document order."""
    assert len(body["sentences"]) == count
    for sentence in body["sentences"]:
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]
        assert sentence["text"] == ARTICLE_SENTENCES[sentence["index"]]
    indices = [s["index"] for s in body["sentences"]]
    assert indices == sorted(indices)


async def test_a_text_the_model_cannot_read_is_ranked_by_the_fallback_and_says_so() -> None:
    predictor = EnglishOnlyPredictor()
    async with running_app(predictor) as (_, client):
        response = await client.post("/summarize", json={"text": ARTICLE, "num_sentences": 3})
        metrics = (await client.get("/metrics")).text
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["num_document_sentences"] == 10
    assert_whole_sentences(ARTICLE, body, 3)
    assert body["method"] == "textrank-fallback"
    assert "100% of its word pieces are unknown" in body["warning"]
    assert max(s["score"] for s in body["sentences"]) == 1.0
    assert predictor.batches == []  # the model never scored it
    assert sample(metrics, 'bertsum_documents_by_method_total{method="textrank-fallback"}') == 1


async def test_english_is_still_scored_by_the_model_in_the_same_batch() -> None:
    documents = [{"id": "zh", "text": ARTICLE}, {"id": "en", "text": ENGLISH}]
    async with running_app(EnglishOnlyPredictor()) as (_, client):
        response = await client.post("/summarize/batch", json={"documents": documents})
        metrics = (await client.get("/metrics")).text
    results = response.json()["results"]
    assert [(r["id"], r["method"]) for r in results] == [
        ("zh", "textrank-fallback"),
        ("en", "model"),
    ]
    assert results[1]["warning"] is None
    assert sample(metrics, 'bertsum_documents_by_method_total{method="model"}') == 1


async def test_the_threshold_is_a_setting() -> None:
    async with running_app(EnglishOnlyPredictor(), max_unknown_ratio=1.0) as (_, client):
        response = await client.post("/summarize", json={"text": ARTICLE})
    assert response.json()["method"] == "model"


async def test_a_checkpoint_with_a_chinese_vocabulary_scores_chinese(tmp_path: Path) -> None:
    from model.inference import load_summarizer
    from model.network.encoder import ModelConfig
    from model.network.inputs import EncodingConfig
    from model.network.scorer import HeadConfig
    from model.training.config import TrainConfig
    from model.training.loop import train
    from tests.tiny_model import write_tiny_encoder

    encoder = write_tiny_encoder(tmp_path / "tiny-zh", extra_vocab=chinese_characters())
    data = write_chinese_rows(tmp_path / "zh.jsonl")
    config = TrainConfig(
        train_files=[str(data)],
        dev_files=[str(data)],
        out_dir=str(tmp_path / "run"),
        model=ModelConfig(
            base_encoder=str(encoder),
            finetune="top",
            top_layers=1,
            encoding=EncodingConfig(max_sentence_tokens=40, window_tokens=128, overlap_tokens=32),
            head=HeadConfig(pooling="mean", kind="transformer", heads=2, feedforward=32),
        ),
        epochs=2,
        batch_size=8,
        validate_every=1000,
        cache_dir=str(tmp_path / "cache"),
    )
    checkpoint = train(config)
    summarizer = load_summarizer(checkpoint, device="cpu")
    assert summarizer.prepare(ARTICLE).unknown_ratio == 0.0
    async with running_app(factory=lambda _: summarizer) as (_, client):
        response = await client.post("/summarize", json={"text": ARTICLE, "num_sentences": 3})
        info = (await client.get("/info")).json()
    body = response.json()
    assert body["method"] == "model" and body["warning"] is None
    assert_whole_sentences(ARTICLE, body, 3)
    assert info["model"]["languages"] == ["zh"]


async def test_a_request_the_model_reads_makes_no_trip_to_the_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(service_module, "rank_without_model", lambda docs: calls.append(len(docs)))
    async with running_app(EnglishOnlyPredictor()) as (_, client):
        response = await client.post("/summarize", json={"text": ENGLISH})
    assert response.status_code == 200 and response.json()["method"] == "model"
    assert calls == []
