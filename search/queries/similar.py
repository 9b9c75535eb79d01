"""Request bodies for "more like this work" and "more like these, not those".

Two views of similarity, combined client-side (search.similar.fuse): the seed's
embedding (k-NN, semantic) and more_like_this on title/abstract (shared rare
terms, good at named methods and datasets the model may not know). Each list's
candidates are then scored by the other measure too (`completion_bodies`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from search.results import ids_only
from search.queries.works import knn_clause, visible, work_filters

MLT_FIELDS = ["title", "abstract"]
# Measured (docs/EVALUATION.md, similar work): with 40 terms and 20% to match, a
# seed needs 8 shared rare terms, so many seeds got an empty or 2-item list and
# fusion lost the keyword view; 25 terms and 10% keep lists full and rank better.
MLT_MAX_QUERY_TERMS = 25
MLT_MINIMUM_SHOULD_MATCH = "10%"
SEED_SOURCE = ["id", "version_ids", "title", "year", "author_ids", "authors.id", "authors.name", "embedding"]


def exclusions(seed_ids: Sequence[str], author_ids: Sequence[str] = ()) -> list[dict]:
    """must_not clauses: never return a seed; optionally no work by the seeds' authors."""
    out: list[dict] = [{"ids": {"values": list(seed_ids)}}]
    if author_ids:
        out.append({"terms": {"author_ids": sorted(set(author_ids))}})
    return out


def mlt_clause(index: str, like_ids: Sequence[str], unlike_ids: Sequence[str] = (),
               text: str | None = None) -> dict:
    """more_like_this from stored documents (the engine reads their terms itself)."""
    like: list[Any] = [{"_index": index, "_id": i} for i in like_ids]
    if text:
        like.append(text)
    clause: dict[str, Any] = {
        "fields": MLT_FIELDS, "like": like,
        "min_term_freq": 1, "min_doc_freq": 2, "max_query_terms": MLT_MAX_QUERY_TERMS,
        "minimum_should_match": MLT_MINIMUM_SHOULD_MATCH,
    }
    if unlike_ids:
        clause["unlike"] = [{"_index": index, "_id": i} for i in unlike_ids]
    return {"more_like_this": clause}


def similar_bodies(index: str, seed_ids: Sequence[str], vector: list[float] | None,
                   filters: Mapping[str, Any] | None = None, *, size: int = 10,
                   exclude_author_ids: Sequence[str] = (), unlike_ids: Sequence[str] = (),
                   text: str | None = None) -> dict[str, dict]:
    """The msearch bodies to fuse, keyed by name ("knn", "mlt").

    `index` must be the concrete index (or an alias onto one index) that holds
    the seeds, since more_like_this fetches them by `_index`/`_id`.
    `unlike_ids` are excluded from results as well as pushed away from.
    Both lists fetch `size` extra hits so fusion has overlap to work with.
    """
    window = max(size * 3, 30)
    must_not = exclusions([*seed_ids, *unlike_ids], exclude_author_ids)
    flt = visible(work_filters(filters or {}), must_not)
    bodies: dict[str, dict] = {}
    if vector is not None:
        bodies["knn"] = {"size": window, **ids_only(), "query": knn_clause(vector, window, flt)}
    if seed_ids or text:
        bodies["mlt"] = {"size": window, **ids_only(),
                         "query": {"bool": {"must": [mlt_clause(index, seed_ids, unlike_ids, text)],
                                            "filter": [flt]}}}
    return bodies


def completion_bodies(bodies: Mapping[str, dict], missing: Mapping[str, Sequence[str]]) -> dict[str, dict]:
    """The scores a candidate list lacks for the other list's candidates: for "knn", the
    exact cosine (k-NN scoring script) of the `missing["knn"]` ids; for "mlt", the
    more_like_this score of the `missing["mlt"]` ids. Built from the `similar_bodies` run."""
    out: dict[str, dict] = {}
    if bodies.get("knn") and missing.get("knn"):
        ids = list(missing["knn"])
        vector = bodies["knn"]["query"]["knn"]["embedding"]["vector"]
        out["knn"] = {"size": len(ids), **ids_only(), "query": {"script_score": {
            "query": {"ids": {"values": ids}},
            "script": {"source": "knn_score", "lang": "knn",
                       "params": {"field": "embedding", "query_value": vector, "space_type": "cosinesimil"}}}}}
    if bodies.get("mlt") and missing.get("mlt"):
        ids = list(missing["mlt"])
        mlt = bodies["mlt"]["query"]["bool"]["must"][0]
        out["mlt"] = {"size": len(ids), **ids_only(),
                      "query": {"bool": {"must": [mlt], "filter": [{"ids": {"values": ids}}]}}}
    return out


def rocchio(positive: Sequence[Sequence[float]], negative: Sequence[Sequence[float]] = (),
            text: Sequence[float] | None = None, *, beta: float = 1.0,
            gamma: float = 0.5) -> list[float] | None:
    """A query vector: mean(positive, text) - gamma * mean(negative), unit length.

    Classic Rocchio feedback; with cosine similarity only the direction matters,
    so the result is normalised. None when there is nothing to build from.
    """
    pos = [list(v) for v in positive] + ([list(text)] if text is not None else [])
    if not pos:
        return None
    dims = len(pos[0])
    out = [beta * sum(v[i] for v in pos) / len(pos) for i in range(dims)]
    if negative:
        for i in range(dims):
            out[i] -= gamma * sum(v[i] for v in negative) / len(negative)
    norm = sum(x * x for x in out) ** 0.5
    if norm == 0:
        return None
    return [x / norm for x in out]
