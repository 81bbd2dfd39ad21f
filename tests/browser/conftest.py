"""Browser tests: Playwright driving the system's Chromium against a real HTTP server.

Playwright's own browser download is not used: set CHROMIUM (default /usr/bin/chromium). When the
browser is missing these tests are skipped, unless BROWSER_TESTS_REQUIRED is set (CI sets it), in
which case the run fails.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
REQUIRED = os.environ.get("BROWSER_TESTS_REQUIRED", "").lower() in ("1", "true", "yes")
# The flags a root user in a container with a closed network needs.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing_tools() -> list[str]:
    missing = []
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        missing.append(f"Chromium at {CHROMIUM} (Debian package `chromium`)")
    if not AXE.exists():
        missing.append("axe-core (run `npm ci`)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (requirements-dev.txt)")
    return missing


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    browser_items = [item for item in items if "tests/browser/" in item.nodeid.replace(os.sep, "/")]
    missing = missing_tools() if browser_items else []
    if not missing:
        return
    if REQUIRED:
        raise pytest.UsageError("browser tests are required but cannot run: missing " + ", ".join(missing))
    skip = pytest.mark.skip(reason="missing " + ", ".join(missing))
    for item in browser_items:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class LiveServer:
    """The test app on a free loopback port, served from a thread, for the browser to visit."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    app.config["BASE_URL"] = "http://127.0.0.1"  # replaced below once the port is known
    with LiveServer(app) as server:
        app.config["BASE_URL"] = server.url
        yield server


def new_page(browser, **options):
    context = browser.new_context(locale=options.pop("locale", "en-US"), **options)
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture
def page(browser):
    page = new_page(browser, viewport={"width": 1280, "height": 900})
    yield page
    page.context.close()


@pytest.fixture
def make_page(browser):
    """Pages with other options: a phone, JavaScript off, another language."""
    pages = []

    def make(**options):
        pages.append(new_page(browser, **options))
        return pages[-1]

    yield make
    for page in pages:
        page.context.close()


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core in the page; the violations of the given impacts, with their nodes."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["html"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]
