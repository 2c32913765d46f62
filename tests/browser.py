"""A real headless Chromium (Debian's) driven by Playwright, with the network blocked."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = os.environ.get("KG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        message = "Debian's chromium is missing: run sh tests/install-system-deps.sh"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class Page:
    """An opened page, with every http(s) request it attempted and every dialog it raised."""

    page: object
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@contextlib.contextmanager
def open_offline(html: Path, width: int = 1400, height: int = 900) -> Iterator[Page]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            opened = Page(page)

            def block(route):
                opened.requests.append(route.request.url)
                route.abort()

            context.route(lambda url: url.startswith(("http://", "https://", "ws")), block)
            page.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e: opened.errors.append(str(e)))
            page.goto(html.resolve().as_uri())
            yield opened
        finally:
            browser.close()
