"""Alerts of new work against the real engine, store and Redis: a follower's digest lists the
works added to followed profiles since the last one, each work once (by every version id, so a
preprint merged into its Anthology version or a work moved to another followed profile is not
news again), nothing after unfollowing, the feed shows the same list, and the hourly tick runs
from RQ's scheduler."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from web.accounts import db, digests, mail
from web.accounts.models import User, utcnow

pytestmark = pytest.mark.integration
SEED_PERSON = "shengding-hu"
KNOWN_TITLE = "Knowledgeable Prompt-tuning"  # on the profile before anyone follows it


@pytest.fixture()
def add_work(client, app_settings):
    """add_work(id, authors=[SEED_PERSON], version_ids=None, title=None): a work document written
    into this test's works index as a build would leave it (removed afterwards)."""
    added: set[str] = set()
    index = app_settings.alias("works")

    def add(work_id, authors=(SEED_PERSON,), version_ids=None, title=None):
        doc = {"id": work_id, "title": title or f"A study numbered {work_id}", "year": 2026, "type": "paper",
               "authors": [{"id": a, "name": a.replace("-", " ").title()} for a in authors],
               "author_ids": list(authors), "version_ids": version_ids or [work_id], "hidden": False,
               "venue_names": ["Findings"], "sources": ["acl"] if not work_id.startswith("arxiv:") else ["arxiv"]}
        client.index(index=index, id=work_id, body=doc, refresh=True)
        added.add(work_id)

    def remove(work_id):
        client.delete(index=index, id=work_id, refresh=True)
        added.discard(work_id)

    add.remove = remove
    yield add
    for work_id in added:
        client.delete(index=index, id=work_id, refresh=True, ignore=[404])


def _digests_to(settings, email):
    return [m for m in mail.outbox(settings) if m["to"] == email and "new work" in m["subject"]]


def _send(settings, client, days_later=0):
    return digests.send_due(settings, client, now=utcnow() + timedelta(days=days_later, minutes=1))


def _follower(people, frequency="daily"):
    me = people["other"]
    assert me.post("/account/settings", {"claim_decisions": "y", "invitations": "y", "invitation_answers": "y",
                                         "digest": frequency}).status_code == 302
    return me


def test_a_digest_lists_each_new_work_once_and_the_feed_agrees(app_settings, people, client, add_work):
    me = _follower(people)
    resp = me.post(f"/me/follow/{SEED_PERSON}")
    assert resp.status_code == 302
    feed = me.http.get("/me/feed").get_data(as_text=True)
    assert "Nothing new since you started following" in feed and KNOWN_TITLE in feed
    add_work("2026.test-long.1", title="Sparse adapters for many languages")
    feed = me.http.get("/me/feed").get_data(as_text=True)
    fresh = feed.split("New since your last digest")[1].split("All works of the people you follow")[0]
    assert "Sparse adapters for many languages" in fresh and KNOWN_TITLE not in fresh
    assert _send(app_settings, client) == {"due": 1, "sent": 1, "works": 1}
    [sent] = _digests_to(app_settings, me.email)
    assert "Sparse adapters for many languages" in sent["body"] and KNOWN_TITLE not in sent["body"]
    assert "/works/2026.test-long.1" in sent["body"] and "/account/settings" in sent["body"]
    assert "Nothing new since your last digest" in me.http.get("/me/feed").get_data(as_text=True)
    # not due again within the day; a day later nothing is new, so no mail
    assert _send(app_settings, client) == {"due": 0, "sent": 0, "works": 0}
    assert _send(app_settings, client, days_later=1) == {"due": 1, "sent": 0, "works": 0}
    add_work("2026.test-long.2", title="Counting tokens in the wild")
    assert _send(app_settings, client, days_later=2)["works"] == 1
    latest = _digests_to(app_settings, me.email)[-1]["body"]
    assert "Counting tokens in the wild" in latest and "Sparse adapters" not in latest


def test_merged_and_reattributed_works_do_not_alert_again(app_settings, people, client, add_work):
    me = _follower(people, "weekly")
    works = client.search(index=app_settings.alias("works"), body={
        "size": 0, "aggs": {"a": {"terms": {"field": "author_ids", "size": 2}}}})
    colleague = next(b["key"] for b in works["aggregations"]["a"]["buckets"] if b["key"] != SEED_PERSON)
    for rid in (SEED_PERSON, colleague):
        assert me.post(f"/me/follow/{rid}").status_code == 302
    add_work("arxiv:2601.00001", title="A preprint on prompt tuning")
    assert _send(app_settings, client)["works"] == 1
    # the next build merges the preprint into its Anthology version: new id, both version ids
    add_work.remove("arxiv:2601.00001")
    add_work("2026.acl-long.1", version_ids=["2026.acl-long.1", "arxiv:2601.00001"],
             title="Prompt tuning, the published version")
    assert _send(app_settings, client, days_later=7) == {"due": 1, "sent": 0, "works": 0}
    # a later build attributes it to the other followed profile instead
    add_work("2026.acl-long.1", authors=(colleague,), version_ids=["2026.acl-long.1", "arxiv:2601.00001"])
    assert _send(app_settings, client, days_later=14)["works"] == 0
    # the merge undone again: the preprint alone, under its own id
    add_work.remove("2026.acl-long.1")
    add_work("arxiv:2601.00001", title="A preprint on prompt tuning")
    assert _send(app_settings, client, days_later=21)["works"] == 0
    add_work("2026.acl-long.2", authors=(colleague,), title="Really new work")
    assert _send(app_settings, client, days_later=28)["works"] == 1
    assert len(_digests_to(app_settings, me.email)) == 2
    assert "Really new work" in _digests_to(app_settings, me.email)[-1]["body"]


def test_no_alert_after_unfollowing(app_settings, people, client, add_work):
    me = _follower(people)
    assert me.post(f"/me/follow/{SEED_PERSON}").status_code == 302
    add_work("2026.test-long.3")
    assert me.api("DELETE", f"/api/me/following/{SEED_PERSON}").status_code == 200
    assert _send(app_settings, client) == {"due": 1, "sent": 0, "works": 0}
    assert _digests_to(app_settings, me.email) == []
    assert "Follow researchers" in me.http.get("/me/feed").get_data(as_text=True)
    # following again starts from what the profile holds then: the work added meanwhile is not news
    assert me.post(f"/me/follow/{SEED_PERSON}").status_code == 302
    with db.session_for(app_settings.accounts_database_url) as s:
        user = s.query(User).filter_by(email=me.email).one()
        assert digests.new_works(s, client, app_settings, user) == ([], 0)


def test_the_hourly_tick_runs_from_rqs_scheduler_and_schedules_the_next(app_settings, people, client, add_work,
                                                                        redis_conn, monkeypatch):
    from rq import Queue, SimpleWorker
    from rq.registry import ScheduledJobRegistry

    monkeypatch.setenv("PEERSCOPE_STATE_DIR", str(app_settings.state_dir))  # the job's outbox
    me = _follower(people)
    assert me.post(f"/me/follow/{SEED_PERSON}").status_code == 302
    add_work("2026.test-long.4", title="Scheduled news")
    queue = Queue(app_settings.queue_name, connection=redis_conn)
    registry = ScheduledJobRegistry(queue=queue)
    try:
        an_hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
        assert digests.schedule(queue, app_settings.index_prefix, at=an_hour_ago)  # due now
        assert not digests.schedule(queue, app_settings.index_prefix, at=an_hour_ago)  # one per hour
        SimpleWorker([queue], connection=redis_conn).work(burst=True, with_scheduler=True)
        done = queue.fetch_job(digests.tick_id(app_settings.index_prefix, an_hour_ago + timedelta(hours=1)))
        assert done is not None and done.is_finished, done and done.exc_info
        assert done.return_value() == {"due": 1, "sent": 1, "works": 1}
        assert "Scheduled news" in _digests_to(app_settings, me.email)[-1]["body"]
        following = digests.tick_id(app_settings.index_prefix, datetime.now(timezone.utc) + timedelta(hours=1))
        assert following in registry.get_job_ids()
    finally:
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
