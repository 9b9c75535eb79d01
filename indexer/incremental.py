"""Incremental update: re-read a few files and update what they touch.

The works of those files are rewritten in place (behind the live aliases) and
every researcher who appears in them, before or after the change, is
re-aggregated from all of their works in the current spool. Topics come from
the model saved by the last full build, so topic ids stay stable.
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from domain.corrections import Corrections, no_corrections
from indexer import spool
from indexer.aggregate import Aggregator
from indexer.merge import ARXIV, source_of
from domain.text import work_text
from indexer.sources.base import FileTask
from indexer.stages import (Rejects, embedder_for, enrich, first_listings, known_variants, merge_corpus, read_file,
                            researcher_docs, source_facts,
                            work_docs)
from indexer.topics import TopicModel
from indexer.write import bulk_index
from peerscope.config import Settings
from search import freshness
from search.client import make_client


def _file_records(folder: Path, name: str) -> list[dict[str, Any]]:
    path = folder / "records" / f"{name}.jsonl.gz"
    if not path.exists():
        return []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def update_files(settings: Settings, tasks: list[FileTask], corrections: Corrections = no_corrections
                 ) -> dict[str, Any]:
    current = spool.current_dir(settings)
    if not (current / "topics" / "topics.json").exists():
        raise RuntimeError("no full build yet for this prefix: run `peerscope index` once before --files")
    model = TopicModel.load(current / "topics")
    before = {t.path.name: _file_records(current, t.path.name) for t in tasks}
    stats = [read_file(settings, current, t) for t in tasks]
    after = {t.path.name: _file_records(current, t.path.name) for t in tasks}

    # Each paper once, from the first file that has it: a preprint these files list again after
    # an earlier listing day is a repeated listing, not a work to write again.
    corpus, _ = first_listings(spool.iter_records(current))
    first = {r["id"]: r.get("source") for r in corpus}
    changed = [r for name, recs in after.items() for r in recs if first.get(r["id"]) == name]
    again = [r for name, recs in after.items() for r in recs if first.get(r["id"]) != name]
    repeated = sum(1 for r in again if source_of(r) == ARXIV)  # other duplicates: rejected, as in a build
    gone = {r["id"] for recs in before.values() for r in recs} - set(first)
    owner = corrections(settings)
    merged = merge_corpus(corpus, known_variants(settings), owner)
    if merged is not None:
        # Preprints are matched and their authors linked against the whole corpus, so the
        # merge runs on the whole spool; only the works it gives for these files are written.
        corpus = merged.records
        touched = {r["id"] for r in changed}
        changed = [r for r in corpus if touched & set(r.get("version_ids") or (r["id"],))]
        gone -= {v for r in changed for v in r.get("version_ids") or ()}
    corpus, changed = owner.rename(corpus), owner.rename(changed)
    affected = {a["id"] for recs in (*before.values(), [*changed]) for r in recs for a in r["authors"]}

    # Every work of every affected person, from the whole current spool.
    theirs = [r for r in corpus if any(a["id"] in affected for a in r["authors"])]
    embedder = embedder_for(settings)
    vectors = embedder.encode_cached([work_text(r["title"], r.get("abstract")) for r in theirs])
    row_of, topics_of = enrich(theirs, vectors, model)
    aggregator = Aggregator(known_variants=known_variants(settings))
    for record in theirs:
        aggregator.add(record)

    rejects = Rejects(current)
    client = make_client(settings, timeout=120)
    changed_rows = [row_of[r["id"]] for r in changed]
    with freshness.changing(settings):  # the live indexes change in place: kept answers go
        works_written = bulk_index(
            client, settings.alias("works"),
            owner.works(work_docs(changed, vectors[changed_rows], topics_of, model)),
            on_reject=lambda rid, why: rejects.add("work", "bulk", rid, f"engine refused: {why}"))
        for wid in gone:
            client.delete(index=settings.alias("works"), id=wid, ignore=[404])
        researchers_written = bulk_index(
            client, settings.alias("researchers"),
            owner.researchers(researcher_docs(aggregator, sorted(affected), row_of, topics_of, vectors, model,
                                              rejects, source_facts(theirs, merged))),
            on_reject=lambda rid, why: rejects.add("researcher", "bulk", rid, f"engine refused: {why}"))
        client.indices.refresh(index=f"{settings.alias('works')},{settings.alias('researchers')}")
    return {
        "works": {"read": sum(s["read"] for s in stats), "indexed": works_written,
                  "rejected": sum(s["rejected"] for s in stats) + len(again) - repeated, "removed": len(gone),
                  "repeated": sum(s["repeated"] for s in stats) + repeated},
        "researchers": {"read": len(affected), "indexed": researchers_written,
                        "rejected": len(affected) - researchers_written},
    }
