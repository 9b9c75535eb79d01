"""Following (counts written by RQ jobs), the personal feed, and direct collaboration
invitations with their rules: claimed and open profiles only, rate limits, blocks, privacy."""
from __future__ import annotations

import pytest

from web.accounts import ratelimit

pytestmark = pytest.mark.integration
SEED_PERSON = "shengding-hu"  # in the sample (tests/conftest.py)
MESSAGE = "Would you like to work together on parameter-efficient tuning for low-resource languages?"


def _followers(client, settings, rid=SEED_PERSON):
    return client.get(index=settings.alias("researchers"), id=rid, _source_includes=["followers_count"])[
        "_source"]["followers_count"]


def test_follow_and_unfollow_update_the_count_asynchronously(app_settings, people, client, run_jobs):
    before = _followers(client, app_settings)
    assert people["owner"].post(f"/me/follow/{SEED_PERSON}").status_code == 302
    assert people["other"].api("PUT", f"/api/me/following/{SEED_PERSON}").status_code == 200
    assert people["other"].api("PUT", f"/api/me/following/{SEED_PERSON}").status_code == 200  # idempotent
    assert _followers(client, app_settings) == before  # not in the request
    assert run_jobs() == 2
    assert _followers(client, app_settings) == 2
    assert people["other"].api("GET", "/api/me/following").get_json() == {"researcher_ids": [SEED_PERSON]}
    assert people["other"].api("DELETE", f"/api/me/following/{SEED_PERSON}").status_code == 200
    run_jobs()
    assert _followers(client, app_settings) == 1
    following = people["owner"].http.get("/me/following").get_data(as_text=True)
    assert "Shengding Hu" in following


def test_following_needs_a_session_and_a_real_profile(people, new_browser):
    anon = new_browser()
    assert anon.http.post(f"/me/follow/{SEED_PERSON}").status_code == 401
    resp = anon.http.put(f"/api/me/following/{SEED_PERSON}")
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "not_signed_in"
    assert anon.http.get("/me/feed").status_code == 401
    assert people["owner"].post("/me/follow/no-such-person-here").status_code == 404


def test_the_feed_lists_new_works_of_followed_people_newest_first(app_settings, people, client):
    owner = people["owner"]
    empty = owner.http.get("/me/feed").get_data(as_text=True)
    assert "Follow researchers to see their new works here." in empty
    works = client.search(index=app_settings.alias("works"), body={
        "size": 0, "aggs": {"a": {"terms": {"field": "author_ids", "size": 3}}}})
    prolific = [b["key"] for b in works["aggregations"]["a"]["buckets"]]
    for rid in [SEED_PERSON, *prolific]:
        assert owner.post(f"/me/follow/{rid}").status_code == 302
    page = owner.http.get("/me/feed").get_data(as_text=True)
    assert "Knowledgeable Prompt-tuning" in page
    from search.works import works_by_authors

    found = works_by_authors(client, app_settings, [SEED_PERSON, *prolific])
    years = [w.get("year") or 0 for w in found.results]
    assert years == sorted(years, reverse=True) and found.results
    assert all(set(w["authors"][0].keys()) >= {"id", "name"} for w in found.results)


def _open_profile(people, claim_and_approve):
    claim_and_approve()
    assert people["owner"].post(f"/me/profiles/{SEED_PERSON}/open", {"open": "y"}).status_code == 302


def test_nobody_can_message_an_unclaimed_or_closed_profile(people, new_browser, claim_and_approve):
    other = people["other"]
    resp = other.post(f"/me/invite/{SEED_PERSON}", {"message": MESSAGE})
    assert resp.status_code == 403 and "not claimed" in resp.get_data(as_text=True)
    assert other.api("POST", "/api/me/invitations", {"researcher_id": SEED_PERSON, "message": MESSAGE}
                     ).get_json()["error"]["code"] == "forbidden"
    claim_and_approve()
    resp = other.post(f"/me/invite/{SEED_PERSON}", {"message": MESSAGE})
    assert resp.status_code == 403 and "not open" in resp.get_data(as_text=True)
    assert new_browser().http.post(f"/me/invite/{SEED_PERSON}").status_code == 401


def test_only_the_owner_reads_and_answers_an_invitation_and_may_block_its_sender(people, new_browser, new_email,
                                                                                claim_and_approve):
    _open_profile(people, claim_and_approve)
    owner, other = people["owner"], people["other"]
    assert owner.post(f"/me/invite/{SEED_PERSON}", {"message": MESSAGE}).status_code == 403  # own profile
    too_long = other.post(f"/me/invite/{SEED_PERSON}", {"message": "x" * 1001})
    assert too_long.status_code == 400
    sent = other.post(f"/me/invite/{SEED_PERSON}", {"message": MESSAGE + " <b>bold</b>"})
    assert sent.status_code == 302
    inv_path = sent.headers["Location"].replace("http://localhost", "")
    inv_id = int(inv_path.rsplit("/", 1)[1])
    again = other.post(f"/me/invite/{SEED_PERSON}", {"message": MESSAGE})
    assert again.status_code == 409

    page = owner.http.get(inv_path).get_data(as_text=True)
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "Send answer" in page
    outsider = new_browser()
    outsider.sign_up(new_email("outsider"))
    assert outsider.http.get(inv_path).status_code == 403
    resp = outsider.api("GET", f"/api/me/invitations/{inv_id}")
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    assert outsider.post(f"/me/invitations/{inv_id}/answer", {"decision": "accept"}).status_code == 403
    assert other.post(f"/me/invitations/{inv_id}/answer", {"decision": "accept"}).status_code == 403
    assert other.post(f"/me/invitations/{inv_id}/block").status_code == 403

    assert owner.post(f"/me/invitations/{inv_id}/answer", {"decision": "accept", "note": "Gladly!"}
                      ).status_code == 302
    seen_by_sender = other.api("GET", f"/api/me/invitations/{inv_id}").get_json()
    assert seen_by_sender["status"] == "accepted" and seen_by_sender["answer_note"] == "Gladly!"
    assert seen_by_sender["contact"] == owner.email
    assert owner.post(f"/me/invitations/{inv_id}/answer", {"decision": "decline"}).status_code == 409

    second = other.api("POST", "/api/me/invitations", {"researcher_id": SEED_PERSON, "message": MESSAGE})
    assert second.status_code == 201 and "contact" not in second.get_json()
    assert owner.post(f"/me/invitations/{second.get_json()['id']}/block").status_code == 302
    blocked = other.post(f"/me/invite/{SEED_PERSON}", {"message": MESSAGE})
    assert blocked.status_code == 403 and "does not accept invitations from you" in blocked.get_data(as_text=True)
    received = owner.api("GET", "/api/me/invitations").get_json()["received"]
    assert [i["status"] for i in received] == ["declined", "accepted"]


def test_invitations_are_rate_limited(app, people, claim_and_approve):
    _open_profile(people, claim_and_approve)
    other = people["other"]
    user_id = other.api("GET", "/api/me").get_json()["id"]
    with app.app_context():
        for _ in range(ratelimit.INVITES_PER_HOUR.cap):
            ratelimit.hit(ratelimit.INVITES_PER_HOUR, str(user_id))
    resp = other.post(f"/me/invite/{SEED_PERSON}", {"message": MESSAGE})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    api = other.api("POST", "/api/me/invitations", {"researcher_id": SEED_PERSON, "message": MESSAGE})
    assert api.status_code == 429 and api.get_json()["error"]["code"] == "rate_limited"
