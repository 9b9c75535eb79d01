"""Collaborator recommendation: candidate queries and the graph score.

Three candidate sources, fused with RRF by the service:
- content: k-NN over researchers' profile embeddings (similar research);
- topics: shared topic ids plus more_like_this on topic labels and titles;
- graph: friends of friends ranked by Adamic-Adar, computed here in Python
  from the `collaborators` arrays of the seed's co-authors.
Self and existing co-authors are excluded everywhere.
"""
from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from search import results as R
from search.queries.researchers import LIST_SOURCE as RESEARCHER_LIST_SOURCE
from search.queries.researchers import researcher_filters
from search.queries.works import knn_clause, visible

SEED_SOURCE = ["id", "name", "topics", "topic_labels", "collaborators", "collaborator_ids",
               "embedding", "last_year"]
CANDIDATE_SOURCE = [*RESEARCHER_LIST_SOURCE, "topics"]
PAPER_SOURCE = ["id", "title", "year"]


def excluded_ids(seed: Mapping[str, Any]) -> list[str]:
    """Self and everyone the seed has already written with."""
    ids = {seed["id"], *(seed.get("collaborator_ids") or []),
           *(c["id"] for c in seed.get("collaborators") or [] if c.get("id"))}
    return sorted(ids)


def _flt(seed: Mapping[str, Any], filters: Mapping[str, Any]) -> dict:
    return {"bool": {"filter": researcher_filters(filters),
                     "must_not": [{"ids": {"values": excluded_ids(seed)}}]}}


def content_body(seed: Mapping[str, Any], filters: Mapping[str, Any], k: int) -> dict | None:
    """Nearest profiles by embedding; None when the seed has no vector."""
    if not seed.get("embedding"):
        return None
    return {"size": k, **R.ids_only(), "query": knn_clause(seed["embedding"], k, _flt(seed, filters))}


def topics_body(seed: Mapping[str, Any], filters: Mapping[str, Any], size: int) -> dict | None:
    """People sharing the seed's topics (each shared topic scores the same); None without
    topics. (A more_like_this on labels and titles beside it took 4x the time of the
    whole list and moved no figure of the evaluation: topics are a tie-breaker here.)"""
    if not seed.get("topics"):
        return None
    should = [{"constant_score": {"filter": {"term": {"topics": t}}, "boost": 1.0}} for t in seed["topics"]]
    return {"size": size, **R.ids_only(),
            "query": {"bool": {"should": should, "minimum_should_match": 1,
                               "filter": [_flt(seed, filters)]}}}


# Candidate lists carry ids only, and the graph step reads doc values: researcher
# documents are large (collaborators, works, vectors), and parsing hundreds of them per
# request cost more than every search in it. Full documents are read for the chosen few.
def neighbours_body(ids: Sequence[str]) -> dict:
    """The seed's co-authors' own co-author ids and degree (for the graph step)."""
    return {"size": len(ids), **R.ids_only("collaborator_ids", "collaborators_count"),
            "query": {"ids": {"values": list(ids)}}}


def neighbours_from_hits(hits: Iterable[Mapping[str, Any]], names: Mapping[str, str]) -> list[dict]:
    """neighbours_body hits as adamic_adar's input, named from the seed's collaborator list."""
    out = []
    for h in hits:
        fields = h.get("fields") or {}
        hid = R.hit_id(h)
        out.append({"id": hid, "name": names.get(hid) or hid,
                    "collaborator_ids": fields.get("collaborator_ids") or [],
                    "collaborators_count": (fields.get("collaborators_count") or [0])[0]})
    return out


def candidates_body(ids: Sequence[str], seed: Mapping[str, Any],
                    filters: Mapping[str, Any]) -> dict:
    """Which graph candidates pass the filters and exclusions, with their last active year."""
    return {"size": len(ids), **R.ids_only("last_year"),
            "query": {"bool": {"filter": [{"ids": {"values": list(ids)}}, _flt(seed, filters)]}}}


def chosen_body(ids: Sequence[str]) -> dict:
    """The chosen candidates' documents, for display."""
    return {"size": len(ids), "_source": CANDIDATE_SOURCE, "query": {"ids": {"values": list(ids)}}}


def adamic_adar(seed_id: str, neighbours: Iterable[Mapping[str, Any]],
                exclude: Iterable[str] = (), limit: int | None = None) -> dict[str, dict[str, Any]]:
    """Friends-of-friends scores: sum over mutual collaborators z of 1/log(deg(z)).

    A mutual collaborator with few co-authors is a stronger signal than a hub
    who wrote with everyone. Returns {candidate id: {"score", "via": [names]}},
    `via` in decreasing weight, for the best `limit` candidates (all if None):
    prolific seeds reach tens of thousands of candidates, and naming the mutual
    collaborators of each cost more than scoring them.
    """
    skip = {seed_id, *exclude}
    weighted = []
    for z in neighbours:
        friends = [c.get("id") for c in z.get("collaborators") or []] or list(z.get("collaborator_ids") or [])
        friends = [f for f in friends if f and f not in skip]
        degree = max(int(z.get("collaborators_count") or 0), len(friends), 2)
        weighted.append((1.0 / math.log(degree), z.get("name") or z.get("id"), friends))
    scores: dict[str, float] = defaultdict(float)
    for weight, _, friends in weighted:
        for c in friends:
            scores[c] += weight
    if limit is None:
        top = list(scores)
    else:  # the same as sorting all by (-score, id), without sorting tens of thousands
        floor = min(heapq.nlargest(limit, scores.values()), default=0.0)
        top = sorted((c for c, v in scores.items() if v >= floor), key=lambda c: (-scores[c], c))[:limit]
    out = {c: {"score": scores[c], "via": []} for c in top}
    for weight, name, friends in sorted(weighted, key=lambda t: -t[0]):
        for c in friends:
            entry = out.get(c)
            if entry is not None:
                entry["via"].append(name)
    return out


# A "similar papers" reason pairs a candidate's paper with one of the seed's. Two queries
# serve all candidates at once: one k-NN over the candidates' papers, best paper per author
# from a terms aggregation, and the seed's latest papers with their vectors, paired here.
# One filtered 1-NN per candidate and side cost three quarters of the engine's work for
# the whole recommendation (bench/latency.py, collaborators).
PAIR_POOL = 1000  # papers scored for the candidates (exactly, below this many)
SEED_PAPERS = 30  # the seed's latest papers a pair picks from


def candidate_papers_body(vector: Sequence[float], author_ids: Sequence[str]) -> dict:
    """Each author's paper nearest `vector`, from `best_per_author`'s aggregation."""
    ids = list(author_ids)
    flt = visible([{"terms": {"author_ids": ids}}])
    return {"size": 0, "query": knn_clause(list(vector), PAIR_POOL, flt),
            "aggs": {"by_author": {"terms": {"field": "author_ids", "include": ids, "size": len(ids)},
                                   "aggs": {"best": {"top_hits": {"size": 1, "_source": [*PAPER_SOURCE, "embedding"]}}}}}}


def best_per_author(response: Mapping[str, Any]) -> dict[str, dict]:
    """{author id: hit} from a candidate_papers_body response."""
    buckets = ((response.get("aggregations") or {}).get("by_author") or {}).get("buckets") or []
    return {b["key"]: b["best"]["hits"]["hits"][0] for b in buckets if b["best"]["hits"]["hits"]}


def seed_papers_body(author_id: str) -> dict:
    """The seed's latest papers with their vectors, for `closest_papers`."""
    return {"size": SEED_PAPERS, "_source": [*PAPER_SOURCE, "embedding"],
            "sort": [{"year": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
            "query": visible([{"term": {"author_ids": author_id}}])}


def closest_papers(vectors: Sequence[Sequence[float]],
                   papers: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any] | None]:
    """For each unit vector, the paper (a hit with `_source.embedding`) nearest to it;
    one matrix product for all (None when no paper has a vector)."""
    with_vectors = [p for p in papers if (p.get("_source") or {}).get("embedding")]
    if not with_vectors or not len(vectors):
        return [None] * len(vectors)
    sims = np.asarray([p["_source"]["embedding"] for p in with_vectors], dtype=np.float32) \
        @ np.asarray(vectors, dtype=np.float32).T
    return [with_vectors[int(i)] for i in sims.argmax(axis=0)]


def shared_topics(seed: Mapping[str, Any], candidate: Mapping[str, Any]) -> list[str]:
    """Topic labels both have, in the seed's order (labels, or ids if no labels)."""
    theirs = {t.casefold() for t in candidate.get("topic_labels") or []}
    labels = [t for t in seed.get("topic_labels") or [] if t.casefold() in theirs]
    if labels:
        return labels
    theirs_ids = set(candidate.get("topics") or [])
    return [t for t in seed.get("topics") or [] if t in theirs_ids]
