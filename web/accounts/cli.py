"""`peerscope accounts ...`: migrations, the development outbox, the claim review queue,
split/merge requests, and re-queueing index syncs."""
from __future__ import annotations

import getpass
import re
import sys

import click
from redis import Redis

from peerscope.config import load_settings
from web.accounts import claims, corrections, db, digests, jobs, mail, notify
from web.accounts.errors import AccountError

_LINK = re.compile(r"https?://\S+")


def _ready(url: str) -> None:
    if not db.is_ready(url):
        sys.exit(f"error: the accounts store at {url} has no tables; run `peerscope accounts migrate` first")


@click.group("accounts")
def accounts_group() -> None:
    """Accounts: database migrations, outbox, claim review."""


@accounts_group.command("migrate")
@click.option("--revision", default="head", show_default=True)
def migrate(revision: str) -> None:
    """Create or upgrade the accounts tables (Alembic)."""
    settings = load_settings()
    db.upgrade(settings.accounts_database_url, revision)
    click.echo(f"accounts store at revision {db.current_revision(settings.accounts_database_url)}")


@accounts_group.command("outbox")
@click.option("--last", default=10, show_default=True, help="Show this many of the newest messages.")
@click.option("--to", "to", help="Only messages to this address.")
@click.option("--links", is_flag=True, help="Print only the links in the messages, newest last.")
def outbox(last: int, to: str | None, links: bool) -> None:
    """Messages written by the `outbox` mail backend (development)."""
    settings = load_settings()
    messages = [m for m in mail.outbox(settings) if not to or m["to"].lower() == to.lower()][-last:]
    if not messages:
        click.echo(f"no messages in {settings.outbox_dir}")
    for m in messages:
        if links:
            for link in _LINK.findall(m["body"]):
                click.echo(link)
            continue
        click.echo(f"--- {m['id']}\nTo: {m['to']}\nDate: {m['date']}\nSubject: {m['subject']}\n\n{m['body']}")


def _decider(as_: str | None) -> str:
    return as_ or f"cli:{getpass.getuser()}"


@accounts_group.command("approve-claims")
@click.option("--approve", "approve_ids", multiple=True, type=int, help="Approve this claim (repeatable).")
@click.option("--reject", "reject_ids", multiple=True, type=int, help="Reject this claim (repeatable).")
@click.option("--note", default="", help="Note to the claimant.")
@click.option("--as", "as_", help="Recorded as the deciding admin (default: cli:<user>).")
def approve_claims(approve_ids, reject_ids, note, as_) -> None:
    """List pending claims with their evidence; approve or reject by id."""
    settings = load_settings()
    url = settings.accounts_database_url
    _ready(url)
    events, decided = [], []
    try:
        with db.transaction(url) as session:
            for cid in approve_ids:
                claim, event = claims.approve(session, cid, _decider(as_), note)
                events.append(jobs.event_key(event))
                decided.append(cid)
                click.echo(f"approved claim {cid}: {claim.user.email} owns {claim.researcher_id}")
            for cid in reject_ids:
                claims.reject(session, cid, _decider(as_), note)
                decided.append(cid)
                click.echo(f"declined claim {cid}" + (f" ({note})" if note else " (no reason given: use --note)"))
            pending = claims.pending(session)
            if not approve_ids and not reject_ids:
                click.echo(f"{len(pending)} pending claims")
                for c in pending:
                    click.echo(f"\n[{c.id}] {c.user.display_name} <{c.user.email}> claims {c.researcher_id} "
                               f"(asked {c.created_at:%Y-%m-%d}, ORCID {c.orcid or '-'})")
                    click.echo("    " + c.evidence.replace("\n", "\n    "))
    except AccountError as exc:
        sys.exit(f"error: {exc.message}")
    _mail_decisions(settings, decided)
    if events:
        queue_syncs(settings, events, what="the profile updates" if len(events) == 1 else "the profiles update")


def _mail_decisions(settings, claim_ids) -> None:
    from web.accounts.models import Claim

    base = notify.base_url(settings)
    with db.session_for(settings.accounts_database_url) as session:
        for cid in claim_ids:
            claim = session.get(Claim, cid)
            told = notify.claim_decided(settings, session, claim, base)
            click.echo(f"claim {cid}: " + (f"{claim.user.email} was told by mail" if told
                                           else "the claimant gets no mail about decisions (their setting)"))


def queue_syncs(settings, events, what: str = "the profiles update") -> None:
    from rq import Queue, Worker

    conn = Redis.from_url(settings.redis_url)
    queue = Queue(settings.queue_name, connection=conn)
    queued = sum(jobs.enqueue_sync(queue, settings.index_prefix, e) for e in events)
    if queued != len(events):
        click.echo(f"{queued} of {len(events)} index syncs queued; Redis was unreachable, "
                   "run `peerscope accounts resync` once it is back")
        return
    workers = Worker.count(connection=conn, queue=queue)
    if workers:
        click.echo(f"{queued} index syncs queued; {what} within a minute ({workers} worker(s) running)")
    else:
        click.echo(f"{queued} index syncs queued, but no worker is running on queue {settings.queue_name!r}: "
                   f"{what} once one runs (`peerscope run` serves the app with a worker; "
                   "or `peerscope worker`)")


@accounts_group.command("requests")
@click.option("--resolve", "resolve_ids", multiple=True, type=int, help="Mark this request resolved.")
@click.option("--reject", "reject_ids", multiple=True, type=int, help="Mark this request rejected.")
@click.option("--note", default="")
@click.option("--as", "as_")
def requests(resolve_ids, reject_ids, note, as_) -> None:
    """Owners' split and merge requests."""
    settings = load_settings()
    url = settings.accounts_database_url
    _ready(url)
    events = []
    try:
        with db.transaction(url) as session:
            for rid in resolve_ids:
                _, done = corrections.decide_request(session, rid, _decider(as_), "resolved", note,
                                                     find_work=_work_reader(settings))
                events += [jobs.event_key(e) for e in done]
            for rid in reject_ids:
                corrections.decide_request(session, rid, _decider(as_), "rejected", note)
            rows = corrections.open_requests(session)
            click.echo(f"{len(rows)} open requests")
            for q in rows:
                other = f" with {q.other_researcher_id}" if q.other_researcher_id else ""
                click.echo(f"[{q.id}] {q.kind} of {q.researcher_id}{other} by {q.user.email}: {q.detail}")
    except AccountError as exc:
        sys.exit(f"error: {exc.message}")
    if events:  # an approved split or merge acts on the index through the sync job
        queue_syncs(settings, events, what="the profiles update")


def _work_reader(settings):
    """A work's summary from the index, for a split request that names a work."""
    def read(work_id: str):
        from search import documents
        from search.engine import connect

        client = connect(settings, timeout=30)
        try:
            return documents.work_summary(client, settings, work_id)
        finally:
            client.close()
    return read


@accounts_group.command("resync")
@click.option("--all", "everyone", is_flag=True, help="Every researcher the store knows, not only pending ones.")
def resync(everyone: bool) -> None:
    """Queue index syncs that could not be queued (Redis was down), or all of them."""
    settings = load_settings()
    _ready(settings.accounts_database_url)
    count = jobs.resync(settings, Redis.from_url(settings.redis_url), everyone=everyone)
    click.echo(f"{count} index syncs queued; a worker runs them (`peerscope run` or `peerscope worker`)")


@accounts_group.command("digests")
@click.option("--now", "now_", is_flag=True, help="Send the digests that are due now, in this process.")
@click.option("--schedule", is_flag=True, help="Queue the hourly tick on RQ's scheduler (workers do this).")
def digests_command(now_: bool, schedule: bool) -> None:
    """Digests of new works: who gets one and when; send the due ones now, or schedule them."""
    from rq import Queue

    from search.engine import connect

    settings = load_settings()
    _ready(settings.accounts_database_url)
    if schedule:
        queue = Queue(settings.queue_name, connection=Redis.from_url(settings.redis_url))
        fresh = digests.schedule(queue, settings.index_prefix)
        click.echo("hourly digest tick " + ("scheduled" if fresh else "was already scheduled"))
    if now_:
        client = connect(settings, timeout=60)
        try:
            result = digests.send_due(settings, client)
        finally:
            client.close()
        click.echo(f"{result['due']} digests due, {result['sent']} sent with {result['works']} works "
                   "(nothing new: no mail)")
    if not now_ and not schedule:
        with db.session_for(settings.accounts_database_url) as session:
            click.echo(f"{len(digests.due(session))} digests due now; `--now` sends them")


def account_commands() -> list:
    return [accounts_group]
