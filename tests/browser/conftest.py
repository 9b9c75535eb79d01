"""Fixtures of the browser tests: Debian's headless Chromium driven by Playwright, and the
browser libraries the graph views load (vendored by scripts/build-assets)."""
from __future__ import annotations

import subprocess
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
