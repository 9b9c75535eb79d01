"""Fixtures of the accounts tests: an indexed sample of our own (owner edits must not leak into
other tests' sample), a migrated SQLite file per test (or the PostgreSQL database in
PEERSCOPE_TEST_DATABASE_URL, emptied per test), the real Redis (rate limits, RQ), a burst
worker that runs the queued syncs, and people who sign up and sign in through the forms.
"""
from __future__ import annotations

import os
import re
import uuid
from dataclasses import replace

import pytest

ADMIN = "admin@example.org"
SEED_PERSON = "shengding-hu"  # in the sample (tests/conftest.py)
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture(scope="session")
def accounts_index(build_sample):
    """A sample index of our own ("test-sample-accounts-<id>-"), built by the real indexer: owner
    edits change it, so the shared sample stays as the source data for the full-build check.
    (Copying the shared sample with _reindex is not an option: on OpenSearch 3 the scroll over
    derived knn vectors leaves the source index failing every GET with "Already closed".)"""
    return build_sample("accounts")


@pytest.fixture()
def app_settings(accounts_index, tmp_path, monkeypatch):
    """Settings of one test: its own SQLite file, outbox and queue; the shared index copy."""
    from web.accounts import db

    url = os.environ.get("PEERSCOPE_TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'accounts.db'}"
    db.downgrade(url, "base")  # a PostgreSQL store given for the tests starts empty each time
    db.upgrade(url)
    # RQ jobs read their settings from the environment (like the indexer's jobs).
    monkeypatch.setenv("PEERSCOPE_DATABASE_URL", url)
    s = replace(accounts_index, database_url=url, state_dir=tmp_path, admin_emails=(ADMIN,),
                mail_backend="outbox", queue_name=f"{accounts_index.index_prefix}q-{uuid.uuid4().hex[:6]}")
    yield s
    db.dispose(url)


def _restore_index(client, pristine, target) -> None:
    """Put back, from the untouched shared sample, every document this test's store touched."""
    from domain.corrections import WORK_KINDS
    from web.accounts import db
    from web.accounts.jobs import WRITTEN
    from web.accounts.models import Correction, SyncEvent

    with db.session_for(target.accounts_database_url) as s:
        rids = {e.researcher_id for e in s.query(SyncEvent)}
        wids = {c.value for c in s.query(Correction).filter(Correction.kind.in_(WORK_KINDS))}
    for alias, ids, fields in (("researchers", rids, list(WRITTEN)), ("works", wids, ["author_ids"])):
        for doc_id in ids:
            src = client.get(index=pristine.alias(alias), id=doc_id, _source_includes=fields)["_source"]
            client.update(index=target.alias(alias), id=doc_id, body={"doc": {f: src.get(f) for f in fields}},
                          refresh=True)


@pytest.fixture()
def app(app_settings, redis_conn, client, indexed_sample):
    from web import create_app

    application = create_app(app_settings, embed=lambda text: [0.0] * app_settings.embedding_dims)
    yield application
    _restore_index(client, indexed_sample, app_settings)
    for key in redis_conn.scan_iter(f"{app_settings.index_prefix}rl:*"):
        redis_conn.delete(key)
    redis_conn.delete(f"rq:queue:{app_settings.queue_name}")


@pytest.fixture()
def run_jobs(app_settings, run_queued_jobs):
    """run_jobs() -> how many ran: the jobs this test queued, run now (the index refreshed)."""
    return lambda: run_queued_jobs(app_settings)


class Browser:
    """A test client with a session, that signs up, signs in and posts forms with their CSRF token."""

    password = "correct horse battery staple"

    def __init__(self, app, settings):
        self.app, self.settings = app, settings
        self.http = app.test_client()

    def token(self) -> str:
        html = self.http.get("/account/login").get_data(as_text=True)
        return _TOKEN.search(html).group(1)

    def post(self, path: str, data: dict | None = None, **kw):
        return self.http.post(path, data={"csrf_token": self.token(), **(data or {})}, **kw)

    def api(self, method: str, path: str, json=None):
        token = self.http.get("/api/me").get_json().get("csrf_token", "")
        return self.http.open(path, method=method, json=json, headers={"X-CSRFToken": token})

    def sign_up(self, email: str, name: str = "Test Person", verify: bool = True):
        from web.accounts import mail

        resp = self.post("/account/signup", {"email": email, "display_name": name, "password": self.password})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        if verify:
            body = [m for m in mail.outbox(self.settings) if m["to"] == email][-1]["body"]
            path = re.search(r"https?://[^/\s]+(/account/verify/\S+)", body).group(1)
            assert self.http.get(path).status_code == 302
        return resp

    def sign_in(self, email: str, password: str | None = None):
        return self.post("/account/login", {"email": email, "password": password or self.password})


@pytest.fixture()
def new_browser(app, app_settings):
    """new_browser() -> a Browser of its own, not signed in."""
    return lambda: Browser(app, app_settings)


@pytest.fixture()
def new_email():
    """new_email(tag="user") -> an address nobody has signed up with."""
    return lambda tag="user": f"{tag}-{uuid.uuid4().hex[:8]}@example.org"


@pytest.fixture()
def people(new_browser, new_email):
    """Signed-up, verified people with their own sessions: admin, owner, other."""
    out = {}
    for role, email in (("admin", ADMIN), ("owner", new_email("owner")), ("other", new_email("other"))):
        b = new_browser()
        b.sign_up(email, name=role.capitalize())
        b.email = email
        out[role] = b
    return out


@pytest.fixture()
def claim_and_approve(people, app_settings, run_jobs):
    """claim_and_approve(researcher_id=SEED_PERSON) -> claim id: the owner claims the profile,
    the admin approves it, the sync job runs."""
    from web.accounts import db
    from web.accounts.models import Claim

    def claim(researcher_id: str = SEED_PERSON) -> int:
        owner, admin = people["owner"], people["admin"]
        resp = owner.post(f"/account/claims/new/{researcher_id}",
                          {"evidence": "My institutional page lists these papers under my name.", "orcid": ""})
        assert resp.status_code == 302, resp.get_data(as_text=True)
        with db.session_for(app_settings.accounts_database_url) as s:
            claim_id = max(c.id for c in s.query(Claim).filter_by(researcher_id=researcher_id))
        resp = admin.post(f"/admin/claims/{claim_id}/approve", {"note": "checked"})
        assert resp.status_code == 302, resp.get_data(as_text=True)
        run_jobs()
        return claim_id

    return claim
