"""`peerscope index` and `peerscope rejects`."""
from __future__ import annotations

import json
import sys
import time
from dataclasses import replace

import click

from domain.corrections import Corrections, no_corrections
from indexer import spool
from indexer.build import reachable_redis, run_in_process
from indexer.incremental import update_files
from indexer.jobs import BuildLocked, enqueue_build, lock_key, rejects_key
from indexer.plan import plan_files
from indexer.recovery import cleanup_option
from indexer.sources import available_sources
from indexer.sources.base import Options
from peerscope.config import Settings, load_settings


def _settings(prefix: str | None) -> Settings:
    settings = load_settings()
    return replace(settings, index_prefix=prefix) if prefix else settings


def print_reconciliation(report: dict) -> None:
    if report.get("unchanged"):
        click.echo("nothing changed since the live build: no file read, no index written")
    for entity in ("works", "researchers"):
        r = report[entity]
        ok = r["read"] == r["indexed"] + r["rejected"] + r.get("merged", 0) + r.get("repeated", 0)
        extra = f" (skipped by year filter: {r['skipped_by_year']})" if r.get("skipped_by_year") else ""
        folded = f" + merged into their published version {r['merged']}" if r.get("merged") else ""
        folded += f" + repeated listings {r['repeated']}" if r.get("repeated") else ""
        click.echo(f"{entity}: read {r['read']} = indexed {r['indexed']} + rejected {r['rejected']}{folded}"
                   f"{'' if ok else '  MISMATCH'}{extra}")
    if "collections" in report:
        c = report["collections"]
        click.echo(f"collection files: {c['read']} read, {c['rejected']} rejected whole; topics: {report['topics']}")
    for entity, w in (report.get("written") or {}).items():
        click.echo(f"{entity} written: {w['new or changed']} new or changed, {w['unchanged']} unchanged "
                   f"(kept from the live index), {w['removed']} removed")
    if report.get("files"):
        f = report["files"]
        click.echo(f"files: {f['read']} read, {f['unchanged (records taken from the live build)']} unchanged "
                   f"since the live build (their spooled records taken as they are)")
    if report.get("merge"):
        m = report["merge"]
        click.echo(f"sources merged: {m['preprints']} preprints, {m['merged']} folded into their published "
                   f"version, {m['researchers linked to preprints']} researchers linked to preprints, "
                   f"{m['researchers of their own']} preprint authors of their own")
    if "timings_s" in report:
        click.echo("time per step: " + ", ".join(f"{k} {v} s" for k, v in report["timings_s"].items()))


def make_index_command(corrections: Corrections = no_corrections) -> click.Command:
    """`peerscope index`, whose builds apply the owners' corrections that `corrections` gives."""

    @click.command("index")
    @click.option("--sample", type=int, help="Index about this many papers (whole collections, newest first).")
    @click.option("--year-from", type=int, help="Only papers from this year on.")
    @click.option("--year-to", type=int, help="Only papers up to this year (e.g. 2022 for temporal evaluation).")
    @click.option("--files", multiple=True, help="Incremental: re-read these collection files (e.g. 2022.acl.xml).")
    @click.option("--prefix", help="Index prefix (default: PEERSCOPE_INDEX_PREFIX).")
    @click.option("--sources", "source_names", help="Comma-separated sources to read, e.g. acl,arxiv "
                  "(default: PEERSCOPE_SOURCES, else every source whose data is present).")
    @click.option("--fresh", is_flag=True, help="Build from empty indexes instead of a copy of the live ones.")
    @click.option("--queue", "use_queue", is_flag=True,
                  help="Enqueue RQ jobs for `peerscope worker`s instead of running here.")
    @click.option("--unlock", is_flag=True, help="Clear a stale reindex lock and exit.")
    @cleanup_option
    def index_command(sample, year_from, year_to, files, prefix, source_names, fresh, use_queue, unlock) -> None:
        """Build the works and researchers indexes from the sources present: the ACL Anthology and
        arXiv listings (in-process by default)."""
        settings = _settings(prefix)
        if source_names:
            settings = replace(settings, sources=tuple(n.strip() for n in source_names.split(",") if n.strip()))
        conn = reachable_redis(settings)
        if unlock:
            if conn is None:
                sys.exit("error: Redis is not reachable")
            conn.delete(lock_key(settings))
            click.echo("lock cleared")
            return
        options = Options(sample=sample, year_from=year_from, year_to=year_to, files=tuple(files), fresh=fresh)
        started = time.monotonic()
        try:
            if files:
                report = update_files(settings, plan_files(available_sources(settings), options), corrections)
            elif use_queue:
                if conn is None:
                    sys.exit(f"error: Redis at {settings.redis_url} is not reachable; jobs cannot be enqueued")
                build_id, file_jobs, final = enqueue_build(settings, options, conn, corrections)
                click.echo(f"enqueued build {build_id}: {len(file_jobs)} file jobs and {final.id}; "
                           f"run `peerscope worker` to process them")
                return
            else:
                if conn is None:
                    click.echo(f"warning: Redis at {settings.redis_url} is not reachable: no lock, "
                               f"rejects kept on disk only", err=True)
                click.echo(f"indexing {options.describe()} from "
                           f"{', '.join(s.name for s in available_sources(settings))} "
                           f"into prefix '{settings.index_prefix}'", err=True)
                report = run_in_process(settings, options, conn, corrections)
        except (BuildLocked, FileNotFoundError, RuntimeError, ValueError) as exc:
            sys.exit(f"error: {exc}")
        print_reconciliation(report)
        click.echo(f"done in {time.monotonic() - started:.1f} s")

    return index_command


@click.command("rejects")
@click.option("--prefix", help="Index prefix (default: PEERSCOPE_INDEX_PREFIX).")
@click.option("--limit", default=20, show_default=True)
def rejects_command(prefix, limit) -> None:
    """Show the records the last build set aside, with their reasons."""
    settings = _settings(prefix)
    conn = reachable_redis(settings)
    if conn is not None and conn.exists(rejects_key(settings)):
        items = [json.loads(x) for x in conn.lrange(rejects_key(settings), 0, -1)]
    else:
        items = spool.read_rejects(spool.current_dir(settings))
    click.echo(f"{len(items)} rejects")
    for r in items[:limit]:
        click.echo(f"- [{r['entity']}] {r['source']} {r.get('record_id') or ''}: {r['reason']}")


def index_commands(corrections: Corrections = no_corrections) -> list:
    """The indexing commands; `corrections` is where builds get the owners' corrections from."""
    return [make_index_command(corrections), rejects_command]
