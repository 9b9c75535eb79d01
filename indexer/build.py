"""One index build, start to end, in this process: plan, read and embed every file, write the
indexes, swap the aliases. The CLI, evaluation, benchmarks and tests build through here; the
queued way runs the same two stages as RQ jobs (indexer/jobs.py).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import time
from pathlib import Path

from redis import Redis, RedisError
from tqdm import tqdm

from domain.corrections import Corrections, Overrides, no_corrections
from indexer import spool
from indexer.jobs import acquire_lock, new_build_id, publish_rejects, release_lock
from indexer.plan import plan_files
from indexer.sources import available_sources
from indexer.sources.base import FileTask, Options
from indexer.stages import BackgroundEmbedder, build_indexes, embedder_for, read_file
from peerscope.config import REPO_ROOT, Settings
from search import lifecycle
from search.client import make_client


def _bar(label: str, total: int):
    bar = tqdm(total=total, desc=label, unit="doc", dynamic_ncols=True, file=sys.stderr)
    return bar.update


# What a file's spooled records and the indexes depend on besides the bytes of the files read:
# the code that reads, merges, aggregates and writes them, and the embedding configuration.
CODE_PACKAGES = ("indexer", "domain", "mappings", "embeddings")
_CODE_SUFFIXES = (".py", ".json", ".yaml", ".yml", ".txt")


def _code_fingerprint() -> str:
    h = hashlib.sha1()
    for package in CODE_PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*")):
            if path.suffix in _CODE_SUFFIXES and path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _data_fingerprint(settings: Settings, tasks: list[FileTask]) -> str:
    """The sources' other files (people, venues; for a sample, the files not read): their bytes."""
    planned = {t.path.resolve() for t in tasks}
    h = hashlib.sha1()
    for root in (settings.data_dir, settings.arxiv_dir):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.resolve() not in planned:
                h.update(str(path.relative_to(root)).encode() + b"\0" + spool.sha1_of(path).encode())
    return h.hexdigest()


def recipe(settings: Settings, options: Options, sources: list, tasks: list[FileTask]) -> dict:
    """Everything but the bytes of the files read that a build's records and indexes depend on."""
    return {"sources": sorted(s.name for s in sources), "year_from": options.year_from, "year_to": options.year_to,
            "model": settings.model, "embed_backend": settings.embed_backend,
            "embed_max_seq_length": settings.embed_max_seq_length, "embedding_dims": settings.embedding_dims,
            "code": _code_fingerprint(), "data": _data_fingerprint(settings, tasks)}


def links_fingerprint(owner: Overrides) -> str:
    """The link corrections a build applies: they change which researcher a mention is, so a
    rebuild of unchanged files still has work to do when they changed (the sync job changes
    the live documents it can, collaborators and topics wait for a build)."""
    return hashlib.sha1(json.dumps([dataclasses.astuple(f) for f in owner.links]).encode()).hexdigest()


def _live_indexes(settings: Settings) -> dict[str, list[str]]:
    client = make_client(settings, timeout=30)
    return {name: lifecycle.indexes_behind(client, settings.alias(name)) for name in ("works", "researchers")}


def run_in_process(settings: Settings, options: Options, conn: Redis | None,
                   corrections: Corrections = no_corrections) -> dict:
    """Build the indexes `options` ask for, with the owners' corrections `corrections` gives;
    holds the reindex lock and publishes the rejects when `conn` is given. Returns the
    reconciliation report.

    Unless `options.fresh`, a file whose bytes did not change since the live build (its
    fingerprint in the current spool, under the same recipe) is not read again: its spooled
    records are taken as they are. When no file changed, none was added or removed and the
    live indexes are those the current spool made, there is nothing to build: the report is
    the live build's (with "unchanged": True), and nothing is written."""
    sources = available_sources(settings)
    tasks = plan_files(sources, options)
    build_id = new_build_id()
    folder = spool.build_dir(settings, build_id)
    if conn is not None:
        acquire_lock(conn, settings, build_id)
    try:
        started = time.perf_counter()
        owner = corrections(settings)  # read once: the recipe and the build see the same state
        wanted = {**recipe(settings, options, sources, tasks), "link corrections": links_fingerprint(owner)}
        current = spool.current_dir(settings)
        previous = None if options.fresh else spool.read_manifest(current)
        kept = {}
        if previous is not None and previous.get("recipe") == wanted:
            kept = {t.path.name: fp for t in tasks
                    if (fp := spool.unchanged(current, t.path, t.limit, t.source)) is not None}
        if (previous is not None and len(kept) == len(tasks) and spool.sources_done(current) == set(kept)
                and _live_indexes(settings) == previous.get("indexes")):
            live = previous["report"]
            report = {**live, "unchanged": True, "rejects": spool.read_rejects(current),
                      "written": {name: {"new or changed": 0, "unchanged": live[name]["indexed"], "removed": 0}
                                  for name in ("works", "researchers")},
                      "files": {"read": 0, "unchanged (records taken from the live build)": len(tasks)},
                      "timings_s": {"compare fingerprints": round(time.perf_counter() - started, 1)}}
            if conn is not None:
                publish_rejects(conn, settings, report["rejects"])
            return report
        # The model embeds in a background thread while the files are parsed (and then merged):
        # parsing holds the GIL, the model mostly does not.
        embedder = BackgroundEmbedder(embedder_for(settings))
        try:
            report = _read_and_build(settings, options, tasks, kept, current, folder, embedder,
                                     lambda _settings: owner, started)
        finally:
            embedder.close()
        spool.write_manifest(spool.current_dir(settings), {
            "recipe": wanted, "indexes": _live_indexes(settings),
            "report": {k: v for k, v in report.items() if k not in ("rejects", "timings_s", "files")}})
        if conn is not None:
            publish_rejects(conn, settings, report["rejects"])
        return report
    finally:
        if conn is not None:
            release_lock(conn, settings, build_id)


def _read_and_build(settings: Settings, options: Options, tasks: list[FileTask], kept: dict, current: Path,
                    folder: Path, embedder: BackgroundEmbedder, corrections: Corrections, started: float) -> dict:
    """Read the planned files (taking the unchanged ones from the current spool) while
    `embedder` embeds their texts, then stage 2."""
    # Progress in bytes of XML: collection files range from a few papers to thousands,
    # so bytes give an honest rate and ETA where a count of files would not.
    papers, taken = 0, 0
    with tqdm(total=sum(t.path.stat().st_size for t in tasks), desc="reading (embedding beside)", unit="B",
              unit_scale=True, dynamic_ncols=True, file=sys.stderr) as bar:
        for task in tasks:
            fp = kept.get(task.path.name)
            stats = None
            if fp is not None:
                try:
                    stats = spool.take_file_result(current, folder, task.path.name, fp)
                    taken += 1
                except OSError:  # the current spool lost a part of it: read the file
                    stats = None
            if stats is None:
                fp = spool.fingerprint(task.path, task.limit, task.source)
                stats = read_file(settings, folder, task, options.year_from, options.year_to,
                                  embed=embedder.prefetch)
                spool.write_fingerprint(folder, task.path.name, fp)
            papers += stats["accepted"]
            bar.set_postfix(papers=papers, refresh=False)
            bar.update(task.path.stat().st_size)
    read_s = round(time.perf_counter() - started, 1)
    report = build_indexes(settings, folder, progress=_bar, reuse=not options.fresh, corrections=corrections,
                           embedder=embedder)
    report["timings_s"] = {"read files (embedding beside)": read_s, **report["timings_s"]}
    report["files"] = {"read": len(tasks) - taken, "unchanged (records taken from the live build)": taken}
    return report


def reachable_redis(settings: Settings) -> Redis | None:
    """A connection to the project's Redis, or None when it does not answer."""
    conn = Redis.from_url(settings.redis_url, socket_connect_timeout=2)
    try:
        conn.ping()
        return conn
    except RedisError:
        return None
