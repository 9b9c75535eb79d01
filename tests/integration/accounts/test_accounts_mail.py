"""Mail about the account and what others do with it, through the development outbox: password
reset by a single-use link, a change of address proven by the new address, claim decisions,
invitations and their answers to both sides, and the per-person settings that turn each off."""
from __future__ import annotations

import re

import pytest

from web.accounts import mail

pytestmark = pytest.mark.integration
SEED_PERSON = "shengding-hu"
NEW_PASSWORD = "a completely different passphrase"
MESSAGE = "Would you like to work together on parameter-efficient tuning for low-resource languages?"


def _mails(settings, to):
    return [m for m in mail.outbox(settings) if m["to"] == to]


def _path(body: str, kind: str) -> str:
    return re.search(rf"https?://[^/\s]+(/account/{kind}/\S+)", body).group(1)


def test_a_forgotten_password_is_reset_by_a_single_use_link(app_settings, new_browser, new_email):
    email = new_email("reset")
    first = new_browser()
    first.sign_up(email)
    anon = new_browser()
    page = anon.http.get("/account/login").get_data(as_text=True)
    assert "/account/password/forgot" in page
    resp = anon.post("/account/password/forgot", {"email": email.upper()})
    assert resp.status_code == 200 and "If an account uses" in resp.get_data(as_text=True)
    nobody = new_email("nobody")
    same = anon.post("/account/password/forgot", {"email": nobody})
    assert same.status_code == 200 and "If an account uses" in same.get_data(as_text=True)
    assert _mails(app_settings, nobody) == []  # nothing says whether the address is registered
    reset = _mails(app_settings, email)[-1]
    assert reset["subject"] == "Reset your Peerscope password" and "one hour" in reset["body"]
    path = _path(reset["body"], "password/reset")
    assert anon.http.get(path).status_code == 200
    short = anon.post(path, {"password": "short"})
    assert short.status_code == 400
    done = anon.post(path, {"password": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/account")
    assert anon.http.get("/account").status_code == 200  # signed in by the reset
    # single use: the password it was bound to is gone
    assert anon.http.get(path).status_code == 400
    assert anon.post(path, {"password": "yet another passphrase here"}).status_code == 400
    # the old password no longer works, the new one does; the session from before has ended
    assert first.http.get("/account").status_code == 401
    assert new_browser().sign_in(email).status_code == 400
    assert new_browser().sign_in(email, NEW_PASSWORD).status_code == 302


def test_a_reset_link_ends_with_the_next_password_change(app_settings, new_browser, new_email):
    email = new_email("change")
    me = new_browser()
    me.sign_up(email)
    me.post("/account/password/forgot", {"email": email})
    path = _path(_mails(app_settings, email)[-1]["body"], "password/reset")
    wrong = me.post("/account/password", {"current": "not my password", "password": NEW_PASSWORD})
    assert wrong.status_code == 400 and "current password is not right" in wrong.get_data(as_text=True)
    ok = me.post("/account/password", {"current": me.password, "password": NEW_PASSWORD})
    assert ok.status_code == 302
    assert me.http.get("/account").status_code == 200  # this session goes on
    assert new_browser().http.get(path).status_code == 400  # the link from before the change is dead


def test_a_new_address_is_used_only_once_it_is_confirmed_and_the_old_one_is_told(app_settings, new_browser,
                                                                               new_email):
    old, new = new_email("old"), new_email("new")
    me = new_browser()
    me.sign_up(old)
    assert me.post("/account/email", {"email": new, "password": "wrong password!"}).status_code == 400
    resp = me.post("/account/email", {"email": new, "password": me.password})
    assert resp.status_code == 302
    confirm = _mails(app_settings, new)[-1]
    assert confirm["subject"] == "Confirm your new e-mail address for Peerscope"
    warned = _mails(app_settings, old)[-1]
    assert new in warned["body"] and "keeps working" in warned["body"]
    assert new in me.http.get("/account").get_data(as_text=True)  # shown as waiting
    # until the link is opened the old address is the account's
    assert new_browser().sign_in(old).status_code == 302
    assert new_browser().sign_in(new).status_code == 400
    path = _path(confirm["body"], "email/confirm")
    assert new_browser().http.get(path).status_code == 302
    assert new_browser().sign_in(new).status_code == 302
    assert new_browser().sign_in(old).status_code == 400
    assert "now uses " + new in _mails(app_settings, old)[-1]["body"]
    assert new_browser().http.get(path).status_code == 400  # used


def test_a_new_address_another_account_took_meanwhile_is_refused(app_settings, new_browser, new_email):
    mine, theirs = new_email("mine"), new_email("theirs")
    me = new_browser()
    me.sign_up(mine)
    me.post("/account/email", {"email": theirs, "password": me.password})
    path = _path(_mails(app_settings, theirs)[-1]["body"], "email/confirm")
    new_browser().sign_up(theirs)
    resp = new_browser().http.get(path)
    assert resp.status_code == 409 and "Another account uses that address" in resp.get_data(as_text=True)
    assert new_browser().sign_in(mine).status_code == 302


def test_claim_decisions_are_mailed_to_the_claimant_with_the_reason(app_settings, people, claim_and_approve,
                                                                    new_browser, new_email):
    rival = new_browser()
    rival.sign_up(rival_email := new_email("rival"))
    evidence = {"evidence": "My institutional page lists these papers under my name.", "orcid": ""}
    assert rival.post(f"/account/claims/new/{SEED_PERSON}", evidence).status_code == 302
    claim_and_approve()
    approved = _mails(app_settings, people["owner"].email)[-1]
    assert approved["subject"] == f"Your claim of {SEED_PERSON} is approved"
    assert "within a minute" in approved["body"] and "checked" in approved["body"]
    declined = _mails(app_settings, rival_email)[-1]
    assert declined["subject"] == f"Your claim of {SEED_PERSON} was declined"
    assert "Another claim of this profile was approved." in declined["body"]


def test_a_declined_claim_says_why_and_settings_turn_decision_mail_off(app_settings, people, client):
    from web.accounts import db
    from web.accounts.models import Claim

    other, admin = people["other"], people["admin"]
    evidence = {"evidence": "My institutional page lists these papers under my name.", "orcid": ""}
    assert other.post(f"/account/claims/new/{SEED_PERSON}", evidence).status_code == 302
    with db.session_for(app_settings.accounts_database_url) as s:
        cid = max(c.id for c in s.query(Claim))
    resp = admin.post(f"/admin/claims/{cid}/reject", {"note": "The ORCID record lists other works."})
    assert resp.status_code == 302
    mailed = _mails(app_settings, other.email)[-1]
    assert mailed["subject"] == f"Your claim of {SEED_PERSON} was declined"
    assert "The reviewer's reason: The ORCID record lists other works." in mailed["body"]
    # turn decision mail off: the next decision is not mailed (and the admin is told so)
    page = other.http.get("/account/settings").get_data(as_text=True)
    assert 'name="claim_decisions"' in page and "checked" in page
    assert other.post("/account/settings", {"invitations": "y", "invitation_answers": "y",
                                            "digest": "none"}).status_code == 302
    assert other.post(f"/account/claims/new/{SEED_PERSON}", evidence).status_code == 302
    with db.session_for(app_settings.accounts_database_url) as s:
        cid = max(c.id for c in s.query(Claim))
    before = len(_mails(app_settings, other.email))
    admin.post(f"/admin/claims/{cid}/reject", {"note": "still not enough"})
    assert len(_mails(app_settings, other.email)) == before
    queue = admin.http.get("/admin/claims").get_data(as_text=True)
    assert "gets no mail about decisions" in queue


def test_invitations_and_answers_are_mailed_to_both_sides_unless_turned_off(app_settings, people,
                                                                           claim_and_approve):
    owner, other = people["owner"], people["other"]
    claim_and_approve()
    assert owner.post(f"/me/profiles/{SEED_PERSON}/open", {"open": "y"}).status_code == 302
    assert other.post(f"/me/invite/{SEED_PERSON}", {"message": MESSAGE}).status_code == 302
    to_owner = _mails(app_settings, owner.email)[-1]
    assert to_owner["subject"] == "Other invites you to collaborate" and "> " + MESSAGE in to_owner["body"]
    assert "/me/invitations/" in to_owner["body"] and other.email not in to_owner["body"]
    copy = _mails(app_settings, other.email)[-1]
    assert copy["subject"] == "Your invitation to Owner was sent"
    inv_id = int(re.search(r"/me/invitations/(\d+)", to_owner["body"]).group(1))
    # the sender turns answers off; the owner still gets their own confirmation
    assert other.post("/account/settings", {"claim_decisions": "y", "invitations": "y",
                                            "digest": "none"}).status_code == 302
    before = len(_mails(app_settings, other.email))
    resp = owner.post(f"/me/invitations/{inv_id}/answer", {"decision": "accept", "note": "Gladly."})
    assert resp.status_code == 302
    assert len(_mails(app_settings, other.email)) == before
    mine = _mails(app_settings, owner.email)[-1]
    assert mine["subject"] == "You accepted the invitation from Other" and other.email in mine["body"]
    # answers on again: a declined invitation reaches the sender with the note, and no address
    assert other.post("/account/settings", {"claim_decisions": "y", "invitations": "y", "invitation_answers": "y",
                                            "digest": "none"}).status_code == 302
    assert other.post(f"/me/invite/{SEED_PERSON}", {"message": MESSAGE + " Again."}).status_code == 302
    inv2 = int(re.search(r"/me/invitations/(\d+)", _mails(app_settings, owner.email)[-1]["body"]).group(1))
    assert owner.api("POST", f"/api/me/invitations/{inv2}/answer",
                     {"decision": "decline", "note": "Not this year."}).status_code == 200
    told = _mails(app_settings, other.email)[-1]
    assert told["subject"] == "Owner declined your invitation" and "Not this year." in told["body"]
    assert owner.email not in told["body"]


def test_approve_claims_says_when_the_profile_updates(app_settings, people, monkeypatch, redis_conn, run_jobs):
    from click.testing import CliRunner
    from rq import Queue, Worker

    from web.accounts import db
    from web.accounts.cli import accounts_group
    from web.accounts.models import Claim

    for name, value in (("PEERSCOPE_STATE_DIR", str(app_settings.state_dir)), ("PEERSCOPE_QUEUE", app_settings.queue_name),
                        ("PEERSCOPE_INDEX_PREFIX", app_settings.index_prefix)):
        monkeypatch.setenv(name, value)
    evidence = {"evidence": "My institutional page lists these papers under my name.", "orcid": ""}
    owner = people["owner"]
    assert owner.post(f"/account/claims/new/{SEED_PERSON}", evidence).status_code == 302
    with db.session_for(app_settings.accounts_database_url) as s:
        cid = max(c.id for c in s.query(Claim))
    result = CliRunner().invoke(accounts_group, ["approve-claims", "--approve", str(cid), "--note", "ok"])
    assert result.exit_code == 0, result.output
    assert f"{owner.email} was told by mail" in result.output
    assert "1 index syncs queued, but no worker is running" in result.output
    assert "the profile updates once one runs (`peerscope run`" in result.output
    assert "within a minute" in _mails(app_settings, owner.email)[-1]["body"]
    run_jobs()
    # with a worker registered on the queue, the same output says when
    import click

    from peerscope.config import load_settings
    from web.accounts.cli import queue_syncs
    from web.accounts.jobs import event_key, record_sync

    with db.transaction(app_settings.accounts_database_url) as s:
        key = event_key(record_sync(s, SEED_PERSON, "test"))
    worker = Worker([Queue(app_settings.queue_name, connection=redis_conn)], connection=redis_conn)
    worker.register_birth()
    try:
        out = CliRunner().invoke(click.command()(lambda: queue_syncs(load_settings(), [key],
                                                                     what="the profile updates"))).output
        assert "1 index syncs queued; the profile updates within a minute (1 worker(s) running)" in out
    finally:
        worker.register_death()
        redis_conn.delete(worker.key)
        run_jobs()
