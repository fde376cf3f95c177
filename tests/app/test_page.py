"""The page at GET / and its files, and `include_all_sentences`, which the page asks for."""

from __future__ import annotations

import re
import threading
import tomllib
from fnmatch import fnmatch
from typing import Any

import pytest

from app.routes import STATIC_DIR
from app.settings import Settings
from tests.app.fakes import FakePredictor, length_scores, split
from tests.app.harness import ARTICLE, REPO, running_app

pytestmark = pytest.mark.anyio

PAGE_FILES = {"page.css": "text/css", "page.js": "javascript"}


def assert_every_sentence(text: str, body: dict[str, Any]) -> None:
    """`all_sentences` is the whole document in order, offsets into `text`, chosen ones alike."""
    expected = split(text)
    every = body["all_sentences"]
    assert [s["index"] for s in every] == list(range(len(expected)))
    assert [(s["start"], s["end"]) for s in every] == [(s.start, s.end) for s in expected]
    for sentence in every:
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]
    assert len(every) == body["num_document_sentences"]
    scores = length_scores(FakePredictor().prepare(text))
    assert [s["score"] for s in every] == pytest.approx(scores)
    assert [s for s in every if s["index"] in {c["index"] for c in body["sentences"]}] == (
        body["sentences"]
    )


async def test_all_sentences_come_back_only_when_asked() -> None:
    text = "A wave 🌊 came. " + ARTICLE  # an astral character: offsets count code points
    async with running_app() as (_, client):
        plain = await client.post("/summarize", json={"text": text, "num_sentences": 2})
        full = await client.post(
            "/summarize", json={"text": text, "num_sentences": 2, "include_all_sentences": True}
        )
    assert plain.status_code == full.status_code == 200
    assert plain.json()["all_sentences"] is None
    assert full.json()["sentences"] == plain.json()["sentences"]
    assert len(full.json()["sentences"]) == 2
    assert_every_sentence(text, full.json())


async def test_batch_documents_ask_for_all_sentences_one_by_one() -> None:
    documents = [
        {"id": "all", "text": ARTICLE, "include_all_sentences": True},
        {"id": "chosen", "text": ARTICLE},
    ]
    async with running_app() as (_, client):
        response = await client.post("/summarize/batch", json={"documents": documents})
    assert response.status_code == 200, response.text
    every, chosen = response.json()["results"]
    assert_every_sentence(ARTICLE, every)
    assert chosen["all_sentences"] is None


async def test_include_all_sentences_must_be_a_boolean() -> None:
    async with running_app() as (_, client):
        response = await client.post(
            "/summarize", json={"text": ARTICLE, "include_all_sentences": "yes"}
        )
    assert response.status_code == 422
    assert "include_all_sentences" in response.json()["error"]["message"]


async def test_page_and_its_files_are_served_without_a_key_while_the_api_needs_one() -> None:
    async with running_app(api_keys="k1") as (_, client):
        page = await client.get("/")
        files = {name: await client.get(f"/static/{name}") for name in PAGE_FILES}
        refused = await client.post("/summarize", json={"text": ARTICLE})
        schema = (await client.get("/openapi.json")).json()
    assert refused.status_code == 401
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    for name, media_type in PAGE_FILES.items():
        assert files[name].status_code == 200, name
        assert media_type in files[name].headers["content-type"]
        assert f'"static/{name}"' in page.text  # relative, so a path prefix in front works
    assert "/" not in schema["paths"]


async def test_the_page_answers_while_the_model_loads() -> None:
    loaded = threading.Event()

    def slow_factory(_: Settings) -> FakePredictor:
        loaded.wait(timeout=10)
        return FakePredictor()

    async with running_app(factory=slow_factory, wait=False) as (_, client):
        page = await client.get("/")
        ready = await client.get("/ready")
        loaded.set()
    assert page.status_code == 200
    assert ready.status_code == 503
    assert "loading" in ready.json()["error"]["message"]


async def test_unknown_static_files_are_404_in_the_error_shape() -> None:
    async with running_app() as (_, client):
        missing = await client.get("/static/nothing.js")
        outside = await client.get("/static/../routes.py")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "not_found"
    assert outside.status_code == 404


def test_page_files_load_nothing_from_elsewhere() -> None:
    for path in STATIC_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), path.name
        assert "@import" not in text, path.name


def test_every_page_file_is_package_data() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["app"]
    shipped = {"index.html", *PAGE_FILES}
    found = {path.name for path in STATIC_DIR.iterdir()}
    assert shipped <= found
    for path in STATIC_DIR.rglob("*"):
        relative = path.relative_to(STATIC_DIR.parent).as_posix()
        assert any(fnmatch(relative, pattern) for pattern in patterns), relative
