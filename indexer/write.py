"""Bulk writes with retries; documents the engine refuses become rejects instead of crashing a run,
while a write the engine could not store (a shard without a live copy) stops the build before its
alias swap. `BulkStream` writes in a background thread while the build goes on producing documents."""
from __future__ import annotations

import hashlib
import json
import queue
import threading
from collections.abc import Mapping
from typing import Any, Callable, Iterable

import numpy as np
import orjson
from opensearchpy import OpenSearch, helpers

CHUNK_DOCS = 500
CHUNK_BYTES = 20 * 1024 * 1024
VECTOR_DECIMALS = 6
MAX_ID_BYTES = 512  # the engine's limit: one longer id fails a whole bulk request (400)


# Refusals that are about the engine, not the document, whatever their status (a write block is 403).
ENGINE_REFUSALS = frozenset({"cluster_block_exception", "unavailable_shards_exception"})


def _error_type(info: Mapping[str, Any]) -> str | None:
    error = info.get("error")
    return error.get("type") if isinstance(error, Mapping) else None


class EngineUnavailable(RuntimeError):
    """The engine could not store documents (status 5xx after retries): the build must not swap
    its aliases onto an index that lacks them, so it stops and the live indexes keep serving."""


def vector_for_json(vector) -> list[float]:
    """A unit vector as JSON-friendly floats rounded to 6 decimals.

    A float32 turned into a Python float prints with about 19 characters; six
    decimals print with about 9 and move no cosine by more than about 1e-6. Every
    vector is sent twice over (the engine parses it and keeps it in `_source`),
    so this halves the bytes the engine parses and stores per document.
    """
    return np.round(np.asarray(vector, dtype=np.float64), VECTOR_DECIMALS).tolist()


def content_hash(doc: dict[str, Any]) -> str:
    """A stable fingerprint of the whole document, vector included (mappings.CONTENT_HASH):
    a profile vector can change while the rest of a researcher's document does not."""
    body = {k: v for k, v in doc.items() if k != "content_hash"}
    return hashlib.sha1(orjson.dumps(body, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY)).hexdigest()


def indexed_hashes(client: OpenSearch, index: str) -> dict[str, str]:
    """{id: content_hash} of every document in `index`, from doc values (empty for a new index)."""
    body = {"stored_fields": "_none_", "docvalue_fields": ["id", "content_hash"], "query": {"match_all": {}}}
    out: dict[str, str] = {}
    for h in helpers.scan(client, query=body, index=index, size=5000, scroll="2m", request_timeout=120,
                          scroll_kwargs={"request_timeout": 120}):
        f = h.get("fields") or {}
        if f.get("id"):
            out[f["id"][0]] = (f.get("content_hash") or [""])[0]
    return out


class Diff:
    """What a rebuild must change in an index that already holds documents (a copy of the
    live one): documents whose fingerprint differs are written, equal ones kept, and ids
    no longer produced are `stale` (to delete). For an empty index everything is written."""

    def __init__(self, hashes: Mapping[str, str]):
        self.hashes = hashes
        self.seen: set[str] = set()
        self.unchanged = 0

    def needs_write(self, doc: Mapping[str, Any]) -> bool:
        self.seen.add(doc["id"])
        same = self.hashes.get(doc["id"]) == doc["content_hash"]
        self.unchanged += same
        return not same

    def stale(self) -> list[str]:
        return [i for i in self.hashes if i not in self.seen]


def delete_docs(client: OpenSearch, index: str, ids: Iterable[str]) -> int:
    """Delete documents by id; returns how many were deleted."""
    actions = ({"_op_type": "delete", "_index": index, "_id": i} for i in ids)
    return sum(ok for ok, _ in helpers.streaming_bulk(client, actions, chunk_size=CHUNK_DOCS, max_retries=5,
                                                      raise_on_error=False, request_timeout=120))


def bulk_index(client: OpenSearch, index: str, docs: Iterable[dict[str, Any]],
               on_reject: Callable[[str | None, str], None], on_done: Callable[[int], None] | None = None,
               diff: Diff | None = None) -> int:
    """Index `docs` (each with an `id`) into `index`; returns how many were written
    (documents `diff` finds unchanged are skipped and counted there).

    Transient errors (429, connection hiccups) are retried by the helper with
    back-off; a document the engine refuses (4xx: it is malformed) is reported through
    `on_reject`; one it could not store (5xx, e.g. its shard lost its node, or a write block
    on the index) raises `EngineUnavailable`, since that says nothing about the record.
    """
    def actions():
        for doc in docs:
            if len(str(doc["id"]).encode("utf-8")) > MAX_ID_BYTES:  # the engine would refuse the whole request
                on_reject(str(doc["id"])[:200], f"id longer than the engine's {MAX_ID_BYTES} bytes")
                if on_done:
                    on_done(1)
                continue
            doc["content_hash"] = content_hash(doc)
            if diff is not None and not diff.needs_write(doc):
                if on_done:
                    on_done(1)
                continue
            yield {"_index": index, "_id": doc["id"], "_source": doc}

    written = 0
    for ok, item in helpers.streaming_bulk(
        client, actions(), chunk_size=CHUNK_DOCS, max_chunk_bytes=CHUNK_BYTES,
        max_retries=5, initial_backoff=1, raise_on_error=False, request_timeout=120,
    ):
        if ok:
            written += 1
        else:
            info = next(iter(item.values()))
            error = json.dumps(info.get("error"), ensure_ascii=False)[:500]
            if int(info.get("status") or 0) >= 500 or _error_type(info) in ENGINE_REFUSALS:
                raise EngineUnavailable(f"the engine could not store document {info.get('_id')} in {index} "
                                        f"(status {info.get('status')}: {error}); the build stops before its "
                                        "alias swap and the live indexes keep serving")
            on_reject(info.get("_id"), error)
        if on_done:
            on_done(1)
    return written


class BulkStream:
    """`bulk_index` in a background thread, fed one document at a time while the caller goes on
    (embedding later works, say): `put` each document, then `close` for the count written.

    The queue between the two is bounded, so a slow engine holds the producer back instead of
    filling memory; an error in the writer is raised again by the next `put` or by `close`.
    `transform` wraps the stream of documents (the owners' corrections)."""

    _END = object()

    def __init__(self, client: OpenSearch, index: str, on_reject: Callable[[str | None, str], None],
                 on_done: Callable[[int], None] | None = None, diff: Diff | None = None,
                 transform: Callable[[Iterable[dict[str, Any]]], Iterable[dict[str, Any]]] = lambda docs: docs,
                 max_queued: int = 4 * CHUNK_DOCS, name: str = "bulk"):
        self._queue: queue.Queue = queue.Queue(max_queued)
        self._aborted = threading.Event()
        self._result: list[int] = []
        self._error: list[BaseException] = []

        def docs():
            while True:
                doc = self._queue.get()
                if doc is self._END or self._aborted.is_set():
                    return
                yield doc

        def run():
            try:
                self._result.append(bulk_index(client, index, transform(docs()), on_reject, on_done, diff))
            except BaseException as exc:  # handed to the producer
                self._error.append(exc)
                self._aborted.set()

        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()

    def _raise(self) -> None:
        if self._error:
            raise self._error[0]

    def put(self, doc: dict[str, Any]) -> None:
        while True:
            self._raise()
            try:
                self._queue.put(doc, timeout=1.0)
                return
            except queue.Full:
                continue

    def close(self) -> int:
        """Wait for every document put to be written; returns how many were."""
        self.put(self._END)
        self._thread.join()
        self._raise()
        return self._result[0]

    def abort(self) -> None:
        """Stop writing (the caller failed): what is queued is dropped."""
        self._aborted.set()
        while self._thread.is_alive():
            try:
                self._queue.put_nowait(self._END)
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    pass
            self._thread.join(timeout=0.1)
