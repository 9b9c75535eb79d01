"""The accounts path in a real browser (Debian's Chromium driven by Playwright) against the app
served by werkzeug on 127.0.0.1, a migrated SQLite file, the real Redis and OpenSearch:
sign up, verify through the outbox, claim, admin approval, edit, follow, invite, answer.
RQ jobs run in this process between steps (a burst worker), as a worker would run them.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
PERSON = "shengding-hu"
ADMIN, PASSWORD = "admin@example.org", "correct horse battery staple"


@pytest.fixture(scope="module")
def served(build_sample, run_queued_jobs, redis_conn, web_assets, serve_app, tmp_path_factory):
    from web import create_app
    from web.accounts import db

    index = build_sample("browser-accounts")
    folder = tmp_path_factory.mktemp("accounts-browser")
    url = f"sqlite:///{folder / 'accounts.db'}"
    db.upgrade(url)
    app_settings = replace(index, database_url=url, state_dir=folder, admin_emails=(ADMIN,),
                           queue_name=f"{index.index_prefix}q-{uuid.uuid4().hex[:6]}")
    app = create_app(app_settings, embed=lambda text: [0.0] * app_settings.embedding_dims)
    with serve_app(app) as base, pytest.MonkeyPatch.context() as mp:
        mp.setenv("PEERSCOPE_DATABASE_URL", url)  # what the RQ jobs read
        try:
            yield {"base": base, "settings": app_settings, "run_jobs": lambda: run_queued_jobs(app_settings)}
        finally:
            db.dispose(url)
            for key in redis_conn.scan_iter(f"{app_settings.index_prefix}rl:*"):
                redis_conn.delete(key)


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"accounts-{name}.png"), full_page=True)


def test_sign_up_claim_edit_follow_invite_answer(open_page, sign_up, served):
    errors: list[str] = []
    base, profile = served["base"], served["base"] + f"/researchers/{PERSON}"
    owner, admin, other = (open_page(errors) for _ in range(3))
    owner_email, other_email = f"owner-{uuid.uuid4().hex[:6]}@example.org", f"ana-{uuid.uuid4().hex[:6]}@example.org"

    sign_up(owner, served, owner_email, "Shengding", PASSWORD)
    owner.goto(profile)
    owner.get_by_role("link", name="Claim this profile").click()
    owner.get_by_label("Why this profile is yours").fill("My university page lists this paper under my name.")
    owner.get_by_role("button", name="Send the claim for review").click()
    owner.get_by_text("is waiting for an admin's review").wait_for()

    sign_up(admin, served, ADMIN, "Admin", PASSWORD)
    admin.get_by_role("link", name="Review claims").first.click()
    assert "My university page lists this paper" in admin.locator(".evidence").first.inner_text()
    _shot(admin, "review-queue")
    admin.get_by_role("button", name=re.compile(r"^Approve claim")).first.click()
    admin.get_by_text("now owns shengding-hu").wait_for()
    served["run_jobs"]()

    owner.goto(profile)
    owner.get_by_role("link", name="Edit your profile").click()
    owner.get_by_role("button", name="Mark me open to collaborate").click()
    owner.get_by_text("Marked open to collaborate.").wait_for()
    owner.get_by_role("textbox", name="Current affiliation").fill("Tsinghua University")
    owner.get_by_role("button", name="Save affiliation").click()
    owner.get_by_text("Affiliation updated.").wait_for()
    _shot(owner, "owner-edit")
    served["run_jobs"]()
    owner.goto(profile)
    assert owner.locator(".affiliation").inner_text() == "Tsinghua University"
    assert owner.get_by_role("heading", name="Corrected by the owner").is_visible()
    assert owner.locator(".badge-open").first.is_visible()
    assert "L3" in owner.locator(".trust-line").inner_text()

    sign_up(other, served, other_email, "Ana", PASSWORD)
    other.goto(profile)
    other.get_by_role("button", name="Follow").click()
    other.get_by_role("button", name="Following · Unfollow").wait_for()
    served["run_jobs"]()
    other.goto(base + "/me/feed")
    assert other.locator(".result-list .work-title a").count() > 0
    other.goto(profile)
    assert "1 follower" in other.locator(".followers-note").inner_text()
    other.get_by_role("link", name="Invite to collaborate").click()
    other.get_by_label("Your message").fill("Shall we write a paper on prompt tuning for low-resource languages?")
    other.get_by_role("button", name="Send invitation").click()
    other.get_by_text("Waiting for an answer.").wait_for()

    owner.goto(base + "/me/invitations")
    owner.get_by_role("link", name="From Ana").click()
    owner.get_by_label("Accept").check()
    owner.get_by_label("Note to the sender (optional)").fill("Gladly, let us talk.")
    owner.get_by_role("button", name="Send answer").click()
    owner.get_by_text("You accepted the invitation from Ana.").wait_for()
    assert other_email in owner.locator(".notice").inner_text()
    _shot(owner, "invitation-answered")

    other.goto(base + "/me/invitations")
    assert other.locator(".status-accepted").first.is_visible()
    assert not errors, errors
