"""Fixtures of the browser tests: Debian's headless Chromium driven by Playwright, and the
browser libraries the graph views load (vendored by scripts/build-assets)."""
from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 20_000


@pytest.fixture(scope="session")
def web_assets():
    """web/static/vendor/ (git-ignored; scripts/setup builds it), built here when missing."""
    if not (ROOT / "web" / "static" / "vendor" / "cytoscape.min.js").exists():
        subprocess.run([str(ROOT / "scripts" / "build-assets")], check=True)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def open_page(browser):
    """`open_page(errors)`: a new page (its own context) whose script errors and console
    errors are appended to `errors`."""
    def new(errors: list[str]):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        return page
    return new


@pytest.fixture(scope="session")
def serve_app():
    """`with serve_app(app) as base_url:` serves the app on a free loopback port for the block."""
    return _serving


@contextmanager
def _serving(app) -> Iterator[str]:
    """The app served on a free loopback port for the length of the block: its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture()
def sign_up():
    """`sign_up(page, served, email, name, password)`: an account made through the pages and
    confirmed by the link of the mail in `served["settings"]`'s outbox."""
    from web.accounts import mail

    def run(page, served, email: str, name: str, password: str) -> None:
        page.goto(served["base"] + "/account/signup")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Your name, as others will see it").fill(name)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Create account").click()
        page.get_by_role("heading", name="Check your e-mail").wait_for()
        body = [m for m in mail.outbox(served["settings"]) if m["to"] == email][-1]["body"]
        page.goto(re.search(r"http://\S+/account/verify/\S+", body).group(0))
        page.get_by_text("Address confirmed").wait_for()
    return run
