"""Recovering from a full build that died: `peerscope index --cleanup`.

A build killed mid-way (a worker SIGKILLed, a machine lost) leaves three things behind:
the reindex lock in Redis, physical indexes no alias points at (half-built), and its
spool folder; killed in the second it copies a live index, also a write block on it.
Searches are not affected (the aliases still point at the last good indexes), but the
lock blocks the next build for hours and the orphans take disk.

`cleanup` finds the build holding the lock and decides whether it is still alive:

- an RQ build (`peerscope index --queue`) is alive while any of its jobs is waiting
  (queued, deferred, scheduled) or started by a worker that is still alive: its
  registration in Redis has not expired and, when it runs on this machine, its process
  exists;
- a lock without RQ jobs belongs to an in-process `peerscope index`, which cannot be
  seen from here: cleanup leaves it alone and says so (`--unlock` clears it by hand).

For a dead build it cancels the jobs it had left, deletes its half-built indexes and its
spool folder, then releases the lock (only if it still holds that build's id). Orphan
indexes with no build holding the lock are deleted once they are older than a grace
period, so that a lock-less in-process run (no Redis) is not cut short.

Whatever the lock says, nothing is deleted while a half-built index is still being written
to (its indexing count grows over a few seconds): RQ runs a job in a work horse of its own
process group, which can outlive a worker killed alone, and it would still swap its aliases.
Each index is checked for an alias again right before it is deleted.
"""
from __future__ import annotations

import functools
import os
import shutil
import socket
import sys
import time
from dataclasses import dataclass, field, replace

import click
from redis import Redis, RedisError

from indexer import spool
from indexer.jobs import lock_holder, release_lock
from peerscope.config import Settings, load_settings
from search import lifecycle
from search.client import make_client

ORPHAN_GRACE_S = 15 * 60
WRITE_WATCH_S = 3.0  # how long cleanup watches half-built indexes for writes before deleting them
WAITING = ("queued", "deferred", "scheduled")
DONE = ("finished", "failed", "stopped", "canceled")


@dataclass
class BuildState:
    build_id: str
    jobs: dict[str, str] = field(default_factory=dict)  # job id -> status (or "missing")
    alive_reason: str = ""  # why it counts as running; "" when it does not

    @property
    def rq(self) -> bool:
        return any(status != "missing" for status in self.jobs.values())

    @property
    def alive(self) -> bool:
        return bool(self.alive_reason)


def _worker_alive(conn: Redis, worker_name: str | None) -> bool:
    """Registered in Redis (its key expires without heartbeats) and, on this host, a live process."""
    if not worker_name:
        return False
    data = conn.hgetall(f"rq:worker:{worker_name}")
    if not data:
        return False
    host = (data.get(b"hostname") or b"").decode()
    pid = int(data.get(b"pid") or 0)
    if host == socket.gethostname() and pid:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True


def inspect_build(conn: Redis, settings: Settings, build_id: str) -> BuildState:
    """The jobs of one RQ build (by their deterministic ids) and whether any still runs."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    state = BuildState(build_id)
    final_id = f"{settings.index_prefix}{build_id}-build"
    try:
        final = Job.fetch(final_id, connection=conn)
    except NoSuchJobError:
        state.jobs[final_id] = "missing"
        return state
    jobs = [final]
    for dep_id in final._dependency_ids:
        try:
            jobs.append(Job.fetch(dep_id, connection=conn))
        except NoSuchJobError:
            state.jobs[dep_id] = "missing"
    for job in jobs:
        status = job.get_status(refresh=True)
        status = getattr(status, "value", status) or "missing"
        state.jobs[job.id] = status
        if state.alive_reason:
            continue
        if status in WAITING:
            state.alive_reason = f"job {job.id} is {status}"
        elif status == "started" and _worker_alive(conn, job.worker_name):
            state.alive_reason = f"job {job.id} runs on worker {job.worker_name}"
    return state


def _cancel_jobs(conn: Redis, state: BuildState) -> list[str]:
    from rq.exceptions import InvalidJobOperation, NoSuchJobError
    from rq.job import Job

    canceled = []
    for job_id, status in state.jobs.items():
        if status in DONE or status == "missing":
            continue
        try:
            Job.fetch(job_id, connection=conn).cancel()
            canceled.append(job_id)
        except (NoSuchJobError, InvalidJobOperation):
            pass
    return canceled


def still_written(client, indexes: list[str], watch_s: float = WRITE_WATCH_S) -> list[str]:
    """The indexes whose count of indexing operations grows while we watch: a live writer."""
    if not indexes:
        return []

    def totals() -> dict[str, int]:
        stats = client.indices.stats(index=",".join(indexes), metric="indexing", params={"ignore_unavailable": "true"})
        return {i: s["primaries"]["indexing"]["index_total"] for i, s in stats.get("indices", {}).items()}

    before = totals()
    time.sleep(watch_s)
    after = totals()
    return sorted(i for i in after if after[i] != before.get(i, after[i]))


def cleanup(settings: Settings, conn: Redis | None, *, grace_s: float = ORPHAN_GRACE_S) -> dict:
    """Clear what a dead build left; never touches a live one. Returns what it did."""
    report: dict = {"prefix": settings.index_prefix, "lock": None, "build": None, "canceled_jobs": [],
                    "deleted_indexes": [], "spool_removed": None, "kept": None}
    client = make_client(settings, timeout=60)
    holder = lock_holder(conn, settings) if conn is not None else None
    report["lock"] = holder
    min_age = grace_s
    if holder:
        state = inspect_build(conn, settings, holder)
        report["build"] = {"id": holder, "jobs": state.jobs, "rq": state.rq}
        if state.alive:
            report["kept"] = f"build {holder} is still running ({state.alive_reason}); nothing removed"
            return report
        if not state.rq:
            report["kept"] = (f"the lock is held by build {holder}, which has no RQ jobs (an in-process "
                              "`peerscope index`); if it no longer runs, clear it with `peerscope index --unlock` "
                              "and run --cleanup again")
            return report
        report["canceled_jobs"] = _cancel_jobs(conn, state)
        folder = spool.build_dir(settings, holder)
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
            report["spool_removed"] = str(folder)
        min_age = 0  # the lock was that build's: every unaliased index of the prefix is its leftover
    orphans = lifecycle.orphans(client, settings, older_than_s=min_age)
    writing = still_written(client, orphans)
    if writing:  # e.g. a work horse that outlived its killed worker: it is not dead yet
        report["kept"] = (f"{', '.join(writing)} is still being written to; a build is alive (wait for it, "
                          "or stop it) and run --cleanup again")
        return report
    deleted = []
    for index in orphans:  # one by one, each checked again just before: never an index that got an alias
        if not client.indices.get_alias(index=index, ignore_unavailable=True).get(index, {}).get("aliases"):
            client.indices.delete(index=index, ignore_unavailable=True)
            deleted.append(index)
    report["deleted_indexes"] = deleted
    report["unblocked_indexes"] = lifecycle.lift_write_blocks(client, settings)
    if holder:
        release_lock(conn, settings, holder)
        report["lock_released"] = lock_holder(conn, settings) is None
    return report


def format_report(report: dict) -> str:
    lines = [f"prefix {report['prefix']}: lock " + (f"held by build {report['lock']}" if report["lock"] else "free")]
    if report.get("build"):
        jobs = report["build"]["jobs"]
        lines.append("jobs: " + (", ".join(f"{k.rsplit('-', 1)[-1] if k.endswith('-build') else k.split('-read-')[-1]}"
                                           f"={v}" for k, v in jobs.items()) or "none"))
    if report.get("kept"):
        lines.append(report["kept"])
        return "\n".join(lines)
    if report["canceled_jobs"]:
        lines.append(f"canceled {len(report['canceled_jobs'])} jobs of the dead build")
    lines.append(f"deleted {len(report['deleted_indexes'])} half-built indexes"
                 + (": " + ", ".join(report["deleted_indexes"]) if report["deleted_indexes"] else ""))
    if report.get("unblocked_indexes"):
        lines.append("lifted the write block a copy left on " + ", ".join(report["unblocked_indexes"]))
    if report.get("spool_removed"):
        lines.append(f"removed spool {report['spool_removed']}")
    if report["lock"]:
        lines.append("lock released" if report.get("lock_released") else "lock NOT released (changed meanwhile)")
    return "\n".join(lines)


def _run_cleanup(prefix: str | None) -> None:
    settings = load_settings()
    if prefix:
        settings = replace(settings, index_prefix=prefix)
    conn = Redis.from_url(settings.redis_url, socket_connect_timeout=2)
    try:
        conn.ping()
    except RedisError:
        click.echo(f"warning: Redis at {settings.redis_url} is not reachable: the lock and jobs are not "
                   "checked; only orphan indexes older than the grace period are removed", err=True)
        conn = None
    report = cleanup(settings, conn)
    click.echo(format_report(report))
    if report.get("kept"):
        sys.exit(1)


def cleanup_option(command):
    """Adds `--cleanup` to `peerscope index`: recover from a dead build instead of building."""
    @functools.wraps(command)
    def wrapper(*args, cleanup: bool = False, **kwargs):
        if cleanup:
            return _run_cleanup(kwargs.get("prefix"))
        return command(*args, **kwargs)

    return click.option("--cleanup", is_flag=True,
                        help="Recover from a build that died: cancel its jobs, delete its half-built "
                             "indexes and spool, release its lock (never touches a running build).")(wrapper)
