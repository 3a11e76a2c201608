"""Headless Chromium (Debian's, never a downloaded one) driving the app on a live local server.

Without /usr/bin/chromium these tests are skipped with the reason shown; with
BACKOFFICE_REQUIRE_BROWSER=1 (set by .ci/run) a missing browser fails them instead.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("BACKOFFICE_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("BACKOFFICE_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(os.environ.get("BACKOFFICE_E2E_ARTIFACTS", "/tmp/backoffice-e2e"))


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _expected(console_text: str) -> bool:
    """A form refused with 400 is the app working as meant, not a page error."""
    return "responded with a status of 400" in console_text


def _unavailable(reason: str):
    if REQUIRED:
        pytest.fail(f"browser tests are mandatory here but cannot run: {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              "--disable-quic"])
    yield browser
    browser.close()
    playwright.stop()


def _buffered(app):
    """Each response read whole and its file closed before the first byte is sent.

    Werkzeug's development server skips closing the response when the browser drops the
    connection while it drains the socket (Chromium cancels requests it no longer needs), which
    leaks an open static file into a ResourceWarning; a buffered body has nothing left open.
    """
    def buffered(environ, start_response):
        response = app(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            if hasattr(response, "close"):
                response.close()
    return buffered


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(browser, live_server, request):
    language = request.node.get_closest_marker("browser_locale")
    context = browser.new_context(base_url=live_server, viewport={"width": 1360, "height": 900},
                                  locale=language.args[0] if language else "en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not _expected(msg.text) else None)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def log_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_url("**/")
