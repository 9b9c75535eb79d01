"""Reciprocal rank fusion (RRF) of several ranked lists, done client-side.

The node has no neural-search plugin, so there is no server-side `hybrid`
query: we run the keyword and vector queries in one `msearch` and fuse here.
RRF ignores raw scores (BM25 and cosine live on different scales) and only
uses ranks: score(d) = sum_i w_i / (k + rank_i(d)), ranks starting at 1.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

RRF_K = 60


def rrf(rankings: Sequence[Iterable[Hashable]], *, k: int = RRF_K,
        weights: Sequence[float] | None = None) -> list[tuple[Hashable, float]]:
    """Fuse ranked lists of keys; returns (key, score) best first.

    A key repeated inside one list counts at its first (best) rank only.
    Ties keep the order of first appearance (list order, then rank), so the
    result is deterministic.
    """
    if weights is not None and len(weights) != len(rankings):
        raise ValueError("weights must have one entry per ranking")
    scores: dict[Hashable, float] = {}
    for i, ranking in enumerate(rankings):
        w = 1.0 if weights is None else float(weights[i])
        seen: set[Hashable] = set()
        for rank, key in enumerate(ranking, start=1):
            if key in seen:
                continue
            seen.add(key)
            scores[key] = scores.get(key, 0.0) + w / (k + rank)
    # sorted() is stable: equal scores keep insertion (first-seen) order
    return sorted(scores.items(), key=lambda kv: kv[1], reverse=True)


def fuse_hits(hit_lists: Sequence[Sequence[Mapping[str, Any]]], *, k: int = RRF_K,
              weights: Sequence[float] | None = None,
              names: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Fuse OpenSearch hit lists by `_id`.

    Each fused hit is the first-seen hit (its `_source`, `highlight` ...)
    merged with the highlight of any later copy, with `_score` replaced by the
    RRF score and `_ranks` = {list name: rank} telling where it came from.
    """
    names = list(names) if names is not None else [str(i) for i in range(len(hit_lists))]
    fused = rrf([[h["_id"] for h in hits] for hits in hit_lists], k=k, weights=weights)
    merged: dict[str, dict[str, Any]] = {}
    for name, hits in zip(names, hit_lists):
        for rank, hit in enumerate(hits, start=1):
            doc = merged.get(hit["_id"])
            if doc is None:
                doc = merged[hit["_id"]] = {**hit, "_ranks": {}}
            elif hit.get("highlight") and not doc.get("highlight"):
                doc["highlight"] = hit["highlight"]
            doc["_ranks"].setdefault(name, rank)
    out = []
    for key, score in fused:
        doc = merged[key]
        doc["_score"] = score
        out.append(doc)
    return out
