"""Claiming a profile, the admin review, owner edits synced by RQ into the real index,
undo, the full-build hook, and who may do none of it."""
from __future__ import annotations

import pytest

from domain.corrections import RESEARCHER_FIELDS, apply_overrides
from web.accounts import corrections, db, overrides
from web.accounts.models import Claim

pytestmark = pytest.mark.integration
SEED_PERSON, SEED_WORK = "shengding-hu", "2022.acl-long.158"  # in the sample (tests/conftest.py)


def _doc(client, settings, alias, doc_id):
    return client.get(index=settings.alias(alias), id=doc_id, _source_excludes=["embedding"])["_source"]


def _profile_works(client, settings, rid):
    body = {"size": 500, "_source": ["id"], "query": {"bool": {"filter": [{"term": {"author_ids": rid}}]}}}
    return {h["_id"] for h in client.search(index=settings.alias("works"), body=body)["hits"]["hits"]}


def _other_work(client, settings, rid):
    body = {"size": 1, "_source": ["id"], "sort": [{"id": "asc"}],
            "query": {"bool": {"must_not": [{"term": {"author_ids": rid}}, {"term": {"hidden": True}}]}}}
    return client.search(index=settings.alias("works"), body=body)["hits"]["hits"][0]["_id"]


def test_claim_needs_a_session_and_a_verified_address(new_browser, new_email):
    anon = new_browser()
    resp = anon.http.post(f"/account/claims/new/{SEED_PERSON}", data={"evidence": "x" * 30})
    assert resp.status_code == 401 and "Please sign in" in resp.get_data(as_text=True)
    resp = anon.http.post("/api/me/claims", json={"researcher_id": SEED_PERSON, "evidence": "x" * 30})
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "not_signed_in"
    unverified = new_browser()
    unverified.sign_up(new_email(), verify=False)
    resp = unverified.post(f"/account/claims/new/{SEED_PERSON}", {"evidence": "x" * 30})
    assert resp.status_code == 403 and "Verify your e-mail" in resp.get_data(as_text=True)


def test_the_review_queue_is_for_admins_and_shows_the_evidence(app_settings, people, new_browser):
    evidence = 'My page <script>alert("x")</script> lists these papers'
    assert people["owner"].post(f"/account/claims/new/{SEED_PERSON}",
                                {"evidence": evidence, "orcid": "0000-0002-1825-0097"}).status_code == 302
    again = people["owner"].post(f"/account/claims/new/{SEED_PERSON}", {"evidence": evidence})
    assert again.status_code == 409
    assert people["other"].http.get("/admin/claims").status_code == 403
    assert new_browser().http.get("/admin/claims").status_code == 401
    page = people["admin"].http.get("/admin/claims").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "0000-0002-1825-0097" in page and "Shengding Hu" in page
    with db.session_for(app_settings.accounts_database_url) as s:
        claim_id = s.query(Claim).one().id
    assert people["other"].post(f"/admin/claims/{claim_id}/approve").status_code == 403


def test_approval_makes_one_owner_and_the_job_reindexes_trust(app_settings, people, client, claim_and_approve):
    before = _doc(client, app_settings, "researchers", SEED_PERSON)
    assert people["other"].post(f"/account/claims/new/{SEED_PERSON}",
                                {"evidence": "I am also claiming this profile, honestly."}).status_code == 302
    claim_and_approve()
    after = _doc(client, app_settings, "researchers", SEED_PERSON)
    assert after["claimed"] is True and after["trust"]["claimed"] is True
    assert after["trust"]["level"] == "L3"
    assert after["trust"]["score"] == min(100, before["trust"]["score"] + 15)
    assert next(s for s in after["trust"]["signals"] if s["name"] == "claimed")["points"] == 15
    with db.session_for(app_settings.accounts_database_url) as s:
        statuses = {c.user.email: c.status for c in s.query(Claim)}
    assert statuses == {people["owner"].email: "approved", people["other"].email: "rejected"}
    resp = people["other"].post(f"/account/claims/new/{SEED_PERSON}", {"evidence": "x" * 30})
    assert resp.status_code == 200 and "already has a verified owner" in resp.get_data(as_text=True)
    resp = people["other"].api("POST", "/api/me/claims", {"researcher_id": SEED_PERSON, "evidence": "x" * 30})
    assert resp.status_code == 409


def test_owner_edits_reach_the_index_and_can_be_undone(app_settings, people, client, claim_and_approve, run_jobs):
    claim_and_approve()
    owner = people["owner"]
    other_work = _other_work(client, app_settings, SEED_PERSON)
    assert owner.post(f"/me/profiles/{SEED_PERSON}/open", {"open": "y"}).status_code == 302
    assert owner.post(f"/me/profiles/{SEED_PERSON}/affiliation",
                      {"affiliation": "Tsinghua University <NLP>"}).status_code == 302
    assert owner.post(f"/me/profiles/{SEED_PERSON}/hide", {"hide-work_id": SEED_WORK}).status_code == 302
    assert owner.post(f"/me/profiles/{SEED_PERSON}/attach", {"attach-work_id": other_work}).status_code == 302
    assert run_jobs() == 4

    doc = _doc(client, app_settings, "researchers", SEED_PERSON)
    assert doc["open_to_collaborate"] is True and doc["current_affiliation"] == "Tsinghua University <NLP>"
    assert SEED_WORK not in doc["work_ids"] and other_work in doc["work_ids"]
    assert doc["works_count"] == len(doc["work_ids"])
    assert SEED_PERSON not in _doc(client, app_settings, "works", SEED_WORK)["author_ids"]
    assert SEED_PERSON in _doc(client, app_settings, "works", other_work)["author_ids"]
    listed = _profile_works(client, app_settings, SEED_PERSON)
    assert SEED_WORK not in listed and other_work in listed

    history = owner.api("GET", f"/api/me/profiles/{SEED_PERSON}/corrections").get_json()["corrections"]
    assert [c["kind"] for c in history] == ["attach_work", "hide_work", "affiliation", "open_to_collaborate"]
    assert history[2]["value"] == "Tsinghua University <NLP>" and history[2]["previous"] != history[2]["value"]
    assert all(c["by"] == "Owner" for c in history)

    for c in history[:3]:  # undo attach, hide and the affiliation
        assert owner.post(f"/me/corrections/{c['id']}/undo").status_code == 302
    run_jobs()
    doc = _doc(client, app_settings, "researchers", SEED_PERSON)
    assert SEED_WORK in doc["work_ids"] and other_work not in doc["work_ids"]
    assert doc["current_affiliation"] == history[2]["previous"]
    assert doc["open_to_collaborate"] is True
    assert SEED_PERSON in _doc(client, app_settings, "works", SEED_WORK)["author_ids"]
    assert SEED_PERSON not in _doc(client, app_settings, "works", other_work)["author_ids"]
    assert owner.post(f"/me/corrections/{history[0]['id']}/undo").status_code == 409


def test_the_full_build_applies_the_same_owner_state(app_settings, people, client, indexed_sample,
                                                     claim_and_approve, run_jobs):
    """A rebuild starts from the source documents: the stored overrides must give the live state."""
    claim_and_approve()
    owner = people["owner"]
    other_work = _other_work(client, app_settings, SEED_PERSON)
    owner.post(f"/me/profiles/{SEED_PERSON}/affiliation", {"affiliation": "Somewhere Else"})
    owner.post(f"/me/profiles/{SEED_PERSON}/hide", {"hide-work_id": SEED_WORK})
    owner.post(f"/me/profiles/{SEED_PERSON}/attach", {"attach-work_id": other_work})
    owner.post(f"/me/follow/{SEED_PERSON}")
    run_jobs()
    live = _doc(client, app_settings, "researchers", SEED_PERSON)

    loaded = overrides.load_overrides(app_settings)
    source = _doc(client, indexed_sample, "researchers", SEED_PERSON)  # as the build writes it
    rebuilt = apply_overrides(dict(source), loaded)
    for key in RESEARCHER_FIELDS:
        assert rebuilt.get(key) == live.get(key), key
    assert rebuilt["followers_count"] == 1
    rebuilt_works = list(loaded.works([_doc(client, indexed_sample, "works", w) for w in (SEED_WORK, other_work)]))
    assert SEED_PERSON not in rebuilt_works[0]["author_ids"] and SEED_PERSON in rebuilt_works[1]["author_ids"]


def test_nobody_else_edits_a_profile(people, new_browser, claim_and_approve):
    claim_and_approve()
    other, anon = people["other"], new_browser()
    assert other.http.get(f"/me/profiles/{SEED_PERSON}").status_code == 403
    for path, data in ((f"/me/profiles/{SEED_PERSON}/open", {"open": "y"}),
                       (f"/me/profiles/{SEED_PERSON}/affiliation", {"affiliation": "X"}),
                       (f"/me/profiles/{SEED_PERSON}/hide", {"hide-work_id": SEED_WORK}),
                       (f"/me/profiles/{SEED_PERSON}/requests", {"kind": "split", "detail": "x" * 20})):
        assert other.post(path, data).status_code == 403, path
        assert anon.http.post(path, data=data).status_code == 401, path
    resp = other.api("POST", f"/api/me/profiles/{SEED_PERSON}/corrections",
                     {"kind": "affiliation", "value": "Nowhere"})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    owner_change = people["owner"].api("POST", f"/api/me/profiles/{SEED_PERSON}/corrections",
                                       {"kind": "open_to_collaborate", "value": True})
    assert owner_change.status_code == 201
    assert other.post(f"/me/corrections/{owner_change.get_json()['id']}/undo").status_code == 403
    assert other.api("POST", f"/api/me/corrections/{owner_change.get_json()['id']}/undo").status_code == 403


def test_split_and_merge_requests_go_to_the_admins(app_settings, people, client, claim_and_approve):
    claim_and_approve()
    owner = people["owner"]
    bad = owner.post(f"/me/profiles/{SEED_PERSON}/requests", {"kind": "merge", "other_id": "nobody-at-all",
                                                              "detail": "Same person, other spelling."})
    assert bad.status_code == 400
    other_person = _doc(client, app_settings, "works", SEED_WORK)["author_ids"][-1]
    ok = owner.post(f"/me/profiles/{SEED_PERSON}/requests", {"kind": "merge", "other_id": other_person,
                                                             "detail": "Same person, other spelling."})
    assert ok.status_code == 302
    page = people["admin"].http.get("/admin/requests").get_data(as_text=True)
    assert "Same person, other spelling." in page and other_person in page
    assert people["other"].http.get("/admin/requests").status_code == 403


def test_an_admin_takes_a_wrong_work_off_a_profile_and_undoes_it(app_settings, people, client, run_jobs):
    """A link the resolver got wrong: an admin hides the work from an unclaimed profile, with
    who and when in the history, and can undo it; the fields of the profile stay the owner's."""
    admin, other = people["admin"], people["other"]
    assert other.post(f"/me/profiles/{SEED_PERSON}/hide", {"hide-work_id": SEED_WORK}).status_code == 403
    assert admin.post(f"/me/profiles/{SEED_PERSON}/hide", {"hide-work_id": SEED_WORK}).status_code == 302
    assert admin.post(f"/me/profiles/{SEED_PERSON}/open", {"open": "y"}).status_code == 403
    run_jobs()
    assert SEED_PERSON not in _doc(client, app_settings, "works", SEED_WORK)["author_ids"]
    assert SEED_WORK not in _profile_works(client, app_settings, SEED_PERSON)

    page = admin.http.get(f"/me/profiles/{SEED_PERSON}").get_data(as_text=True)
    assert "Work hidden from this profile" in page
    with db.session_for(app_settings.accounts_database_url) as s:
        [row] = [c for c in corrections.history(s, SEED_PERSON) if c["kind"] == "hide_work"]
        assert row["value"] == SEED_WORK and row["at"] is not None and row["by"] == "Admin"
    assert other.post(f"/me/corrections/{row['id']}/undo").status_code == 403
    assert admin.post(f"/me/corrections/{row['id']}/undo").status_code == 302
    run_jobs()
    assert SEED_PERSON in _doc(client, app_settings, "works", SEED_WORK)["author_ids"]
