"""Fixtures of the browser tests: Debian's headless Chromium driven by Playwright, and the
browser libraries the graph views load (vendored by scripts/build-assets)."""
from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


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
