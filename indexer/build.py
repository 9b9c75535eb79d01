"""One index build, start to end, in this process: plan, read and embed every file, write the
indexes, swap the aliases. The CLI, evaluation, benchmarks and tests build through here; the
queued way runs the same two stages as RQ jobs (indexer/jobs.py).
"""
from __future__ import annotations

import sys
import time

from redis import Redis, RedisError
from tqdm import tqdm

from domain.corrections import Corrections, no_corrections
from indexer import spool
from indexer.jobs import acquire_lock, new_build_id, publish_rejects, release_lock
from indexer.plan import plan_files
from indexer.sources import available_sources
from indexer.sources.base import Options
from indexer.stages import build_indexes, read_file
from peerscope.config import Settings


def _bar(label: str, total: int):
    bar = tqdm(total=total, desc=label, unit="doc", dynamic_ncols=True, file=sys.stderr)
    return bar.update


def run_in_process(settings: Settings, options: Options, conn: Redis | None,
                   corrections: Corrections = no_corrections) -> dict:
    """Build the indexes `options` ask for, with the owners' corrections `corrections` gives;
    holds the reindex lock and publishes the rejects when `conn` is given. Returns the
    reconciliation report."""
    tasks = plan_files(available_sources(settings), options)
    build_id = new_build_id()
    folder = spool.build_dir(settings, build_id)
    if conn is not None:
        acquire_lock(conn, settings, build_id)
    try:
        started = time.perf_counter()
        # Progress in bytes of XML: collection files range from a few papers to thousands,
        # so bytes give an honest rate and ETA where a count of files would not.
        papers = 0
        with tqdm(total=sum(t.path.stat().st_size for t in tasks), desc="reading + embedding", unit="B",
                  unit_scale=True, dynamic_ncols=True, file=sys.stderr) as bar:
            for task in tasks:
                stats = read_file(settings, folder, task, options.year_from, options.year_to)
                papers += stats["accepted"]
                bar.set_postfix(papers=papers, refresh=False)
                bar.update(task.path.stat().st_size)
        read_s = round(time.perf_counter() - started, 1)
        report = build_indexes(settings, folder, progress=_bar, reuse=not options.fresh, corrections=corrections)
        report["timings_s"] = {"read + embed collection files": read_s, **report["timings_s"]}
        if conn is not None:
            publish_rejects(conn, settings, report["rejects"])
        return report
    finally:
        if conn is not None:
            release_lock(conn, settings, build_id)


def reachable_redis(settings: Settings) -> Redis | None:
    """A connection to the project's Redis, or None when it does not answer."""
    conn = Redis.from_url(settings.redis_url, socket_connect_timeout=2)
    try:
        conn.ping()
        return conn
    except RedisError:
        return None
