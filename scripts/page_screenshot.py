"""Screenshot of the page at GET / summarizing an article, with the shipped model (docs/page.png).

Starts `bertsum serve` on loopback, opens the page in headless Chromium (Debian's package),
pastes the article, presses Summarize, moves to a sentence by keyboard so its score shows,
and saves the whole page as PNG:

    python scripts/page_screenshot.py                       # docs/page.png, light scheme
    python scripts/page_screenshot.py --scheme dark --width 380 --out docs/page-dark.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the browser helpers live with the tests

from app.testing import free_port  # noqa: E402
from tests.app.browser import (  # noqa: E402
    chromium,
    full_page_png,
    paste,
    prefer_color_scheme,
    serving,
    set_viewport,
    text_of,
    wait_for_answer,
    wait_until,
)

ARTICLE = REPO / "tests" / "model" / "fixtures" / "earthquake.txt"


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "page.png")
    parser.add_argument("--text", type=Path, default=ARTICLE, help="plain-text article")
    parser.add_argument("--sentences", type=int, default=3, help="summary length")
    parser.add_argument("--scheme", choices=["light", "dark"], default="light")
    parser.add_argument("--width", type=int, default=1100, help="window width in CSS pixels")
    parser.add_argument("--checkpoint", help="checkpoint directory (default: the shipped one)")
    return parser.parse_args()


def serve_command(checkpoint: str | None, port: int) -> list[str]:
    """`bertsum serve` from this virtual environment, on loopback."""
    command = [str(Path(sys.executable).with_name("bertsum")), "serve", "--port", str(port)]
    return [*command, "--host", "127.0.0.1", *(["--checkpoint", checkpoint] if checkpoint else [])]


def main() -> int:
    """Serve, summarize in the page, save the screenshot."""
    args = parse_args()
    port = free_port()
    with serving(serve_command(args.checkpoint, port), port) as base, chromium() as page:
        set_viewport(page, args.width)
        prefer_color_scheme(page, args.scheme)
        page.get(base)
        wait_until(page, lambda d: text_of(d, "status") == "Ready.", timeout=300)
        paste(page, args.text.read_text(encoding="utf-8"))
        amount = page.find_element("id", "amount")
        amount.clear()
        amount.send_keys(str(args.sentences))
        page.find_element("id", "summarize").click()
        if wait_for_answer(page) != "result":
            print(f"no summary: {text_of(page, 'error')}", file=sys.stderr)
            return 1
        # Into the text from the copy button and on by three sentences, as a keyboard user
        # would: the focused sentence is outlined and its score shows below the text.
        page.execute_script("document.getElementById('copy').focus()")
        ActionChains(page).send_keys(Keys.TAB, *[Keys.ARROW_RIGHT] * 3).perform()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(full_page_png(page))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
