"""Shared fixtures: a headless Chromium (system browser, through Playwright) and a local server.

The browser is Debian's /usr/bin/chromium, never a downloaded one (`playwright install` is not
used). If it cannot start, browser tests fail: a map that was never loaded is not a passing map.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _project import Project, make


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests are in the slow lane: the fast lane (``pytest -m "not slow"``) stays
    within a minute; the README's command runs everything."""
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.slow)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture()
def make_project(tmp_path: Path) -> Any:
    """``make_project(root=None, *, surveys={name: text}, encoding, tour, taxonomy,
    corrections, config)``: a project folder (see tests/_project.py), in ``tmp_path`` unless
    ``root`` is given."""

    def factory(root: Path | None = None, **files: Any) -> Project:
        return make(root or tmp_path, **files)

    return factory


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole session (starting it costs about a second)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def http_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A folder served on 127.0.0.1 (random port): (folder, base URL ending with '/')."""
    root = tmp_path_factory.mktemp("www")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class PageWatch:
    """Console errors, page errors, dialogs and blocked requests seen by a page."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.blocked: list[str] = []

    def real_errors(self) -> list[str]:
        """Console errors, except failed loads of the non-local URLs we blocked (tiles).

        A failed load of a local file (a missing asset) stays an error.
        """
        blocked = set(self.blocked)
        return [
            e for e in self.errors
            if not (e.startswith("Failed to load resource") and e.rsplit(" @ ", 1)[-1] in blocked)
        ]


@pytest.fixture()
def offline_page(browser: Any) -> Iterator[tuple[Any, PageWatch]]:
    """A page in a fresh context where every non-local request is aborted and recorded.

    A dialog (alert/confirm/prompt) is recorded and dismissed; tests assert there was none.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    watch = PageWatch()

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("file://", "http://127.0.0.1", "data:", "blob:")):
            r.continue_()
        else:
            watch.blocked.append(url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: watch.errors.append(f"{m.text} @ {m.location.get('url', '')}") if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.errors.append(f"pageerror: {e}"))

    def on_dialog(d: Any) -> None:
        watch.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield page, watch
    finally:
        context.close()


@pytest.fixture(autouse=True)
def _french_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI speaks the language of LC_ALL/LC_MESSAGES/LANG: tests that read its messages
    expect the default, French, whatever the developer's locale."""
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
