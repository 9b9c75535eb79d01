"""Leaving: a person downloads everything the store holds about their account, and deletes it;
the claimed profile returns to unclaimed through the sync job (index and trust), their edits
stay in the profile's history as made by a deleted account, follows and pending invitations go."""
from __future__ import annotations

import json

import pytest

from web.accounts import db, mail
from web.accounts.models import Claim, Follow, Invitation, KnownWork, User

pytestmark = pytest.mark.integration
SEED_PERSON = "shengding-hu"
MESSAGE = "Would you like to work together on parameter-efficient tuning for low-resource languages?"


def _researcher(client, settings):
    return client.get(index=settings.alias("researchers"), id=SEED_PERSON)["_source"]


def _owner_with_everything(people, claim_and_approve, run_jobs):
    owner, other = people["owner"], people["other"]
    claim_and_approve()
    assert owner.post(f"/me/profiles/{SEED_PERSON}/open", {"open": "y"}).status_code == 302
    assert owner.post("/account/settings", {"claim_decisions": "y", "digest": "weekly"}).status_code == 302
    assert other.post(f"/me/follow/{SEED_PERSON}").status_code == 302
    assert other.post(f"/me/invite/{SEED_PERSON}", {"message": MESSAGE}).status_code == 302
    run_jobs()
    return owner, other


def test_the_download_holds_everything_about_the_account(people, claim_and_approve, run_jobs, new_browser):
    owner, other = _owner_with_everything(people, claim_and_approve, run_jobs)
    assert new_browser().http.get("/account/export").status_code == 401
    resp = owner.http.get("/account/export")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert "attachment" in resp.headers["Content-Disposition"] and resp.headers["Cache-Control"] == "no-store"
    data = json.loads(resp.get_data(as_text=True))
    assert data["account"]["email"] == owner.email and data["account"]["display_name"] == "Owner"
    assert "password" not in json.dumps(data["account"])
    assert [c["status"] for c in data["claims"]] == ["approved"]
    assert data["claims"][0]["evidence"].startswith("My institutional page")
    assert [e["kind"] for e in data["profile_edits"]] == ["open_to_collaborate"]
    assert data["mail_settings"]["digest"] == "weekly" and data["mail_settings"]["invitations"] is False
    assert [(i["direction"], i["with"], i["status"]) for i in data["invitations"]] == [("received", "Other", "pending")]
    theirs = json.loads(other.http.get("/account/export").get_data(as_text=True))
    assert [f["researcher_id"] for f in theirs["following"]] == [SEED_PERSON]
    assert theirs["digests"]["works_known_when_following_began"] > 0
    assert theirs["invitations"][0]["direction"] == "sent" and theirs["invitations"][0]["message"] == MESSAGE


def test_deleting_releases_the_claim_and_removes_follows_and_pending_invitations(
        app_settings, people, claim_and_approve, run_jobs, client, new_browser):
    owner, other = _owner_with_everything(people, claim_and_approve, run_jobs)
    claimed = _researcher(client, app_settings)
    assert claimed["claimed"] is True and claimed["open_to_collaborate"] is True
    assert owner.post(f"/me/follow/{SEED_PERSON}").status_code == 302
    run_jobs()
    assert _researcher(client, app_settings)["followers_count"] == 2
    page = owner.http.get("/account/delete").get_data(as_text=True)
    assert "download everything" in page
    refused = owner.post("/account/delete", {"password": "not the password", "confirm": "y"})
    assert refused.status_code == 400 and "not deleted" in refused.get_data(as_text=True)
    assert owner.post("/account/delete", {"password": owner.password}).status_code == 400  # not confirmed
    gone = owner.post("/account/delete", {"password": owner.password, "confirm": "y"})
    assert gone.status_code == 200 and "unclaimed within a minute" in gone.get_data(as_text=True)
    assert [m["subject"] for m in mail.outbox(app_settings) if m["to"] == owner.email][-1] == \
        "Your Peerscope account was deleted"
    # signed out, and nobody signs in to it again
    assert owner.http.get("/account").status_code == 401
    assert new_browser().sign_in(owner.email).status_code == 400
    run_jobs()
    after = _researcher(client, app_settings)
    assert after["claimed"] is False and after["trust"]["level"] != "L3"
    assert after["trust"]["score"] == claimed["trust"]["score"] - 15
    assert after["followers_count"] == 1  # the deleted account's follow is gone, the other stays
    with db.session_for(app_settings.accounts_database_url) as s:
        user = s.query(User).filter(User.deleted_at.is_not(None)).one()
        assert user.email.endswith("@deleted.invalid") and user.display_name == "a deleted account"
        assert {c.status for c in s.query(Claim).filter_by(user_id=user.id)} == {"released"}
        assert s.query(Follow).filter_by(user_id=user.id).count() == 0
        assert s.query(KnownWork).filter_by(user_id=user.id).count() == 0
        assert s.query(Invitation).filter_by(recipient_id=user.id).count() == 0
    # the profile shows the edit as made by a deleted account; anyone may claim it again
    profile = other.http.get(f"/researchers/{SEED_PERSON}").get_data(as_text=True)
    assert "a deleted account" in profile and "Claim this profile" in profile
    assert other.http.get("/me/invitations").get_data(as_text=True).count(MESSAGE) == 0
    # the address is free for a new account
    new_browser().sign_up(owner.email, name="Owner again")
    assert new_browser().sign_in(owner.email).status_code == 302
