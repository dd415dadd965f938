"""Debian's headless Chromium driven by Playwright for Python (never its own browser
download): ``chromium()`` starts it, ``Page`` helpers collect what the page logged."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from support.services import unavailable

CHROMIUM = os.environ.get("STATIONMASTER_CHROMIUM", "/usr/bin/chromium")
# The flags the machine notes give for a closed network: no background connections.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(os.environ.get("STATIONMASTER_SCREENSHOTS") or Path(tempfile.gettempdir()) / "sm-screens")


@contextmanager
def chromium() -> Iterator[Any]:
    """A Playwright Browser on Debian's Chromium; skips (fails in CI) when either is missing."""
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} is missing: apt-get install chromium (tests/run does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright for Python is missing (pip install -e '.[test]')")
    # Playwright gives the browser a fresh, empty profile (user data directory) of its own.
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


class PageLog:
    """Console errors, CSP violations, failed requests and dialogs a page met."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda ex: self.errors.append(f"page error: {ex}"))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.method} {r.url}: {r.failure}"))
        page.on("dialog", self._dialog)
        page.on("response", self._response)
        self.refused: list[str] = []

    def _response(self, response: Any) -> None:
        if response.status >= 400 and "/api/" in response.url:
            try:
                message = response.json()["meta"]["result_msg"]
            except Exception:  # not an envelope
                message = ""
            self.refused.append(f"{response.status} {response.url} {response.request.post_data}: {message}")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            where = message.location or {}
            self.errors.append(f"{message.text} [{where.get('url', '')}:{where.get('lineNumber', '')}]")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def screenshot(page: Any, name: str, full_page: bool = False) -> Path:
    """Save a screenshot as <STATIONMASTER_SCREENSHOTS>/<name>.png (docs/web/ keeps a set)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def wait_until(page: Any, expression: str, arg: Any = None, timeout: float = 20.0) -> Any:
    """Poll a JavaScript expression (or ``(arg) => …`` function) until it is truthy.

    ``page.wait_for_function`` evaluates its predicate with eval inside the page, which
    the app's policy (no 'unsafe-eval') rightly refuses; ``page.evaluate`` is not subject
    to the page's policy."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {expression}")
        page.wait_for_timeout(100)
