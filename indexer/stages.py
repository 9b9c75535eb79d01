"""The two stages of an index build.

1. `read_file`: one collection file -> validated records + rejects in the spool,
   and its texts embedded (which fills the embedding cache). One RQ job each.
2. `build_indexes`: all spooled records -> topics, researcher aggregates,
   profile vectors -> new versioned indexes -> one atomic alias swap.
"""
from __future__ import annotations

import shutil
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from domain.corrections import NOT_LINKED, Corrections, Overrides, no_corrections
from indexer import spool
from indexer.aggregate import Aggregator, work_document
from indexer.merge import ARXIV, MergeResult, merge_sources, source_of
from domain.text import work_text
from embeddings import TextEncoder
from indexer.sources import available_sources
from indexer.sources.base import FileTask, Source
from indexer.topics import TopicModel, fit_topics
from indexer.write import Diff, bulk_index, delete_docs, indexed_hashes, vector_for_json
from peerscope.config import Settings
from search import lifecycle
from search.client import make_client

RESEARCHER_TOPICS = 5
Progress = Callable[[int], None]


@lru_cache(maxsize=4)
def embedder_for(settings: Settings) -> TextEncoder:
    """One embedder (one loaded model) per process and configuration."""
    return TextEncoder.from_settings(settings)


@lru_cache(maxsize=4)
def sources_for(settings: Settings) -> dict[str, Source]:
    """The sources present, by name, one instance each per process and configuration (so that
    per-file jobs load a source's people and venues once)."""
    return {source.name: source for source in available_sources(settings)}


def known_variants(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Person id -> every spelling the sources know for them."""
    known: dict[str, tuple[str, ...]] = {}
    for source in sources_for(settings).values():
        for pid, spellings in source.known_variants().items():
            known[pid] = known.get(pid, ()) + tuple(spellings)
    return known


def read_file(settings: Settings, folder: Path, task: FileTask,
              year_from: int | None = None, year_to: int | None = None) -> dict[str, Any]:
    """Stage 1 for one file, read by the source that planned it; returns its counts."""
    result = sources_for(settings)[task.source].read_file(task)
    records, skipped = [], 0
    for record in result.records:
        if (year_from and record["year"] < year_from) or (year_to and record["year"] > year_to):
            skipped += 1
        else:
            records.append(record)
    rejects = [r.to_dict() for r in result.rejects]
    if task.limit is not None:  # a sample reads only the first papers of its last file
        records = records[: task.limit]
        read = len(records) + sum(1 for r in rejects if r["entity"] == "work") + result.repeated
    else:
        read = result.read - skipped
    embedder_for(settings).encode_cached([work_text(r["title"], r.get("abstract")) for r in records])
    stats = {"source": result.source_file, "read": read, "accepted": len(records),
             "rejected": len(rejects), "repeated": result.repeated, "skipped_by_year": skipped}
    spool.write_file_result(folder, result.source_file, records, rejects, stats)
    return stats


class Rejects:
    """Collects rejects of stage 2 (duplicates, engine refusals) beside those of stage 1, and
    counts the listings of a preprint already read from an earlier listing day (`repeated`:
    set aside without a reject, like a paper a listing file repeats)."""

    def __init__(self, folder: Path):
        self.items = spool.read_rejects(folder)
        self.repeated = 0

    def add(self, entity: str, source: str, record_id: str | None, reason: str) -> None:
        self.items.append({"entity": entity, "source": source, "record_id": record_id, "reason": reason})

    def count(self, entity: str) -> int:
        return sum(1 for r in self.items if r["entity"] == entity)


def first_listings(records: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(records kept, records set aside): each paper once, from the first file that has it (the
    spool reads files in name order: listing days oldest first, so a preprint keeps its first
    listing day)."""
    seen: set[str] = set()
    kept, again = [], []
    for record in records:
        (again if record["id"] in seen else kept).append(record)
        seen.add(record["id"])
    return kept, again


def load_corpus(folder: Path, rejects: Rejects) -> list[dict[str, Any]]:
    """All spooled records, each paper once (first one wins): a preprint listed again on a later
    day counts as a repeated listing, another duplicate across files is rejected."""
    records, again = first_listings(spool.iter_records(folder))
    first = {r["id"]: r.get("source", "?") for r in records}
    for record in again:
        if source_of(record) == ARXIV:
            rejects.repeated += 1
        else:
            rejects.add("work", record.get("source", "?"), record["id"],
                        f"duplicate paper id (first read from {first[record['id']]})")
    return records


def researcher_topics(work_ids: list[str], topics_of: dict[str, list[str]]) -> list[str]:
    counts = Counter(t for wid in work_ids for t in topics_of.get(wid, ()))
    return [t for t, _ in counts.most_common(RESEARCHER_TOPICS)]


def profile_vector(work_ids: list[str], row_of: dict[str, int], vectors: np.ndarray) -> list[float] | None:
    rows = [row_of[w] for w in work_ids if w in row_of]
    if not rows:
        return None
    v = vectors[rows].mean(axis=0)
    norm = float(np.linalg.norm(v))
    return vector_for_json(v / norm) if norm > 0 else None


def enrich(records: list[dict[str, Any]], vectors: np.ndarray, model: TopicModel):
    """Row of each work in `vectors`, and the topics assigned to each work."""
    row_of = {r["id"]: i for i, r in enumerate(records)}
    assigned = model.assign(vectors)
    topics_of = {r["id"]: t for r, t in zip(records, assigned)}
    return row_of, topics_of


def work_docs(records, vectors, topics_of, model: TopicModel):
    for i, record in enumerate(records):
        doc = work_document(record)
        doc["topics"] = topics_of.get(record["id"], [])
        doc["topic_labels"] = model.labels(doc["topics"])
        doc["embedding"] = vector_for_json(vectors[i])
        yield doc


def merge_corpus(records: list[dict[str, Any]], known: dict[str, tuple[str, ...]],
                 owner: Overrides | None = None) -> MergeResult | None:
    """Works of several sources folded into one per paper, preprint authors resolved
    (indexer/merge) with the link corrections of `owner`; None when only one source was read,
    whose records stay as they are. (Merged profiles are moved afterwards, for every build:
    `Overrides.rename`.)"""
    preprints = [r for r in records if source_of(r) == ARXIV]
    if not preprints:
        return None
    published = [r for r in records if source_of(r) != ARXIV]
    return merge_sources(published, preprints, known_variants=known,
                         fixes=owner.link_fixes() if owner is not None else None)


def source_facts(records: list[dict[str, Any]], merged: MergeResult | None) -> dict[str, dict[str, Any]]:
    """Researcher id -> the fields a merged build adds to their document: the sources of their
    works, how many are preprints only, and the preprints the linker attached to them."""
    if merged is None:
        return {}
    facts: dict[str, dict[str, Any]] = {}
    for record in records:
        sources = record.get("sources") or [source_of(record)]
        for pid in {a["id"] for a in record["authors"]}:
            f = facts.setdefault(pid, {"sources": set(), "preprints_count": 0, "linked_works": []})
            f["sources"].update(sources)
            f["preprints_count"] += sources == [ARXIV]
        if sources == [ARXIV]:  # the preprints linked to a researcher, with why (after corrections)
            for a in record["authors"]:
                link = a.get("link")
                if link and link.get("method") not in NOT_LINKED and a["id"] in facts:
                    facts[a["id"]]["linked_works"].append(
                        {"work_id": record["id"], "method": link.get("method"),
                         "confidence": link.get("confidence"), "evidence": link.get("evidence")})
    for f in facts.values():
        f["sources"] = sorted(f["sources"])
    return facts


def researcher_docs(aggregator: Aggregator, ids, row_of, topics_of, vectors, model: TopicModel, rejects: Rejects,
                    facts: dict[str, dict[str, Any]] | None = None):
    for doc in (aggregator.researcher(pid) for pid in ids) if ids is not None else aggregator.researchers():
        if doc is None:
            continue
        doc.update((facts or {}).get(doc["id"], {}))
        if not doc["name"].strip():
            rejects.add("researcher", "aggregate", doc["id"], "no name in any of their works")
            continue
        doc["topics"] = researcher_topics(doc["work_ids"], topics_of)
        doc["topic_labels"] = model.labels(doc["topics"])
        vector = profile_vector(doc["work_ids"], row_of, vectors)
        if vector is not None:
            doc["embedding"] = vector
        yield doc


class _Clock:
    """Wall time of each step of a build, for the reconciliation report and the benchmark."""

    def __init__(self):
        self.laps: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._t, 1)
        self._t = now


def build_indexes(settings: Settings, folder: Path, progress: Callable[[str, int], Progress] | None = None,
                  reuse: bool = True, corrections: Corrections = no_corrections) -> dict[str, Any]:
    """Stage 2: write new indexes from the spool and swap the aliases; returns the reconciliation.

    `corrections` gives the owners' corrections, applied to every document written.

    With `reuse` (the default) each new index starts as a copy of the live one when that was
    built the same way, and only documents whose fingerprint changed are written (and those
    no longer produced deleted): an unchanged corpus then costs no HNSW graph building.
    Without it, or when there is nothing to copy, the indexes are built from empty."""
    progress = progress or (lambda label, total: (lambda n: None))
    clock = _Clock()
    rejects = Rejects(folder)
    stats = spool.read_stats(folder)
    records = load_corpus(folder, rejects)
    owner = corrections(settings)  # owners' corrections survive every rebuild
    merged = merge_corpus(records, known_variants(settings), owner)
    if merged is not None:
        records = merged.records
        clock.lap("merge sources")
    records = owner.rename(records)  # merged profiles: their mentions are the other profile's
    texts = [work_text(r["title"], r.get("abstract")) for r in records]
    vectors = embedder_for(settings).encode_cached(texts)
    clock.lap("load spool + cached vectors")
    model = fit_topics(texts, vectors, seed=0)
    model.save(folder / "topics")
    row_of, topics_of = enrich(records, vectors, model)
    clock.lap("topics")

    aggregator = Aggregator(known_variants=known_variants(settings))
    for record in records:
        aggregator.add(record)
    people = len(aggregator)
    clock.lap("aggregate researchers")

    client = make_client(settings, timeout=120)
    with lifecycle.building(client, settings, ("works", "researchers"), reuse=reuse) as new:
        diffs = {name: Diff(indexed_hashes(client, index)) for name, index in new.items()}
        clock.lap("create or copy indexes")
        # Works and researchers go in side by side: while Python builds and
        # serialises one batch, the engine indexes (and builds graphs for) another.
        with ThreadPoolExecutor(max_workers=2) as pool:
            works_job = pool.submit(
                bulk_index, client, new["works"], owner.works(work_docs(records, vectors, topics_of, model)),
                on_reject=lambda rid, why: rejects.add("work", "bulk", rid, f"engine refused: {why}"),
                on_done=progress("writing works", len(records)), diff=diffs["works"])
            researchers_job = pool.submit(
                bulk_index, client, new["researchers"],
                owner.researchers(researcher_docs(aggregator, None, row_of, topics_of, vectors, model, rejects,
                                                  source_facts(records, merged))),
                on_reject=lambda rid, why: rejects.add("researcher", "bulk", rid, f"engine refused: {why}"),
                on_done=progress("writing researchers", people), diff=diffs["researchers"])
            written = {"works": works_job.result(), "researchers": researchers_job.result()}
        removed = {name: delete_docs(client, new[name], diffs[name].stale()) for name in new}
        clock.lap("bulk writes")
    clock.lap("refresh + alias swap")
    indexed = {name: written[name] + diffs[name].unchanged for name in written}
    works_read = sum(s["read"] for s in stats)
    report = {
        "works": {"read": works_read, "indexed": indexed["works"], "rejected": rejects.count("work"),
                  "merged": len(merged.matches) if merged is not None else 0,
                  "repeated": sum(s.get("repeated", 0) for s in stats) + rejects.repeated,
                  "skipped_by_year": sum(s["skipped_by_year"] for s in stats)},
        "researchers": {"read": people, "indexed": indexed["researchers"], "rejected": rejects.count("researcher")},
        "written": {name: {"new or changed": written[name], "unchanged": diffs[name].unchanged,
                           "removed": removed[name]} for name in written},
        "collections": {"read": len(stats), "rejected": rejects.count("collection")},
        "topics": len(model),
        "merge": merged.report if merged is not None else None,
        "rejects": rejects.items,
        "timings_s": clock.laps,
    }
    spool.promote(settings, folder)
    topics_home = settings.cache_dir / "topics" / settings.index_prefix.rstrip("-")
    shutil.rmtree(topics_home, ignore_errors=True)
    model.save(topics_home)
    return report
