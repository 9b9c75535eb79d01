"""Fixtures and helpers for the accounts tests: a copy of the indexed sample under its own
prefix (owner edits must not leak into other tests' sample), a migrated SQLite file per
test, the real Redis (rate limits, RQ) and a burst worker that runs the queued syncs.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import replace

import pytest

ADMIN = "admin@example.org"
PASSWORD = "correct horse battery staple"
SEED_PERSON, SEED_WORK = "shengding-hu", "2022.acl-long.158"
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def accounts_prefix(settings) -> str:
    return settings.index_prefix.replace("test-", "test-accounts-", 1)


def copy_sample(client, sample, prefix: str):
    """Reindex the sample's works and researchers into fresh indexes behind `prefix` aliases."""
    from search import lifecycle

    target = replace(sample, index_prefix=prefix)
    for name in ("works", "researchers"):
        if client.indices.exists_alias(name=target.alias(name)):
            continue
        index = lifecycle.create_index(client, target, name, building=False)
        client.reindex(body={"source": {"index": sample.alias(name)}, "dest": {"index": index}},
                       wait_for_completion=True, refresh=True, request_timeout=120)
        client.indices.put_alias(index=index, name=target.alias(name))
    return target


@pytest.fixture(scope="session")
def accounts_index(client, settings, indexed_sample):
    target = copy_sample(client, indexed_sample, accounts_prefix(settings))
    yield target
    client.indices.delete(index=f"{target.index_prefix}*", ignore_unavailable=True, allow_no_indices=True)


@pytest.fixture()
def app_settings(accounts_index, tmp_path, monkeypatch):
    """Settings of one test: its own SQLite file, outbox and queue; the shared index copy."""
    from web.accounts import db

    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    db.upgrade(url)
    # RQ jobs read their settings from the environment (like the indexer's jobs).
    monkeypatch.setenv("PEERSCOPE_DATABASE_URL", url)
    s = replace(accounts_index, database_url=url, state_dir=tmp_path, admin_emails=(ADMIN,),
                mail_backend="outbox", queue_name=f"{accounts_index.index_prefix}q-{uuid.uuid4().hex[:6]}")
    yield s
    db.dispose(url)


@pytest.fixture()
def app(app_settings, redis_conn):
    from web import create_app

    application = create_app(app_settings, embed=lambda text: [0.0] * app_settings.embedding_dims)
    yield application
    for key in redis_conn.scan_iter(f"{app_settings.index_prefix}rl:*"):
        redis_conn.delete(key)
    redis_conn.delete(f"rq:queue:{app_settings.queue_name}")


def run_jobs(app_settings, redis_conn, client) -> int:
    """Run every queued job in this process (a real RQ worker in burst mode); returns how many."""
    from rq import Queue, SimpleWorker

    queue = Queue(app_settings.queue_name, connection=redis_conn)
    count = len(queue)
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    failed = queue.failed_job_registry
    assert failed.count == 0, [queue.fetch_job(j).exc_info for j in failed.get_job_ids()]
    client.indices.refresh(index=f"{app_settings.alias('works')},{app_settings.alias('researchers')}")
    return count


class Browser:
    """A test client with a session, that signs up, signs in and posts forms with their CSRF token."""

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

        resp = self.post("/account/signup", {"email": email, "display_name": name, "password": PASSWORD})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        if verify:
            body = [m for m in mail.outbox(self.settings) if m["to"] == email][-1]["body"]
            path = re.search(r"https?://[^/\s]+(/account/verify/\S+)", body).group(1)
            assert self.http.get(path).status_code == 302
        return resp

    def sign_in(self, email: str, password: str = PASSWORD):
        return self.post("/account/login", {"email": email, "password": password})


def new_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}@example.org"


@pytest.fixture()
def people(app, app_settings):
    """Signed-up, verified people with their own sessions: admin, owner, other."""
    out = {}
    for role, email in (("admin", ADMIN), ("owner", new_email("owner")), ("other", new_email("other"))):
        b = Browser(app, app_settings)
        b.sign_up(email, name=role.capitalize())
        b.email = email
        out[role] = b
    return out


def claim_and_approve(people, app_settings, redis_conn, client, researcher_id=SEED_PERSON):
    """The owner claims `researcher_id`, the admin approves it, the sync job runs."""
    owner, admin = people["owner"], people["admin"]
    resp = owner.post(f"/account/claims/new/{researcher_id}",
                      {"evidence": "My institutional page lists these papers under my name.", "orcid": ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    from web.accounts import db
    from web.accounts.models import Claim

    with db.session_for(app_settings.accounts_database_url) as s:
        claim_id = max(c.id for c in s.query(Claim).filter_by(researcher_id=researcher_id))
    resp = admin.post(f"/admin/claims/{claim_id}/approve", {"note": "checked"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    run_jobs(app_settings, redis_conn, client)
    return claim_id
