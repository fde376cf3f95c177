"""The page in a real browser (headless Chromium) against a real server with the fake model."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from app.testing import free_port
from tests.app.browser import (
    chromium,
    have_chromium,
    paste,
    prefer_color_scheme,
    serving,
    shown_sentences,
    text_of,
    wait_for_answer,
    wait_until,
)
from tests.app.harness import REPO, python_command
from tests.model.chinese import ARTICLE as CHINESE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not have_chromium(), reason="needs /usr/bin/chromium and chromedriver"),
]

API_KEY = "page-test-key"
# A real article's shape (paragraphs, a quote, boilerplate), with an astral character ahead of
# most sentences: the service's offsets count code points, JavaScript's strings count UTF-16.
ARTICLE = (
    (REPO / "tests" / "model" / "fixtures" / "earthquake.txt")
    .read_text(encoding="utf-8")
    .replace("Sunday,", "Sunday 🌊,", 1)
)


@pytest.fixture(scope="module")
def driver() -> Iterator[WebDriver]:
    with chromium() as browser:
        yield browser


def fake_server(*args: str) -> list[str]:
    return python_command("-m", "tests.app.fake_server", *args)


@pytest.fixture(scope="module")
def keyed() -> Iterator[str]:
    """A server that wants an API key."""
    port = free_port()
    with serving(fake_server("--port", str(port)), port, {"BERTSUM_API_KEYS": API_KEY}) as base:
        yield base


@pytest.fixture(scope="module")
def strict() -> Iterator[str]:
    """A server with short texts, one document per forward pass (2 s) and room for one more."""
    port = free_port()
    env = {
        "BERTSUM_MAX_TEXT_CHARS": "3000",
        "BERTSUM_QUEUE_SIZE": "1",
        "BERTSUM_MAX_BATCH_DOCUMENTS": "1",
    }
    with serving(fake_server("--port", str(port), "--delay", "2"), port, env, "/ready") as base:
        yield base


def api_summary(base: str, request: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    """What POST /summarize answers, asked directly."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = {**request, "include_all_sentences": True}
    response = httpx.post(f"{base}/summarize", json=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def assert_page_shows(driver: WebDriver, text: str, api: dict[str, Any]) -> None:
    """The page shows the whole text, the API's summary, and exactly the API's sentences."""
    assert driver.find_element("id", "document").text.split() == text.split()
    assert driver.execute_script("return document.getElementById('document').textContent") == text
    assert text_of(driver, "summary") == api["summary"]
    shown = shown_sentences(driver)
    every = api["all_sentences"]
    assert [(s["index"], s["start"], s["text"]) for s in shown] == [
        (s["index"], s["start"], s["text"]) for s in every
    ]
    highlighted = [(s["index"], s["start"], s["text"]) for s in shown if s["chosen"]]
    assert highlighted == [(s["index"], s["start"], s["text"]) for s in api["sentences"]]
    assert {s["tag"] for s in shown if s["chosen"]} == {"MARK"}
    for sentence, scored in zip(shown, every, strict=True):
        assert f"score {scored['score']:.2f}" in sentence["title"]
    scores = [s["score"] for s in every]
    levels = [s["level"] for s in shown]
    assert levels[scores.index(max(scores))] == 1.0
    assert levels[scores.index(min(scores))] == 0.0


def press(driver: WebDriver, *keys: str) -> None:
    """Keys pressed one after another, on whatever has the focus."""
    ActionChains(driver).send_keys(*keys).perform()


def chord(driver: WebDriver, modifier: str, key: str) -> None:
    ActionChains(driver).key_down(modifier).send_keys(key).key_up(modifier).perform()


def focused(driver: WebDriver) -> str:
    """The id of the focused element, or its sentence index as "sentence N"."""
    element = driver.switch_to.active_element
    index = element.get_attribute("data-index")
    return f"sentence {index}" if index is not None else str(element.get_attribute("id"))


def test_paste_click_and_see_the_api_sentences_highlighted(
    driver: WebDriver, tmp_path: Path
) -> None:
    loaded = tmp_path / "load-now"
    port = free_port()
    with serving(fake_server("--port", str(port), "--load-when", str(loaded)), port) as base:
        driver.get(base)
        status = wait_until(driver, lambda d: re.search("loading", text_of(d, "status")))
        assert status
        paste(driver, ARTICLE)
        driver.find_element("id", "summarize").click()
        wait_until(driver, lambda d: "still loading" in text_of(d, "error"))
        loaded.touch()
        wait_until(driver, lambda d: text_of(d, "status") == "Ready.")

        paste(driver, ARTICLE)
        assert text_of(driver, "count") == f"{len(ARTICLE):,} characters"
        driver.find_element("css selector", 'input[value="ratio"]').click()
        amount = driver.find_element("id", "amount")
        amount.clear()
        amount.send_keys("40")
        driver.find_element("id", "summarize").click()
        assert wait_for_answer(driver) == "result", text_of(driver, "error")

        api = api_summary(base, {"text": ARTICLE, "ratio": 0.4})
        assert len(api["sentences"]) == round(0.4 * api["num_document_sentences"])
        assert_page_shows(driver, ARTICLE, api)

        unchosen = driver.find_element("css selector", "#document span.sentence")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", unchosen)
        ActionChains(driver).move_to_element(unchosen).perform()
        readout = wait_until(driver, lambda d: text_of(d, "readout"))
        assert readout == unchosen.get_attribute("title")
        assert "not chosen" in readout

        driver.execute_cdp_cmd(
            "Browser.grantPermissions",
            {"origin": base, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
        )
        driver.find_element("id", "copy").click()
        wait_until(driver, lambda d: text_of(d, "copy-status") == "Copied.")
        pasted = driver.execute_async_script(
            "navigator.clipboard.readText().then(arguments[0], () => arguments[0](null));"
        )
        assert pasted == api["summary"]

        other = tmp_path / "other.txt"
        other.write_text("A file came in. It has two sentences.\n", encoding="utf-8")
        driver.find_element("id", "file").send_keys(str(other))
        wait_until(driver, lambda d: d.find_element("id", "text").get_property("value"))
        assert driver.find_element("id", "text").get_property("value") == other.read_text()
        assert text_of(driver, "count") == "38 characters"


def test_errors_are_said_in_plain_words(driver: WebDriver, strict: str) -> None:
    driver.get(strict)
    wait_until(driver, lambda d: text_of(d, "status") == "Ready.")
    summarize = driver.find_element("id", "summarize")

    summarize.click()
    assert wait_for_answer(driver) == "error"
    assert text_of(driver, "error").startswith("There is no text to summarize yet.")

    paste(driver, "Rain fell. " * 300)  # 3300 characters, over the 3000 allowed
    summarize.click()
    wait_until(driver, lambda d: "too long" in text_of(d, "error"))
    assert "at most 3,000 characters, and this one has 3,300" in text_of(driver, "error")

    amount = driver.find_element("id", "amount")
    amount.clear()
    amount.send_keys("0")
    summarize.click()
    wait_until(driver, lambda d: "whole number from 1 to 1,000" in text_of(d, "error"))
    assert driver.switch_to.active_element == amount
    amount.clear()
    amount.send_keys("2")

    # One document in its forward pass and one waiting fill the queue: the page's is refused.
    paste(driver, ARTICLE)
    busy = [
        threading.Thread(target=api_summary, args=(strict, {"text": ARTICLE})) for _ in range(2)
    ]
    busy[0].start()
    time.sleep(0.5)  # in its 2 s forward pass by now, out of the queue
    busy[1].start()
    wait_until(driver, lambda _: queue_size(strict) == 1)
    summarize.click()
    wait_until(driver, lambda d: "busy" in text_of(d, "error"))
    assert re.fullmatch(
        r"The service is busy right now\. Try again in \d+ seconds\.", text_of(driver, "error")
    )
    assert not driver.find_element("id", "result").is_displayed()
    for thread in busy:
        thread.join()


def queue_size(base: str) -> float:
    """Documents waiting in the server's queue, from /metrics."""
    metrics = httpx.get(f"{base}/metrics", timeout=5).text
    found = re.search(r"^bertsum_queue_size (\S+)$", metrics, re.M)
    return float(found.group(1)) if found else -1.0


def test_keyboard_only_with_an_api_key(driver: WebDriver, keyed: str) -> None:
    text = "The bridge closed on Monday. Engineers found deep cracks in two of its old pillars. "
    text += "Traffic will go through the tunnel instead. Repairs should take three months."
    driver.get(keyed)
    wait_until(driver, lambda d: text_of(d, "status") == "Ready.")

    press(driver, Keys.TAB)
    assert focused(driver) == ""  # the skip link
    press(driver, Keys.ENTER)
    assert focused(driver) == "text"
    press(driver, text)
    press(driver, Keys.TAB)
    assert focused(driver) == "load"
    press(driver, Keys.TAB, Keys.ARROW_RIGHT)
    assert driver.find_element("css selector", 'input[value="ratio"]').is_selected()
    press(driver, Keys.TAB)
    assert focused(driver) == "amount"
    chord(driver, Keys.CONTROL, "a")
    press(driver, "50", Keys.ENTER)

    wait_until(driver, lambda d: "needs an API key" in text_of(d, "error"))
    assert focused(driver) == "api-key"
    press(driver, API_KEY, Keys.ENTER)
    assert wait_for_answer(driver) == "result", text_of(driver, "error")
    assert focused(driver) == "summary-heading"
    assert_page_shows(driver, text, api_summary(keyed, {"text": text, "ratio": 0.5}, API_KEY))

    press(driver, Keys.TAB)
    assert focused(driver) == "copy"
    press(driver, Keys.ENTER)
    wait_until(driver, lambda d: text_of(d, "copy-status"))
    press(driver, Keys.TAB)
    assert focused(driver) == "sentence 0"
    press(driver, Keys.ARROW_RIGHT)
    assert focused(driver) == "sentence 1"
    assert text_of(driver, "readout").startswith("Sentence 2 of 4 · score ")
    press(driver, Keys.END)
    assert focused(driver) == "sentence 3"
    chord(driver, Keys.SHIFT, Keys.TAB)  # the document is one Tab stop
    assert focused(driver) == "copy", driver.switch_to.active_element.get_attribute("outerHTML")

    driver.refresh()
    assert driver.find_element("id", "api-key").get_property("value") == API_KEY


def test_dark_scheme_and_a_narrow_screen(driver: WebDriver, keyed: str) -> None:
    driver.get(keyed)
    driver.execute_script("localStorage.setItem('bertsum.apiKey', arguments[0])", API_KEY)
    driver.refresh()
    backgrounds = {}
    for scheme in ("light", "dark"):
        prefer_color_scheme(driver, scheme)
        backgrounds[scheme] = driver.execute_script(
            "return getComputedStyle(document.body).backgroundColor"
        )
    prefer_color_scheme(driver, "light")
    assert brightness(backgrounds["light"]) > 200 > 60 > brightness(backgrounds["dark"])

    driver.set_window_size(360, 800)
    try:
        paste(driver, ARTICLE)
        driver.find_element("id", "summarize").click()
        assert wait_for_answer(driver) == "result", text_of(driver, "error")
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
    finally:
        driver.set_window_size(1200, 900)


def brightness(css_color: str) -> float:
    """The mean of the red, green and blue channels of an `rgb(...)` colour."""
    channels = [float(c) for c in re.findall(r"[\d.]+", css_color)[:3]]
    return sum(channels) / 3


def test_a_text_the_model_cannot_read_says_textrank_chose(driver: WebDriver) -> None:
    port = free_port()
    with serving(fake_server("--port", str(port), "--english-only"), port, wait="/ready") as base:
        driver.get(base)
        paste(driver, CHINESE)
        driver.find_element("id", "summarize").click()
        assert wait_for_answer(driver) == "result", text_of(driver, "error")
        api = api_summary(base, {"text": CHINESE, "num_sentences": 3})
        assert api["method"] == "textrank-fallback"
        meta = text_of(driver, "meta")
        assert meta.startswith(api["warning"])
        assert "chosen by TextRank, not the model" in meta
        assert api["model"]["id"] not in meta
        assert_page_shows(driver, CHINESE, api)
