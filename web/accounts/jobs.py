"""RQ jobs that bring researcher and work documents in line with the accounts store.

A change (claim approved, owner edit or undo, follow, unfollow) writes a
SyncEvent row in its own transaction; after the commit `enqueue_sync` queues
`sync_researcher_job(prefix, researcher_id, event_id)` with the deterministic
id `{prefix}sync-{researcher}-{event}`. The job reads the store as it is when it
runs (so it is idempotent and a late job never undoes a newer change), writes
partial updates through the aliases, and marks the researcher's events done.
Events left pending because Redis was down are queued again by
`peerscope accounts resync`. Settings come from the environment (like the
indexer's jobs); only the index prefix travels with the job.
"""
from __future__ import annotations

import logging
import re
from dataclasses import replace

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.corrections import (ATTACH, DETACH, LINK_KINDS, MERGE, RESEARCHER_FIELDS, WORK_KINDS, LinkRow,
                                apply_state, author_ids_of, detached_id, live_authors, new_researcher,
                                reconcile_researcher, work_author_ids)
from peerscope.config import Settings, load_settings
from search import documents
from search.engine import Engine, connect
from web.accounts import db
from web.accounts.models import Correction, SyncEvent, utcnow
from web.accounts.overrides import link_fix, owner_users, read_overrides

log = logging.getLogger(__name__)
JOB_TIMEOUT_S = 120
WRITTEN = ("followers_count", "claimed", "open_to_collaborate", "current_affiliation", "work_ids", "works_count",
           "trust")
LINKED = ("work_ids", "works_count", "preprints_count", "linked_works", "sources", "first_year", "last_year")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def record_sync(session: Session, researcher_id: str, reason: str) -> SyncEvent:
    """Add the outbox row in the caller's transaction; flushes so that it has an id."""
    event = SyncEvent(researcher_id=researcher_id, reason=reason)
    session.add(event)
    session.flush()
    return event


def event_key(event: SyncEvent) -> tuple[str, int, str]:
    """(researcher, event id, creation stamp): what a job needs, as plain values."""
    return event.researcher_id, event.id, event.created_at.strftime("%Y%m%d%H%M%S%f")


def job_id(prefix: str, researcher_id: str, event_id: int, stamp: str) -> str:
    """One id per event; the stamp keeps ids apart when a store is recreated and ids restart."""
    return f"{prefix}sync-{_UNSAFE.sub('_', researcher_id)[:120]}-{event_id}-{stamp}"


def enqueue_sync(queue: Queue, prefix: str, event: SyncEvent | tuple[str, int, str]) -> bool:
    """Queue the job for a committed event; False (logged) when Redis cannot take it now."""
    rid, eid, stamp = event_key(event) if isinstance(event, SyncEvent) else event
    try:
        queue.enqueue(sync_researcher_job, prefix, rid, eid, job_id=job_id(prefix, rid, eid, stamp), unique=True,
                      job_timeout=JOB_TIMEOUT_S, retry=Retry(max=3, interval=[5, 30, 120]),
                      result_ttl=3600, failure_ttl=7 * 86400)
    except DuplicateJobError:
        return True
    except RedisError as exc:  # Redis down: the event stays pending for `accounts resync`
        log.warning("could not queue index sync of %s (event %s): %r", rid, eid, exc)
        return False
    return True


def pending_events(session: Session) -> list[tuple[str, int, str]]:
    """The newest pending event of each researcher."""
    rows = session.scalars(select(SyncEvent).where(SyncEvent.done_at.is_(None)).order_by(SyncEvent.id))
    return list({e.researcher_id: event_key(e) for e in rows}.values())


def waiting(session: Session, researcher_ids: list[str]) -> set[str]:
    """The researchers among `researcher_ids` whose index documents still wait for a sync job."""
    if not researcher_ids:
        return set()
    return set(session.scalars(select(SyncEvent.researcher_id).where(
        SyncEvent.done_at.is_(None), SyncEvent.researcher_id.in_(researcher_ids))))


# ---------------------------------------------------------------- the job (runs in a worker)

def _settings(prefix: str) -> Settings:
    return replace(load_settings(), index_prefix=prefix)


def sync_links(settings: Settings, client: Engine, session: Session, researcher_id: str) -> dict:
    """Bring the live works and profiles in line with one researcher's link corrections.

    The works their link corrections touch (the preprints of detach and attach corrections;
    for a merge, the works of both profiles) get their `authors` and `author_ids` from
    `live_authors`; every profile whose list of those works changed gets its works list,
    counts, linked preprints and trust again; a profile left with no work goes, a researcher
    of their own that a link undone makes is created. Collaborators, topics and profile
    vectors wait for the next build, which applies the same corrections from the start."""
    rows = list(session.scalars(select(Correction).where(Correction.researcher_id == researcher_id,
                                                         Correction.kind.in_(LINK_KINDS)).order_by(Correction.id)))
    if not rows:
        return {}
    owners = owner_users(session)
    all_rows = list(session.scalars(select(Correction).where(Correction.kind.in_(LINK_KINDS)).order_by(Correction.id)))
    merges = {}
    for c in all_rows:
        if c.kind == MERGE and c.reverted_at is None:
            merges[str(c.value)] = link_fix(c, owners)
    touched = {str(c.value) for c in rows if c.kind in (DETACH, ATTACH)}
    merged_away = {str(c.value) for c in rows if c.kind == MERGE}
    profiles = documents.get_many(client, settings, "researchers", sorted(merged_away | {researcher_id}), ["work_ids"])
    if merged_away:  # their works, and this profile's (where an undone merge's mentions are)
        touched |= {w for doc in profiles.values() for w in doc.get("work_ids") or ()}
    works = documents.get_many(client, settings, "works", sorted(touched), ["id", "year", "authors"])
    slot_rows: dict[str, list[LinkRow]] = {}
    for c in all_rows:
        if c.kind in (DETACH, ATTACH) and str(c.value) in works:
            slot_rows.setdefault(str(c.value), []).append(
                LinkRow(link_fix(c, owners), c.reverted_at is None, c.previous if isinstance(c.previous, dict) else {}))
    works_change = read_overrides(session, None, live=False).works_change
    before: dict[str, list[str]] = {}
    after: dict[str, dict] = {}
    people = {researcher_id, *merged_away}
    for wid, doc in works.items():
        authors = live_authors(wid, doc.get("authors") or [], slot_rows.get(wid, []), merges)
        before[wid] = author_ids_of(doc.get("authors") or [])
        after[wid] = {"year": doc.get("year"), "authors": authors}
        people |= set(before[wid]) | set(author_ids_of(authors))
        people |= {detached_id(a, wid) for a in doc.get("authors") or [] if a.get("id") == researcher_id}
        if authors != doc.get("authors"):
            documents.update(client, settings, "works", wid, {
                "authors": authors, "author_ids": work_author_ids({"authors": authors}, works_change.get(wid))})
    fields = [*RESEARCHER_FIELDS, "name", *LINKED]
    docs = documents.get_many(client, settings, "researchers", sorted(people), fields)
    states = read_overrides(session, sorted(people), live=True).researchers_state
    changed = 0
    for rid in sorted(people):
        doc = docs.get(rid)
        holds = any(rid in author_ids_of(w["authors"]) for w in after.values())
        if doc is None:
            if holds:
                documents.create(client, settings, "researchers", new_researcher(rid, after))
                changed += 1
            continue
        partial = reconcile_researcher(doc, after)
        if partial["works_count"] == 0:  # every work of this profile went to another one
            documents.delete(client, settings, "researchers", rid)
            changed += 1
            continue
        if all(partial[k] == doc.get(k) for k in partial):
            continue
        if rid != researcher_id:  # this researcher's own document is written by sync_researcher
            whole = apply_state({**doc, **partial}, states.get(rid)) if rid in states else {**doc, **partial}
            documents.update(client, settings, "researchers", rid,
                             {**partial, "works_count": whole["works_count"], "trust": whole["trust"]})
        else:
            documents.update(client, settings, "researchers", rid, partial)
        changed += 1
    return {"link_works": len(works), "link_profiles": changed}


def sync_researcher(settings: Settings, client: Engine, researcher_id: str) -> dict:
    """Write the store's state of one researcher (and of the works their corrections touch)."""
    url = settings.accounts_database_url
    with db.session_for(url) as session:
        links = sync_links(settings, client, session, researcher_id)
        overrides = read_overrides(session, [researcher_id], live=True)
        touched = set(session.scalars(select(Correction.value).where(
            Correction.researcher_id == researcher_id, Correction.kind.in_(WORK_KINDS))))
        # Other owners' active corrections of the same works decide their author_ids too.
        works_change = read_overrides(session, None, live=False).works_change if touched else {}
    state = overrides.researchers_state[researcher_id]
    work_docs = documents.get_many(client, settings, "works", sorted(touched), ["id", "authors.id"])
    # An undone hide puts the work back only when the record lists them as an author.
    state.restore = {w for w in state.restore
                     if researcher_id in work_author_ids(work_docs.get(w, {}), None)}
    doc = documents.get(client, settings, "researchers", researcher_id, RESEARCHER_FIELDS)
    if doc is None:
        log.warning("researcher %s is not in the index; nothing to sync", researcher_id)
        return {"researcher": researcher_id, "found": False, "works": 0, **links}
    changed = apply_state(dict(doc), state)
    partial = {k: changed.get(k) for k in WRITTEN}
    documents.update(client, settings, "researchers", researcher_id, partial)
    for wid, wdoc in work_docs.items():
        documents.update(client, settings, "works", wid, {"author_ids": work_author_ids(wdoc, works_change.get(wid))})
    return {"researcher": researcher_id, "found": True, "works": len(work_docs),
            "claimed": state.claimed, "followers": state.followers, **links}


def mark_done(url: str, researcher_id: str, up_to: int) -> None:
    with db.transaction(url) as session:
        session.execute(update(SyncEvent).where(SyncEvent.researcher_id == researcher_id,
                                                SyncEvent.id <= up_to, SyncEvent.done_at.is_(None))
                        .values(done_at=utcnow()))


def sync_researcher_job(prefix: str, researcher_id: str, event_id: int) -> dict:
    settings = _settings(prefix)
    client = connect(settings, timeout=30)
    try:
        result = sync_researcher(settings, client, researcher_id)
    finally:
        client.close()
    mark_done(settings.accounts_database_url, researcher_id, event_id)
    return result


def resync(settings: Settings, conn: Redis, everyone: bool = False) -> int:
    """Queue a sync for pending events (or for every researcher the store knows); returns how many."""
    url = settings.accounts_database_url
    with db.transaction(url) as session:
        if everyone:
            known = read_overrides(session).researchers_state
            events = [event_key(record_sync(session, rid, "resync")) for rid in known]
        else:
            events = pending_events(session)
    queue = Queue(settings.queue_name, connection=conn)
    return sum(enqueue_sync(queue, settings.index_prefix, e) for e in events)
