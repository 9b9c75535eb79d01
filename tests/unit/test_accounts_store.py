"""The accounts store on a SQLite file: migrations, constraints and the domain rules (no search
engine, no Redis), and the CLI commands that need neither.

PEERSCOPE_TEST_DATABASE_URL=postgresql+psycopg://... runs the same store tests on PostgreSQL
(the schema is dropped and migrated again for each test).
"""
from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy.exc import IntegrityError

from web.accounts import claims, corrections, db, follows, invitations, users
from web.accounts.errors import Conflict, Invalid, NotAllowed
from web.accounts.models import Base, Claim

pytestmark = pytest.mark.unit
PASSWORD = "correct horse battery staple"


@pytest.fixture()
def url(tmp_path):
    u = os.environ.get("PEERSCOPE_TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'store.db'}"
    db.downgrade(u, "base")
    db.upgrade(u)
    yield u
    db.dispose(u)
    if not u.startswith("sqlite"):
        db.downgrade(u, "base")


@pytest.fixture()
def session(url):
    with db.session_for(url) as s:
        yield s


def _person(session, email, verified=True):
    user, created = users.sign_up(session, email, email.split("@")[0], PASSWORD)
    assert created
    if verified:
        from web.accounts.models import utcnow

        user.email_verified_at = utcnow()
    session.flush()
    return user


def test_migrations_match_the_models_and_go_down_again(url):
    with db.engine_for(url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert db.current_revision(url) is not None
    db.downgrade(url, "base")
    assert not db.is_ready(url)
    db.upgrade(url)
    assert db.is_ready(url)


def test_sign_up_normalises_and_authenticates(session):
    user = _person(session, "Ana@Example.org", verified=False)
    assert user.email == "ana@example.org"
    again, created = users.sign_up(session, "ANA@example.org", "Someone", "another long password")
    assert not created and again.id == user.id
    assert users.authenticate(session, "ana@example.org", PASSWORD).id == user.id
    assert users.authenticate(session, "ana@example.org", "wrong password") is None
    assert users.authenticate(session, "nobody@example.org", PASSWORD) is None
    with pytest.raises(Invalid):
        users.sign_up(session, "ana2@example.org", "Ana", "ana2@example.org")


def test_one_owner_per_profile_also_in_the_database(session):
    a, b = _person(session, "a@example.org"), _person(session, "b@example.org")
    first = claims.submit(session, a, "r1", "evidence long enough to read", None)
    second = claims.submit(session, b, "r1", "evidence long enough to read", "0000-0002-1825-0097")
    with pytest.raises(Conflict):
        claims.submit(session, a, "r1", "evidence long enough to read", None)
    claims.approve(session, first.id, "admin@example.org")
    assert second.status == "rejected" and claims.owns(session, a, "r1") and not claims.owns(session, b, "r1")
    with pytest.raises(Conflict):
        claims.submit(session, b, "r1", "evidence long enough to read", None)
    session.add(Claim(researcher_id="r1", user_id=b.id, evidence="x", status="approved"))
    with pytest.raises(IntegrityError):  # the partial unique index, whatever the code does
        session.flush()
    session.rollback()


def test_a_claim_needs_a_verified_address_evidence_and_a_valid_orcid_and_is_decided_once(session):
    unverified, user = _person(session, "u@example.org", verified=False), _person(session, "v@example.org")
    with pytest.raises(NotAllowed):
        claims.submit(session, unverified, "r1", "evidence long enough to read", None)
    with pytest.raises(Invalid):
        claims.submit(session, user, "r1", "short", None)
    with pytest.raises(Invalid):
        claims.submit(session, user, "r1", "evidence long enough to read", "0000-0002-1825-0098")
    claim = claims.submit(session, user, "r1", "evidence long enough to read", None)
    claims.reject(session, claim.id, "admin@example.org", "no evidence")
    with pytest.raises(Conflict):
        claims.approve(session, claim.id, "admin@example.org")


def test_corrections_keep_who_when_and_before_and_undo_in_order(session):
    owner, other = _person(session, "o@example.org"), _person(session, "x@example.org")
    claims.approve(session, claims.submit(session, owner, "r1", "evidence long enough to read", None).id, "adm")
    doc = {"id": "r1", "current_affiliation": "Old U"}
    first, _ = corrections.set_affiliation(session, owner, doc, "A")
    second, _ = corrections.set_affiliation(session, owner, doc, "B")
    assert (first.previous, second.previous) == ("Old U", "A")
    with pytest.raises(NotAllowed):
        corrections.set_affiliation(session, other, doc, "Mine now")
    with pytest.raises(Conflict):
        corrections.undo(session, owner, first.id)  # a later edit of the field is in effect
    with pytest.raises(NotAllowed):
        corrections.undo(session, other, second.id)
    corrections.undo(session, owner, second.id)
    corrections.undo(session, owner, first.id)
    shown = corrections.history(session, "r1")
    assert shown == []
    full = corrections.history(session, "r1", include_undone=True)
    assert [(c["value"], c["undone"], c["by"]) for c in full] == [("B", True, "o"), ("A", True, "o")]
    work_theirs = {"id": "w1", "authors": [{"id": "r1"}]}
    work_other = {"id": "w2", "authors": [{"id": "zz"}]}
    with pytest.raises(Invalid):
        corrections.hide_work(session, owner, doc, work_other)
    with pytest.raises(Conflict):
        corrections.attach_work(session, owner, doc, work_theirs)
    corrections.hide_work(session, owner, doc, work_theirs)
    with pytest.raises(Conflict):
        corrections.hide_work(session, owner, doc, work_theirs)


def test_follows_are_idempotent_and_counted(session):
    user = _person(session, "f@example.org")
    assert follows.follow(session, user, "r1") is not None
    assert follows.follow(session, user, "r1") is None
    assert follows.count(session, "r1") == 1 and follows.following(session, user) == ["r1"]
    assert follows.unfollow(session, user, "r1") is not None and follows.unfollow(session, user, "r1") is None


def test_invitations_reach_only_claimed_open_profiles_and_stop_once_blocked(session):
    owner, sender, third = (_person(session, f"{n}@example.org") for n in ("own", "snd", "thd"))
    with pytest.raises(NotAllowed, match="not claimed"):
        invitations.send(session, sender, "r1", "a long enough message")
    claims.approve(session, claims.submit(session, owner, "r1", "evidence long enough to read", None).id, "adm")
    with pytest.raises(NotAllowed, match="not open"):
        invitations.send(session, sender, "r1", "a long enough message")
    corrections.set_open(session, owner, {"id": "r1"}, True)
    with pytest.raises(Invalid):
        invitations.send(session, sender, "r1", "x" * (invitations.MESSAGE_MAX + 1))
    inv = invitations.send(session, sender, "r1", "a long enough message")
    with pytest.raises(NotAllowed):
        invitations.get_for(session, third, inv.id)
    with pytest.raises(NotAllowed):
        invitations.answer(session, sender, inv.id, True)
    invitations.block(session, owner, inv.id)
    assert inv.status == "declined"
    with pytest.raises(NotAllowed, match="does not accept"):
        invitations.send(session, sender, "r1", "a long enough message")
    invitations.unblock(session, owner, sender.id)
    assert invitations.send(session, sender, "r1", "a long enough message").status == "pending"


def test_cli_migrates_shows_the_outbox_and_decides_pending_claims(tmp_path, monkeypatch):
    from web.accounts import mail
    from web.accounts.cli import accounts_group
    from peerscope.config import load_settings

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("PEERSCOPE_DATABASE_URL", url)
    monkeypatch.setenv("PEERSCOPE_STATE_DIR", str(tmp_path))
    runner = CliRunner()
    result = runner.invoke(accounts_group, ["migrate"])
    assert result.exit_code == 0 and "revision" in result.output
    mail.send(load_settings(), "ana@example.org", "Confirm", "Open http://localhost/account/verify/tok123 now")
    result = runner.invoke(accounts_group, ["outbox", "--links"])
    assert result.output.strip() == "http://localhost/account/verify/tok123"
    assert "Subject: Confirm" in runner.invoke(accounts_group, ["outbox"]).output
    with db.transaction(url) as s:
        claims.submit(s, _person(s, "c@example.org"), "r9", "my page lists these papers", None)
    result = runner.invoke(accounts_group, ["approve-claims"])
    assert "1 pending claims" in result.output and "my page lists these papers" in result.output
    result = runner.invoke(accounts_group, ["approve-claims", "--reject", "1", "--note", "not enough"])
    assert result.exit_code == 0 and "declined claim 1 (not enough)" in result.output
    assert "c@example.org was told by mail" in result.output
    told = [m for m in mail.outbox(load_settings()) if m["to"] == "c@example.org"][-1]
    assert told["subject"] == "Your claim of r9 was declined" and "The reviewer's reason: not enough" in told["body"]
    db.dispose(url)
