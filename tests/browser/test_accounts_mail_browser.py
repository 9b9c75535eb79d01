"""Two paths a person takes by mail, in a real browser (Debian's Chromium driven by Playwright)
against the app served by werkzeug, a migrated SQLite file, the real Redis and OpenSearch:
forgot password -> the link in the outbox -> a new password -> sign in; and follow -> a build
that adds a work to the followed profile -> the digest, sent by the tick on RQ's scheduler, in
the outbox, the feed agreeing before and after.

The index is built by the real indexer twice under this module's prefix: first the sample's
first 280 papers, then 300, so that the second build adds works to profiles that already exist.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
PASSWORD, NEW_PASSWORD = "correct horse battery staple", "a completely different passphrase"
BEFORE, AFTER = 280, 300


def _person_gaining_a_work(settings, client) -> tuple[str, str]:
    """(researcher id, title): someone on the first BEFORE papers with a work among the next ones."""
    from indexer.sources import available_sources
    from indexer.sources.base import Options

    source = available_sources(settings, ["acl"])[0]
    records = []
    for task in source.plan(Options(sample=AFTER)):
        found = source.read_file(task).records
        records += found[: task.limit] if task.limit else found
    before = {a["id"] for r in records[:BEFORE] for a in r["authors"]}
    for record in records[BEFORE:AFTER]:
        for author in record["authors"]:
            if author["id"] in before and client.exists(index=settings.alias("researchers"), id=author["id"]):
                return author["id"], record["title"]
    raise AssertionError("no author of the later papers is on the earlier ones")


@pytest.fixture(scope="module")
def served(settings, client, redis_conn, web_assets, serve_app, tmp_path_factory):
    from indexer.build import run_in_process
    from indexer.sources.base import Options
    from web import create_app
    from web.accounts import db

    index = replace(settings, index_prefix=settings.index_prefix.replace("test-", "test-sample-digest-", 1),
                    sources=("acl",))
    run_in_process(index, Options(sample=BEFORE), None)
    client.indices.refresh(index=f"{index.alias('works')},{index.alias('researchers')}")
    folder = tmp_path_factory.mktemp("accounts-mail-browser")
    url = f"sqlite:///{folder / 'accounts.db'}"
    db.upgrade(url)
    app_settings = replace(index, database_url=url, state_dir=folder, mail_backend="outbox",
                           queue_name=f"{index.index_prefix}q-{uuid.uuid4().hex[:6]}")
    app = create_app(app_settings, embed=lambda text: [0.0] * app_settings.embedding_dims)
    with serve_app(app) as base, pytest.MonkeyPatch.context() as mp:
        mp.setenv("PEERSCOPE_DATABASE_URL", url)  # what the RQ jobs read
        mp.setenv("PEERSCOPE_STATE_DIR", str(folder))  # the jobs' outbox
        try:
            yield {"base": base, "settings": app_settings,
                   "rebuild": lambda: run_in_process(index, Options(sample=AFTER, fresh=True), None)}
        finally:
            db.dispose(url)
            for key in redis_conn.scan_iter(f"{app_settings.index_prefix}rl:*"):
                redis_conn.delete(key)
            from rq import Queue
            from rq.registry import ScheduledJobRegistry

            registry = ScheduledJobRegistry(queue=Queue(app_settings.queue_name, connection=redis_conn))
            for job_id in registry.get_job_ids():
                registry.remove(job_id, delete_job=True)
            client.indices.delete(index=f"{index.index_prefix}*", ignore_unavailable=True, allow_no_indices=True)


def _mail(served, to, subject_part):
    from web.accounts import mail

    return [m for m in mail.outbox(served["settings"]) if m["to"] == to and subject_part in m["subject"]]


def _sign_in(page, served, email, password):
    page.goto(served["base"] + "/account/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"accounts-{name}.png"), full_page=True)


def test_forgot_password_mail_new_password_sign_in(open_page, sign_up, served):
    errors: list[str] = []
    email = f"forgetful-{uuid.uuid4().hex[:6]}@example.org"
    page = open_page(errors)
    sign_up(page, served, email, "Forgetful", PASSWORD)
    page.get_by_role("button", name="Sign out").click()

    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail address of your account").fill(email)
    page.get_by_role("button", name="Send the link").click()
    page.get_by_text("we sent it a link to choose a new password").wait_for()
    body = _mail(served, email, "Reset your Peerscope password")[-1]["body"]
    link = re.search(r"http://\S+/account/password/reset/\S+", body).group(0)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    _shot(page, "reset-password")
    page.get_by_role("button", name="Set the new password").click()
    page.get_by_text("Your new password is set").wait_for()
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, served, email, PASSWORD)  # the old password is gone
    page.get_by_text("do not match an account").wait_for()
    _sign_in(page, served, email, NEW_PASSWORD)
    page.get_by_role("heading", name="Your account").wait_for()
    page.goto(link)  # used once: no more
    page.get_by_role("heading", name="This reset link does not work").wait_for()
    # the wrong password and the used link answer 400 on purpose; nothing else may fail
    assert [e for e in errors if "status of 400" not in e] == [], errors


def test_follow_then_a_build_adds_a_work_and_the_digest_brings_it(open_page, sign_up, served, client, redis_conn):
    from rq import Queue, SimpleWorker

    from web.accounts import digests

    settings = served["settings"]
    person, title = _person_gaining_a_work(settings, client)
    errors: list[str] = []
    email = f"follower-{uuid.uuid4().hex[:6]}@example.org"
    page = open_page(errors)
    sign_up(page, served, email, "Follower", PASSWORD)
    page.goto(served["base"] + "/account/settings")
    page.get_by_label("Daily").check()
    page.get_by_label("Invitations to collaborate I receive").uncheck()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your mail settings are saved.").wait_for()
    assert page.get_by_label("Daily").is_checked()
    assert not page.get_by_label("Invitations to collaborate I receive").is_checked()
    assert page.get_by_label("Decisions on my claims of a profile").is_checked()
    _shot(page, "mail-settings")

    page.goto(served["base"] + f"/researchers/{person}")
    page.get_by_role("button", name="Follow").click()
    page.get_by_text("The follower count on the profile updates within a minute.").wait_for()
    page.goto(served["base"] + "/me/feed")
    page.get_by_text("Nothing new since you started following.").wait_for()
    assert title not in page.content()

    served["rebuild"]()  # the sample grows: the followed profile gains a work
    client.indices.refresh(index=f"{settings.alias('works')},{settings.alias('researchers')}")
    page.goto(served["base"] + "/me/feed")
    fresh = page.locator(".fresh")
    fresh.wait_for()
    assert title in fresh.inner_text()
    _shot(page, "feed-new-since-digest")

    queue = Queue(settings.queue_name, connection=redis_conn)
    assert digests.schedule(queue, settings.index_prefix, at=datetime.now(timezone.utc) - timedelta(hours=1))
    SimpleWorker([queue], connection=redis_conn).work(burst=True, with_scheduler=True)
    [digest] = _mail(served, email, "new work")
    assert title in digest["body"] and "your daily digest" in digest["body"]
    page.goto(served["base"] + "/me/feed")
    page.get_by_text("Nothing new since your last digest.").wait_for()
    assert not errors, errors
