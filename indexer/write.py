"""Bulk writes with retries; failed documents become rejects instead of crashing a run."""
from __future__ import annotations

import hashlib
import json
from typing import Any, Callable, Iterable

import numpy as np
from opensearchpy import OpenSearch, helpers

CHUNK_DOCS = 500
CHUNK_BYTES = 20 * 1024 * 1024
VECTOR_DECIMALS = 6


def vector_for_json(vector) -> list[float]:
    """A unit vector as JSON-friendly floats rounded to 6 decimals.

    A float32 turned into a Python float prints with about 19 characters; six
    decimals print with about 9 and move no cosine by more than about 1e-6. Every
    vector is sent twice over (the engine parses it and keeps it in `_source`),
    so this halves the bytes the engine parses and stores per document.
    """
    return np.round(np.asarray(vector, dtype=np.float64), VECTOR_DECIMALS).tolist()


def content_hash(doc: dict[str, Any]) -> str:
    """A stable hash of a document without its vector (which follows from its text)."""
    body = {k: v for k, v in doc.items() if k not in ("embedding", "content_hash")}
    return hashlib.sha1(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def bulk_index(client: OpenSearch, index: str, docs: Iterable[dict[str, Any]],
               on_reject: Callable[[str | None, str], None], on_done: Callable[[int], None] | None = None) -> int:
    """Index `docs` (each with an `id`) into `index`; returns how many were written.

    Transient errors (429, connection hiccups) are retried by the helper with
    back-off; a document the engine refuses is reported through `on_reject`.
    """
    def actions():
        for doc in docs:
            doc["content_hash"] = content_hash(doc)
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
            on_reject(info.get("_id"), json.dumps(info.get("error"), ensure_ascii=False)[:500])
        if on_done:
            on_done(1)
    return written
