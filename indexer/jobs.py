"""RQ jobs of an index build and the code that enqueues them.

Jobs take plain values (prefix, build id, file name), never objects, and
rebuild their settings from the environment; the owners' corrections travel as the
dotted name of their loader, resolved in the worker as RQ resolves job functions.
Job ids are deterministic, so a second enqueue of the same build is refused by RQ
instead of duplicating work.
A Redis lock (redis-py's `Lock`) keeps two full builds of one prefix from running at
once; the final job releases it.
"""
from __future__ import annotations

import json
import pkgutil
import uuid
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from redis import Redis
from redis.exceptions import LockNotOwnedError
from redis.lock import Lock
from rq import Queue, Retry

from domain.corrections import Corrections, no_corrections
from indexer import spool
from indexer.plan import plan_files
from indexer.sources import available_sources
from indexer.sources.base import FileTask, Options
from indexer.stages import build_indexes, read_file
from peerscope.config import Settings, load_settings

LOCK_TTL_S = 3 * 3600
FILE_JOB_TIMEOUT_S = 1800
BUILD_JOB_TIMEOUT_S = 3 * 3600


class BuildLocked(RuntimeError):
    """Another full build of the same index prefix is running."""


def lock_key(settings: Settings) -> str:
    return f"{settings.index_prefix}reindex-lock"


def rejects_key(settings: Settings) -> str:
    return f"{settings.index_prefix}rejects"


def build_lock(conn: Redis, settings: Settings) -> Lock:
    """redis-py's lock on full builds of one prefix; its token is the holding build's id, and it
    lapses after LOCK_TTL_S should its holder die without releasing it."""
    return conn.lock(lock_key(settings), timeout=LOCK_TTL_S, blocking=False, thread_local=False)


def lock_holder(conn: Redis, settings: Settings) -> str | None:
    """The id of the build holding the lock, or None when it is free."""
    token = conn.get(lock_key(settings))
    return token.decode() if token else None


def acquire_lock(conn: Redis, settings: Settings, build_id: str) -> None:
    if not build_lock(conn, settings).acquire(token=build_id):
        raise BuildLocked(f"a full reindex is already running (build {lock_holder(conn, settings) or '?'}); "
                          f"wait for it or clear it with `peerscope index --unlock`")


def release_lock(conn: Redis, settings: Settings, build_id: str) -> None:
    """Release the lock if `build_id` still holds it; another build's lock stays."""
    try:
        build_lock(conn, settings).do_release(build_id)  # compare and delete in one step
    except LockNotOwnedError:
        pass


def publish_rejects(conn: Redis, settings: Settings, rejects: list[dict]) -> None:
    key = rejects_key(settings)
    pipe = conn.pipeline()
    pipe.delete(key)
    for chunk in range(0, len(rejects), 1000):
        pipe.rpush(key, *[json.dumps(r, ensure_ascii=False) for r in rejects[chunk:chunk + 1000]])
    pipe.execute()


def new_build_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:6]


# ---------------------------------------------------------------- job functions (run by workers)

def _settings(prefix: str) -> Settings:
    return replace(load_settings(), index_prefix=prefix)


def read_file_job(prefix: str, build_id: str, path: str, limit: int | None,
                  year_from: int | None, year_to: int | None, source: str = "acl") -> dict:
    settings = _settings(prefix)
    return read_file(settings, spool.build_dir(settings, build_id), FileTask(Path(path), limit, source),
                     year_from, year_to)


def loader_name(corrections: Corrections) -> str | None:
    """The dotted name a job carries for `corrections` (None for none)."""
    if corrections is no_corrections:
        return None
    name = f"{corrections.__module__}:{corrections.__qualname__}"
    if "<" in name:  # a lambda or a nested function has no importable name
        raise ValueError(f"corrections for a queued build must be a module-level function, not {name}")
    return name


def build_indexes_job(prefix: str, build_id: str, fresh: bool = False, corrections: str | None = None) -> dict:
    settings = _settings(prefix)
    loader = pkgutil.resolve_name(corrections) if corrections else no_corrections
    conn = Redis.from_url(settings.redis_url)
    try:
        report = build_indexes(settings, spool.build_dir(settings, build_id), reuse=not fresh, corrections=loader)
        publish_rejects(conn, settings, report["rejects"])
        conn.set(f"{prefix}last-build", json.dumps({k: v for k, v in report.items() if k != "rejects"}))
        return {k: v for k, v in report.items() if k != "rejects"}
    finally:
        release_lock(conn, settings, build_id)


# ---------------------------------------------------------------- enqueueing

def enqueue_build(settings: Settings, options: Options, conn: Redis,
                  corrections: Corrections = no_corrections) -> tuple[str, list, object]:
    """One job per file of every source present, then the index-building job that depends on all of them."""
    corrections_name = loader_name(corrections)
    tasks = plan_files(available_sources(settings), options)
    build_id = new_build_id()
    acquire_lock(conn, settings, build_id)
    try:
        queue = Queue(settings.queue_name, connection=conn)
        file_jobs = [
            queue.enqueue(read_file_job, settings.index_prefix, build_id, str(t.path), t.limit,
                          options.year_from, options.year_to, t.source,
                          job_id=f"{settings.index_prefix}{build_id}-read-{t.path.stem.replace('.', '_')}",
                          job_timeout=FILE_JOB_TIMEOUT_S, retry=Retry(max=2, interval=[5, 30]),
                          result_ttl=86400, failure_ttl=7 * 86400)
            for t in tasks
        ]
        final = queue.enqueue(build_indexes_job, settings.index_prefix, build_id, options.fresh, corrections_name,
                              job_id=f"{settings.index_prefix}{build_id}-build", depends_on=file_jobs,
                              job_timeout=BUILD_JOB_TIMEOUT_S, retry=Retry(max=1, interval=[30]),
                              result_ttl=86400, failure_ttl=7 * 86400)
    except BaseException:
        release_lock(conn, settings, build_id)
        raise
    return build_id, file_jobs, final
