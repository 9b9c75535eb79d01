"""Alerts of new work: which works are new for a follower, and the digests that tell them.

One function decides what is new for a follower (`new_works`): visible works on the
profiles they follow now, none of whose ids is known to them. Known are the version ids of
the works a profile held when the follow began (`baseline`) and of every work already sent
(`sent`). Every version id of a work is kept (its own id, an arXiv preprint's "arxiv:<id>"),
so a work a later build merges (the preprint folded into its Anthology version, which keeps
the Anthology id and lists both in `version_ids`), splits again or re-attributes to another
followed profile is recognised and never alerted twice. The feed page shows the same list
under "new since your last digest"; the digest job sends it and marks it known.

The schedule: `digest_tick_job` runs every hour from RQ's scheduler (a worker started with
the scheduler, as `peerscope worker` and `peerscope run` do), sends the digests that are
due (daily: a day after the last, weekly: a week) and queues the next tick with
`Queue.enqueue_at` under the id of its hour, so that however many workers ensure the
schedule there is one tick per hour.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from opensearchpy import OpenSearch
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from peerscope.config import Settings, load_settings
from search import works as W
from search.engine import connect
from web.accounts import db, follows, notify, preferences
from web.accounts.models import KnownWork, MailPreferences, User, utcnow

log = logging.getLogger(__name__)
DIGEST_MAX = 50  # works in one digest (the feed lists the rest)
TICK = timedelta(hours=1)
# A digest is due a little before its full period, so that an hourly tick that runs a few
# seconds late does not push a daily digest to the next hour.
PERIODS = {"daily": timedelta(days=1) - TICK / 2, "weekly": timedelta(days=7) - TICK / 2}


# ---------------------------------------------------------------- what is new for one follower

def known_ids(session: Session, user: User) -> set[str]:
    return set(session.scalars(select(KnownWork.version_id).where(KnownWork.user_id == user.id)))


def new_works(session: Session, client: OpenSearch, settings: Settings, user: User,
              size: int = DIGEST_MAX) -> tuple[list[dict], int]:
    """(works, how many in all) new for `user`: the one rule of the feed and the digest."""
    followed = follows.following(session, user)
    return W.new_works_by_authors(client, settings, followed, known_ids(session, user), size)


def _remember(session: Session, user: User, ids: set[str], reason: str, researcher_id: str | None = None) -> int:
    fresh = ids - known_ids(session, user)
    session.add_all(KnownWork(user_id=user.id, version_id=vid, reason=reason, researcher_id=researcher_id)
                    for vid in sorted(fresh))
    session.flush()
    return len(fresh)


def follow(session: Session, client: OpenSearch, settings: Settings, user: User, researcher_id: str):
    """Follow, taking what the profile holds now as known: only works added later are news."""
    event = follows.follow(session, user, researcher_id)
    if event is not None:
        _remember(session, user, W.version_ids_by_authors(client, settings, [researcher_id]), "baseline",
                  researcher_id)
    return event


def unfollow(session: Session, user: User, researcher_id: str):
    """Unfollow; their works drop out of what is new at once (the baseline is taken again on a new follow)."""
    event = follows.unfollow(session, user, researcher_id)
    if event is not None:
        session.execute(delete(KnownWork).where(KnownWork.user_id == user.id, KnownWork.reason == "baseline",
                                                KnownWork.researcher_id == researcher_id))
    return event


# ---------------------------------------------------------------- sending

def due(session: Session, now: datetime | None = None) -> list[User]:
    now = now or utcnow()
    rows = session.scalars(select(User).join(MailPreferences, MailPreferences.user_id == User.id).where(
        User.deleted_at.is_(None), User.email_verified_at.is_not(None),
        or_(*[(MailPreferences.digest == freq) & (MailPreferences.last_digest_at.is_(None)
                                                  | (MailPreferences.last_digest_at <= now - period))
              for freq, period in PERIODS.items()])).order_by(User.id))
    return list(rows)


def send_digest(session: Session, client: OpenSearch, settings: Settings, user: User, base: str) -> int:
    """Send `user` their digest now (when anything is new); returns how many works it listed.

    The works are marked known in the caller's transaction; a digest that could not be sent
    marks nothing, so its works come in the next one."""
    prefs = preferences.of(session, user)
    found, _ = new_works(session, client, settings, user)
    if found and not notify.digest(settings, user, found, prefs.digest if prefs.digest != "none" else "latest",
                                   base):
        return 0
    for w in found:
        _remember(session, user, W.work_identity(w), "sent")
    if session.get(MailPreferences, user.id) is None:
        session.add(prefs)
    prefs.last_digest_at = utcnow()
    session.flush()
    return len(found)


def send_due(settings: Settings, client: OpenSearch, now: datetime | None = None) -> dict:
    """Send every digest that is due; one transaction per person."""
    url = settings.accounts_database_url
    base = notify.base_url(settings)
    with db.session_for(url) as session:
        ids = [u.id for u in due(session, now)]
    sent = works = 0
    for uid in ids:
        with db.transaction(url) as session:
            count = send_digest(session, client, settings, session.get(User, uid), base)
        sent, works = sent + bool(count), works + count
    return {"due": len(ids), "sent": sent, "works": works}


# ---------------------------------------------------------------- the schedule (RQ)

def _slot(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def tick_id(prefix: str, at: datetime) -> str:
    return f"{prefix}digests-{_slot(at):%Y%m%d%H}"


def schedule(queue: Queue, prefix: str, at: datetime | None = None) -> bool:
    """Queue the tick of the hour after `at` (default: now) unless it is queued already."""
    at = at or datetime.now(timezone.utc)
    when = _slot(at) + TICK
    try:
        queue.enqueue_at(when, digest_tick_job, prefix, job_id=tick_id(prefix, when), unique=True,
                         job_timeout=1800, retry=Retry(max=2, interval=[60, 300]), result_ttl=7 * 86400,
                         failure_ttl=7 * 86400)
    except DuplicateJobError:
        return False
    except RedisError as exc:
        log.warning("could not schedule the digests: %r", exc)
        return False
    return True


def digest_tick_job(prefix: str) -> dict:
    """Send the digests that are due, then schedule the next tick (runs in a worker)."""
    from rq import get_current_job

    settings = replace(load_settings(), index_prefix=prefix)
    job = get_current_job()
    if job is not None:
        schedule(Queue(job.origin, connection=job.connection), prefix)
    client = connect(settings, timeout=60)
    try:
        return send_due(settings, client)
    finally:
        client.close()

