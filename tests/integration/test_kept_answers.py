"""Kept answers (web/answers.py) against the real engine and Redis: given again only under the
generation they were computed in, never while a change is under way or settling, never to a
client with cookies; an in-place document update and an alias swap both end them."""
from __future__ import annotations

import time
import uuid
from dataclasses import replace

import pytest

from search import freshness

pytestmark = pytest.mark.integration


@pytest.fixture()
def sample(indexed_sample):
    return indexed_sample


@pytest.fixture()
def web(sample):
    from web import create_app

    app = create_app(replace(sample, answer_cache_mb=4), embed=lambda text: [0.0] * 384)
    return app.test_client()


def _settled(settings) -> None:
    deadline = time.monotonic() + 10
    while freshness.current(settings) is None:
        assert time.monotonic() < deadline, "the change never settled"
        time.sleep(0.2)


def test_a_repeated_answer_is_kept_and_the_same(web, sample):
    _settled(sample)
    url = "/api/researchers?q=hu"
    first, second = web.get(url), web.get(url)
    assert first.headers["X-Answer"] == "fresh" and second.headers["X-Answer"] == "kept"
    assert first.get_data() == second.get_data() and second.mimetype == "application/json"
    assert second.headers["Content-Security-Policy"]  # the app's headers on a kept answer too
    page = web.get(f"/researchers/{first.get_json()['results'][0]['id']}")
    assert web.get(page.request.path).headers["X-Answer"] == "kept" and page.mimetype == "text/html"
    # not kept: a client with cookies, errors, POSTs
    web.set_cookie("session", "x")
    assert "X-Answer" not in web.get(url).headers
    web.delete_cookie("session")
    assert "X-Answer" not in web.get("/api/researchers?size=0").headers  # a 400
    assert "X-Answer" not in web.post("/api/works/similar", json={"text": "parsing"}).headers


def test_a_change_ends_kept_answers_and_none_are_given_while_it_is_under_way(web, sample):
    _settled(sample)
    url = "/api/works?mode=keyword&q=language&size=3"
    web.get(url)
    assert web.get(url).headers["X-Answer"] == "kept"
    with freshness.changing(sample):
        during = web.get(url)
        assert "X-Answer" not in during.headers  # neither given nor kept
    assert "X-Answer" not in web.get(url).headers  # settling
    _settled(sample)
    assert web.get(url).headers["X-Answer"] == "fresh"


def test_an_owner_correction_shows_at_once(web, sample, client):
    from search import documents

    _settled(sample)
    hit = web.get("/api/researchers?q=hu&size=1").get_json()["results"][0]
    url = f"/api/researchers/{hit['id']}"
    before = web.get(url).get_json()
    assert web.get(url).headers["X-Answer"] == "kept"
    note = f"Lab {uuid.uuid4().hex[:6]}"
    old = before.get("current_affiliation")
    try:
        documents.update(client, sample, "researchers", hit["id"], {"current_affiliation": note})
        client.indices.refresh(index=sample.alias("researchers"))
        assert web.get(url).get_json()["current_affiliation"] == note
        _settled(sample)
        assert web.get(url).get_json()["current_affiliation"] == note
    finally:
        documents.update(client, sample, "researchers", hit["id"], {"current_affiliation": old})
        client.indices.refresh(index=sample.alias("researchers"))
