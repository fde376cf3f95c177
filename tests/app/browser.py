"""Headless Chromium from Debian's packages, driven by Selenium, for the page's tests and shots."""

from __future__ import annotations

import base64
import contextlib
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.app.harness import output, start_server, stop_server, wait_http_ready

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# No first-run, sync, update or network chatter: the browser talks only to the test's server.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)

# Every sentence the page shows, read from the DOM: where it starts in the shown text (in code
# points, as the service counts), its words, whether it is highlighted, and its score label.
READ_SENTENCES = """
const container = document.getElementById("document");
return Array.from(container.querySelectorAll(".sentence")).map((element) => {
  const before = document.createRange();
  before.setStart(container, 0);
  before.setEndBefore(element);
  return {
    index: Number(element.dataset.index),
    start: Array.from(before.toString()).length,
    text: element.textContent,
    chosen: element.classList.contains("chosen"),
    tag: element.tagName,
    title: element.title,
    level: Number(element.style.getPropertyValue("--level")),
  };
});
"""


def have_chromium() -> bool:
    """Debian's chromium and chromium-driver are installed."""
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


@contextlib.contextmanager
def chromium(width: int = 1200, height: int = 900) -> Iterator[WebDriver]:
    """A headless Chromium with a fresh profile, closed afterwards."""
    with tempfile.TemporaryDirectory(prefix="bertsum-chromium-") as profile:
        options = Options()
        options.binary_location = str(CHROMIUM)
        for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        try:
            yield driver
        finally:
            driver.quit()


@contextlib.contextmanager
def serving(
    command: Sequence[str], port: int, env: dict[str, str] | None = None, wait: str = "/health"
) -> Iterator[str]:
    """A server process on 127.0.0.1:port, once `wait` answers 200; SIGTERM afterwards."""
    base = f"http://127.0.0.1:{port}"
    process = start_server(command, env)
    try:
        wait_http_ready(base, process, timeout=60, path=wait)
        yield base
    finally:
        if stop_server(process, timeout=30) is None:
            print(output(process))  # noqa: T201 (the server log explains a failed test)


def prefer_color_scheme(driver: WebDriver, scheme: str) -> None:
    """Make the page see `prefers-color-scheme: scheme` (light or dark)."""
    features = [{"name": "prefers-color-scheme", "value": scheme}]
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": features})


def set_viewport(driver: WebDriver, width: int, height: int = 900) -> None:
    """Exactly `width` CSS pixels wide, as a phone when narrow (headless windows are wider)."""
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def paste(driver: WebDriver, text: str) -> None:
    """Put `text` into the text area as a paste would (one input event)."""
    driver.execute_script(
        "const area = document.getElementById('text');"
        "area.value = arguments[0];"
        "area.dispatchEvent(new Event('input', {bubbles: true}));",
        text,
    )


def wait_until(driver: WebDriver, check: Callable[[WebDriver], Any], timeout: float = 20) -> Any:
    """Wait for `check` to return something truthy, and return it."""
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(check)


def text_of(driver: WebDriver, element_id: str) -> str:
    """The visible text of an element ("" while it is hidden)."""
    element = driver.find_element("id", element_id)
    return str(element.text) if element.is_displayed() else ""


def wait_for_answer(driver: WebDriver) -> str:
    """After Summarize: "result" once the summary shows, or "error" once an error does."""
    return str(
        wait_until(
            driver,
            lambda d: (
                ("result" if text_of(d, "summary") else "")
                or ("error" if text_of(d, "error") else "")
            ),
        )
    )


def shown_sentences(driver: WebDriver) -> list[dict[str, Any]]:
    """Every sentence of the shown document, as READ_SENTENCES reads it."""
    return list(driver.execute_script(READ_SENTENCES))


def full_page_png(driver: WebDriver) -> bytes:
    """A screenshot of the whole page: the viewport is made as tall as the page first."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    set_viewport(driver, int(size["width"]), int(size["height"]))
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    return base64.b64decode(shot["data"])
