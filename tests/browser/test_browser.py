"""The pages in a real browser: Debian's headless Chromium driven by Playwright, against the
app served by a real WSGI server on 127.0.0.1, on the indexed sample of real papers.

Screenshots of a profile and of a results page are written to artifacts/ (git-ignored).
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
SEED_PERSON, SEED_WORK = "shengding-hu", "2022.acl-long.158"
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def base_url(indexed_sample, web_assets, serve_app):
    from web import create_app

    app = create_app(indexed_sample)
    app.extensions["peerscope"].embed("warm up")  # load the model before any page waits on it
    with serve_app(app) as url:
        yield url


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield pg
    context.close()
    assert not errors, errors


def test_typo_search_profile_work_and_similar_work(page, base_url):
    page.goto(base_url + "/")
    page.fill("#q", "Shengdng Hu")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=Shengdng*")
    people = page.locator("section[aria-labelledby=people-h] .person-name a")
    assert people.first.inner_text() == "Shengding Hu"
    people.first.click()
    page.wait_for_url(f"**/researchers/{SEED_PERSON}")

    for heading in ("Works", "Research graph", "Recommended new collaborators",
                    "Trust snapshot", "Topics", "Close collaborators"):
        assert page.get_by_role("heading", name=heading).is_visible(), heading
    assert page.locator(".counts").is_visible()
    assert page.get_by_text("Why this score").is_visible()
    assert page.get_by_role("link", name="Sign in to follow").is_visible()
    assert page.get_by_role("link", name="Claim this profile").is_visible()
    page.wait_for_selector("[data-fragment-src][data-loaded] .reasons li")
    page.wait_for_selector(".graph[data-graph-ready]")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "profile-shengding-hu.png"), full_page=True)

    page.get_by_role("link", name="Knowledgeable Prompt-tuning", exact=False).first.click()
    page.wait_for_url(f"**/works/{SEED_WORK}")
    similar = page.locator("#similar .work-title a")
    assert similar.count() > 0
    assert page.locator("#similar .why").first.inner_text()
    title = similar.first.inner_text()
    similar.first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == title
    assert "/works/" in page.url and SEED_WORK not in page.url


def test_results_highlight_the_words_and_a_topic_facet_filters_them(page, base_url):
    page.goto(base_url + "/search?q=prompt+tuning")
    assert page.locator("section[aria-labelledby=papers-h] mark").count() > 0
    assert page.locator(".facets a").count() > 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search-prompt-tuning.png"), full_page=True)
    page.locator(".facets section[aria-label=Topic] a").first.click()
    page.wait_for_url("**topic=*")
    assert page.locator(".active-filters").is_visible()


def test_typeahead_with_the_keyboard(page, base_url):
    page.goto(base_url + "/")
    box = page.locator("#q")
    assert box.get_attribute("role") == "combobox"
    box.click()
    page.keyboard.type("Shengd", delay=30)
    listbox = page.locator("#q-list")
    listbox.locator("[role=option]").first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    first = listbox.locator("[role=option]").first
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert first.get_attribute("aria-selected") == "true"
    count = listbox.locator("[role=option]").count()
    page.keyboard.press("ArrowUp")  # wraps to the last
    assert box.get_attribute("aria-activedescendant") == listbox.locator("[role=option]").nth(count - 1).get_attribute("id")
    page.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and listbox.is_hidden()
    assert box.input_value() == "Shengd"
    page.keyboard.press("ArrowDown")  # reopens
    listbox.locator("[role=option]").first.wait_for()
    page.keyboard.press("ArrowDown")
    assert "Shengding Hu" in page.locator("[role=option][aria-selected=true]").inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/researchers/{SEED_PERSON}")


def test_explorer_expands_a_clicked_node(page, base_url):
    page.goto(base_url + f"/explore?node=r:{SEED_PERSON}")
    graph = page.locator(".graph[data-graph-ready]")
    graph.wait_for()
    before = int(graph.get_attribute("data-graph-nodes"))
    target = page.evaluate("""() => {
        const cy = document.querySelector('.graph').cy;
        const n = cy.nodes('[kind = "topic"]')[0];
        const p = n.renderedPosition();
        return {x: p.x, y: p.y, label: n.data('full')};
    }""")
    box = graph.bounding_box()
    page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
    # Polled from the test side: a string predicate in the page would need eval, which the CSP forbids.
    deadline = time.monotonic() + 10
    while int(graph.get_attribute("data-graph-nodes") or 0) <= before and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert int(graph.get_attribute("data-graph-nodes") or 0) > before
    assert target["label"] in page.locator("[data-graph-panel]").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "explore-expanded.png"), full_page=True)


def test_pages_work_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    try:
        pg.goto(base_url + f"/researchers/{SEED_PERSON}")
        assert pg.locator("#works .work").count() >= 1
        assert pg.get_by_role("link", name="See people").is_visible()
        pg.locator("details.abstract summary").first.click()
        assert pg.locator("details.abstract[open]").count() == 1
        pg.goto(base_url + "/search?q=prompt")
        assert pg.locator("section[aria-labelledby=papers-h] .work").count() > 0
        pg.keyboard.press("Tab")
        assert pg.evaluate("document.activeElement.textContent") == "Skip to main content"
        pg.goto(base_url + f"/researchers/{SEED_PERSON}")
        pg.get_by_role("link", name="Sign in to follow").click()
        pg.wait_for_url(lambda url: "/account/login" in url)
    finally:
        context.close()
