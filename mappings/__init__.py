"""Versioned index definitions. `works-v1.json` is version 1 of the `works` index.

The vector dimension is taken from the configured model, not from the file.
"""
from __future__ import annotations

import copy
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
INDEXES = ("works", "researchers")
# How documents are fingerprinted (`indexer.write.content_hash`), recorded in each index's
# `_meta`: a rebuild starts from a copy of a live index only if it was fingerprinted the
# same way, holds vectors of the same size and has the same fields (a fingerprint of the
# mapping), else it builds from empty.
CONTENT_HASH = "sha1 of the document as sorted JSON, vector included"


@lru_cache(maxsize=None)
def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def latest_version(name: str) -> int:
    versions = [int(m.group(1)) for p in HERE.glob(f"{name}-v*.json")
                if (m := re.fullmatch(rf"{re.escape(name)}-v(\d+)\.json", p.name))]
    if not versions:
        raise KeyError(f"no mapping file for index {name!r} in {HERE}")
    return max(versions)


def load(name: str, dims: int, version: int | None = None) -> dict:
    """The index body for `name` (settings + mappings) with vector dimension `dims`."""
    version = version or latest_version(name)
    body = copy.deepcopy(_read(HERE / f"{name}-v{version}.json"))
    for spec in body["mappings"]["properties"].values():
        if spec.get("type") == "knn_vector":
            spec["dimension"] = dims
    body["mappings"]["_meta"] = {"content_hash": CONTENT_HASH, "embedding_dims": dims,
                                 "mapping": _fingerprint(body["mappings"])}
    return body


def _fingerprint(mapping: dict) -> str:
    """sha1 of the fields as defined: an index whose mapping lacks a field (strict mappings
    refuse documents that carry it) or types one otherwise is never the copy a build starts from."""
    fields = {k: v for k, v in mapping.items() if k != "_meta"}
    return hashlib.sha1(json.dumps(fields, sort_keys=True).encode()).hexdigest()
