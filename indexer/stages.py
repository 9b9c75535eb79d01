"""The two stages of an index build.

1. `read_file`: one collection file -> validated records + rejects in the spool,
   and its texts embedded (which fills the embedding cache), or handed to a background
   embedder when the build runs in one process. One RQ job each.
2. `build_indexes`: all spooled records -> merge, researcher aggregates, topics (fitted on
   a sample), then works and researchers streamed to the engine while later works are
   embedded -> new versioned indexes -> one atomic alias swap.
"""
from __future__ import annotations

import shutil
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
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
from indexer.topics.clustering import default_k
from indexer.write import BulkStream, Diff, delete_docs, indexed_hashes, vector_for_json
from peerscope.config import Settings
from search import lifecycle
from search.client import make_client

RESEARCHER_TOPICS = 5
PREFETCH_CHUNK = 512  # texts per background embedding call while files are read
STREAM_CHUNK = 1000  # works per step of the streamed write: embed, assign topics, hand to the writer
TOPIC_SAMPLE_PER_TOPIC = 50  # the topic model is fitted on max(TOPIC_SAMPLE_MIN, this x k) works
TOPIC_SAMPLE_MIN = 2000
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


class BackgroundEmbedder:
    """Embeds texts in one background thread, in the order they are handed in, so that reading
    files, merging them and writing documents go on beside the model (which releases the GIL).

    `prefetch(texts)` fills the embedding cache ahead of need (while files are read);
    `stop_prefetch()` drops what has not started, since the build then asks for vectors in
    the order it writes; `submit(texts)` gives a future of their vectors. Vectors come from
    `TextEncoder.encode_cached`: each distinct text is embedded once, and what was prefetched
    is read back from the cache. `busy_s` is the thread's time in the encoder."""

    def __init__(self, encoder: TextEncoder, chunk: int = PREFETCH_CHUNK):
        self.encoder = encoder
        self.chunk = chunk
        self.busy_s = 0.0
        self.encoded_at_start = encoder.texts_encoded  # the encoder counts the texts it ran the model on
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed")
        self._prefetched: list[Future] = []

    def _encode(self, texts: list[str]) -> np.ndarray:
        t = time.perf_counter()
        try:
            return self.encoder.encode_cached(texts)
        finally:
            self.busy_s += time.perf_counter() - t

    def prefetch(self, texts: list[str]) -> None:
        for s in range(0, len(texts), self.chunk):
            self._prefetched.append(self._pool.submit(self._encode, texts[s : s + self.chunk]))

    def stop_prefetch(self) -> None:
        """Cancel the prefetches not begun; an error of a finished one is raised here."""
        for future in self._prefetched:
            future.cancel()
        for future in self._prefetched:
            if not future.cancelled() and future.done() and future.exception() is not None:
                raise future.exception()
        self._prefetched = []

    def submit(self, texts: list[str]) -> Future:
        return self._pool.submit(self._encode, list(texts))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def known_variants(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Person id -> every spelling the sources know for them."""
    known: dict[str, tuple[str, ...]] = {}
    for source in sources_for(settings).values():
        for pid, spellings in source.known_variants().items():
            known[pid] = known.get(pid, ()) + tuple(spellings)
    return known


def read_file(settings: Settings, folder: Path, task: FileTask,
              year_from: int | None = None, year_to: int | None = None,
              embed: Callable[[list[str]], Any] | None = None) -> dict[str, Any]:
    """Stage 1 for one file, read by the source that planned it; returns its counts.

    Its texts are embedded here (into the cache), or handed to `embed` (a background
    embedder's `prefetch`) when the caller embeds beside the reading."""
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
    (embed or embedder_for(settings).encode_cached)([work_text(r["title"], r.get("abstract")) for r in records])
    stats = {"source": result.source_file, "source_name": task.source, "read": read, "accepted": len(records),
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


def topic_sample(n: int) -> np.ndarray:
    """Rows of the works the topic model is fitted on (sorted; the same for the same n): about 50
    per topic of the k the whole corpus calls for, at least 2,000, so that the model is ready
    after a small part of the embedding and every later work is assigned as it comes."""
    k = default_k(n)
    size = min(n, max(TOPIC_SAMPLE_MIN, TOPIC_SAMPLE_PER_TOPIC * k))
    if size >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, size, replace=False))


class Countdown:
    """Which researchers are complete as works get their vectors: a researcher's document lists
    every work of theirs that is not hidden (the Aggregator's rule), so it can be written once
    the last of those is done."""

    def __init__(self, records: list[dict[str, Any]]):
        self.authors = [() if r.get("hidden") else tuple({a["id"]: None for a in r["authors"]}) for r in records]
        self.left = Counter(pid for pids in self.authors for pid in pids)

    def done(self, start: int, end: int) -> list[str]:
        """Works [start, end) have their vectors: the researchers that completes, in order."""
        out = []
        for pids in self.authors[start:end]:
            for pid in pids:
                self.left[pid] -= 1
                if not self.left[pid]:
                    out.append(pid)
        return out


def build_indexes(settings: Settings, folder: Path, progress: Callable[[str, int], Progress] | None = None,
                  reuse: bool = True, corrections: Corrections = no_corrections,
                  embedder: BackgroundEmbedder | None = None) -> dict[str, Any]:
    """Stage 2: write new indexes from the spool and swap the aliases; returns the reconciliation.

    `corrections` gives the owners' corrections, applied to every document written.
    `embedder`, when given, is the one that prefetched vectors while the files were read.

    The steps overlap: after the merge and the aggregation (which need every record), the
    works are embedded in the background in chunks; the topic model is fitted on a sample
    embedded first; each later chunk gets its topics and goes to a bulk writer thread while
    the next is embedded, and a researcher's document goes to a second writer as soon as the
    last of their works has its vector. The works index is force-merged while researchers
    are still written, the researchers index beside it once complete; the aliases swap only
    after both indexes are complete.

    With `reuse` (the default) each new index starts as a copy of the live one when that was
    built the same way, and only documents whose fingerprint changed are written (and those
    no longer produced deleted): an unchanged corpus then costs no HNSW graph building.
    Without it, or when there is nothing to copy, the indexes are built from empty."""
    progress = progress or (lambda label, total: (lambda n: None))
    clock = _Clock()
    own_embedder = embedder is None
    embedder = embedder or BackgroundEmbedder(embedder_for(settings))
    try:
        rejects = Rejects(folder)
        stats = spool.read_stats(folder)
        records = load_corpus(folder, rejects)
        clock.lap("load spool")
        owner = corrections(settings)  # owners' corrections survive every rebuild
        merged = merge_corpus(records, known_variants(settings), owner)
        if merged is not None:
            records = merged.records
            clock.lap("merge sources")
        records = owner.rename(records)  # merged profiles: their mentions are the other profile's
        aggregator = Aggregator(known_variants=known_variants(settings))
        for record in records:
            aggregator.add(record)
        people = len(aggregator)
        facts = source_facts(records, merged)
        clock.lap("aggregate researchers")

        embedder.stop_prefetch()  # from here on vectors are asked for in the order they are written
        texts = [work_text(r["title"], r.get("abstract")) for r in records]
        n = len(records)
        sample = topic_sample(n)
        sample_job = embedder.submit([texts[i] for i in sample])
        chunks = [(s, embedder.submit(texts[s : s + STREAM_CHUNK])) for s in range(0, n, STREAM_CHUNK)]
        model = fit_topics([texts[i] for i in sample], sample_job.result(), k=default_k(n), seed=0)
        model.save(folder / "topics")
        clock.lap("embed a sample + fit topics")

        row_of = {r["id"]: i for i, r in enumerate(records)}
        vectors = np.zeros((n, embedder.encoder.dims), dtype=np.float32)
        topics_of: dict[str, list[str]] = {}
        countdown = Countdown(records)
        client = make_client(settings, timeout=120)
        merging: list[Future] = []
        with lifecycle.building(client, settings, ("works", "researchers"), reuse=reuse) as new, \
                ThreadPoolExecutor(max_workers=2, thread_name_prefix="forcemerge") as merger:
            diffs = {name: Diff(indexed_hashes(client, index)) for name, index in new.items()}
            clock.lap("create or copy indexes")
            works_out = BulkStream(
                client, new["works"], transform=owner.works, diff=diffs["works"], name="bulk-works",
                on_reject=lambda rid, why: rejects.add("work", "bulk", rid, f"engine refused: {why}"),
                on_done=progress("writing works", n))
            people_out = BulkStream(
                client, new["researchers"], transform=owner.researchers, diff=diffs["researchers"],
                name="bulk-researchers",
                on_reject=lambda rid, why: rejects.add("researcher", "bulk", rid, f"engine refused: {why}"),
                on_done=progress("writing researchers", people))
            try:
                for start, job in chunks:
                    part = job.result()
                    end = start + len(part)
                    vectors[start:end] = part
                    for record, assigned in zip(records[start:end], model.assign(part)):
                        topics_of[record["id"]] = assigned
                    for doc in work_docs(records[start:end], part, topics_of, model):
                        works_out.put(doc)
                    complete = countdown.done(start, end)
                    for doc in researcher_docs(aggregator, complete, row_of, topics_of, vectors, model, rejects, facts):
                        people_out.put(doc)
                clock.lap("embed + write, side by side")
                written = {"works": works_out.close()}
                removed = {"works": delete_docs(client, new["works"], diffs["works"].stale())}
                # the works index is complete: merge it into one segment while researchers are written
                merging.append(merger.submit(lifecycle.merge_segments, client, new["works"]))
                written["researchers"] = people_out.close()
            except BaseException:
                works_out.abort()
                people_out.abort()
                raise
            removed["researchers"] = delete_docs(client, new["researchers"], diffs["researchers"].stale())
            clock.lap("last writes")
            # beside the works' merge (the engine's pool merges two at once: peerscope/node.py)
            merging.append(merger.submit(lifecycle.merge_segments, client, new["researchers"]))
            for future in merging:
                future.result()
        clock.lap("force merge + refresh + alias swap")
    finally:
        if own_embedder:
            embedder.close()
    clock.laps["embedding, in the background (busy)"] = round(embedder.busy_s, 1)
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
        "by_source": by_source(stats, records),
        "topics": len(model),
        "embedded": {"texts": embedder.encoder.texts_encoded - embedder.encoded_at_start, "topic sample": len(sample),
                     "busy_s": round(embedder.busy_s, 1)},
        "merge": merged.report if merged is not None else None,
        "rejects": rejects.items,
        "timings_s": clock.laps,
    }
    spool.promote(settings, folder)
    topics_home = settings.cache_dir / "topics" / settings.index_prefix.rstrip("-")
    shutil.rmtree(topics_home, ignore_errors=True)
    model.save(topics_home)
    return report


def by_source(stats: list[dict[str, Any]], records: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per source: works read (from the files' counts) and the works indexed that carry a
    version of it (a merged work counts for both)."""
    out: dict[str, dict[str, int]] = {}
    for s in stats:
        name = s.get("source_name") or (ARXIV if s["source"].endswith(".jsonl") else "acl")
        row = out.setdefault(name, {"files": 0, "read": 0, "works with a version": 0, "only": 0})
        row["files"] += 1
        row["read"] += s["read"]
    for record in records:
        sources = record.get("sources") or [source_of(record)]
        for name in sources:
            row = out.setdefault(name, {"files": 0, "read": 0, "works with a version": 0, "only": 0})
            row["works with a version"] += 1
            row["only"] += len(sources) == 1
    return out
