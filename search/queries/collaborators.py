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


# ---- features of a candidate, for a learned ranker (search.ranker) -------------------------
#
# Everything is read from the index per request: the seed's own document, its co-authors'
# co-author lists (the graph step above) and one search over the candidates that returns the
# doc values below, scored by the exact cosine of their profile vector to the seed's.

FEATURES = (
    "adamic_adar",        # sum over mutual collaborators z of 1 / log(deg z)
    "adamic_adar_recent",  # the same, each z weighted by how recently the seed wrote with z
    "resource_allocation",  # sum of 1 / deg z
    "common_neighbours",   # log(1 + mutual collaborators)
    "three_hop",          # log(1 + paths seed - a - b - candidate)
    "fresh_paths",        # sum over recent mutual collaborators z of w(seed, z) w(z, candidate) / log(deg z),
                          # w = exp(-years since that pair last wrote together / RECENCY)
    "freshest_path_years",  # years since the freshest path seed - z - candidate was last walked
    "tie_strength",       # sum over those z of log(1 + joint works with the seed) log(1 + with the candidate)
    "no_common",          # 1 when no mutual collaborator (the three-hop paths speak for them)
    "cosine",             # profile embeddings
    "shared_topics", "topics_jaccard",
    "shared_venues", "venues_jaccard",
    "same_affiliation",   # the same current affiliation
    "works", "degree",    # the candidate's log(1 + works), log(1 + co-authors)
    "quiet_years",        # the seed's last year minus the candidate's
    "career_years",       # the candidate's last minus first year
    "seed_degree", "seed_works",
    "content_rank", "topics_rank",  # 1 / rank in the profile k-NN and shared-topics lists
)
FEATURE_FIELDS = ("last_year", "first_year", "works_count", "collaborators_count", "collaborator_ids",
                  "topics", "venues", "current_affiliation.raw")
SEED_FEATURE_SOURCE = [*SEED_SOURCE, "venues", "current_affiliation", "works_count", "collaborators_count"]


def features_body(ids: Sequence[str], seed: Mapping[str, Any], filters: Mapping[str, Any]) -> dict:
    """The candidates that pass the filters and exclusions, with the doc values their
    features are computed from; scored by the exact cosine to the seed's profile vector
    (the engine's (1 + cosine) / 2) when the seed has one (every profile built from works
    has a vector; one without is left out rather than failing the script)."""
    query: dict = {"bool": {"filter": [{"ids": {"values": list(ids)}}, _flt(seed, filters),
                                       *([{"exists": {"field": "embedding"}}] if seed.get("embedding") else [])]}}
    if seed.get("embedding"):
        query = {"script_score": {"query": query, "script": {
            "source": "knn_score", "lang": "knn",
            "params": {"field": "embedding", "query_value": list(seed["embedding"]), "space_type": "cosinesimil"}}}}
    return {"size": len(ids), **R.ids_only(*FEATURE_FIELDS), "query": query}


def recent_neighbours_body(ids: Sequence[str]) -> dict:
    """The seed's recent co-authors' own co-author entries with the year they last wrote
    together (for the fresh paths); only the listed closest co-authors carry years."""
    return {"size": len(ids), "_source": ["collaborators.id", "collaborators.last_year", "collaborators.count"],
            "query": {"ids": {"values": list(ids)}}}


def recent_neighbour_ids(seed: Mapping[str, Any], years: int, limit: int) -> list[str]:
    """The seed's co-authors it wrote with in its last `years` years, latest first."""
    ref = seed.get("last_year")
    if not ref:
        return []
    recent = [c for c in seed.get("collaborators") or [] if c.get("id") and (c.get("last_year") or 0) > ref - years]
    recent.sort(key=lambda c: (-(c.get("last_year") or 0), -(c.get("count") or 0), c["id"]))
    return [c["id"] for c in recent[:limit]]


def fresh_paths(seed: Mapping[str, Any], hits: Iterable[Mapping[str, Any]], degrees: Mapping[str, int],
                exclude: Iterable[str], recency_years: float) -> dict[str, dict[str, float]]:
    """{candidate: {"fresh", "newest", "strength"}} over paths seed - z - candidate through
    the seed's recent co-authors z (`recent_neighbours_body` hits): how recently both pairs
    wrote together, and how often."""
    mine = {c.get("id"): c for c in seed.get("collaborators") or [] if c.get("id")}
    ref = seed.get("last_year") or 0
    skip = {seed["id"], *exclude}
    out: dict[str, dict[str, float]] = {}
    for h in hits:
        z = h.get("_id")
        edge = mine.get(z)
        if not edge:
            continue
        y_sz = edge.get("last_year") or 0
        w_sz = math.exp(-max(0, ref - y_sz) / recency_years)
        s_sz = math.log1p(edge.get("count") or 1)
        degree = max(int(degrees.get(z) or 0), 2)
        for c in (h.get("_source") or {}).get("collaborators") or []:
            cid = c.get("id")
            if not cid or cid in skip:
                continue
            y_zc = c.get("last_year") or 0
            entry = out.setdefault(cid, {"fresh": 0.0, "newest": 0, "strength": 0.0})
            entry["fresh"] += w_sz * math.exp(-max(0, ref - y_zc) / recency_years) / math.log(degree)
            entry["newest"] = max(entry["newest"], min(y_sz, y_zc))
            entry["strength"] += s_sz * math.log1p(c.get("count") or 1)
    return out


def link_features(seed: Mapping[str, Any], neighbours: Iterable[Mapping[str, Any]], candidates: Iterable[str],
                  recency_years: float) -> tuple[dict[str, dict[str, float]], dict[str, int]]:
    """({candidate: {"adamic_adar", "adamic_adar_recent", "resource_allocation", "common"}},
    {person: how many of the seed's co-authors wrote with them}) from the seed's co-authors'
    co-author lists (`neighbours_from_hits`). The second map counts every person but the
    seed, so that paths of three steps can go through the seed's own co-authors."""
    wanted = set(candidates)
    last_with = {c.get("id"): c.get("last_year") for c in seed.get("collaborators") or [] if c.get("id")}
    ref = seed.get("last_year")
    two_steps: dict[str, int] = defaultdict(int)
    out = {c: {"adamic_adar": 0.0, "adamic_adar_recent": 0.0, "resource_allocation": 0.0, "common": 0}
           for c in wanted}
    for z in neighbours:
        friends = [f for f in (z.get("collaborator_ids") or []) if f and f != seed["id"]]
        degree = max(int(z.get("collaborators_count") or 0), len(friends), 2)
        last = last_with.get(z.get("id"))
        fresh = math.exp(-max(0, ref - last) / recency_years) if ref and last else 1.0
        aa, ra = 1.0 / math.log(degree), 1.0 / degree
        for f in friends:
            two_steps[f] += 1
            entry = out.get(f)
            if entry is not None:
                entry["adamic_adar"] += aa
                entry["adamic_adar_recent"] += aa * fresh
                entry["resource_allocation"] += ra
                entry["common"] += 1
    return out, dict(two_steps)


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _first(fields: Mapping[str, Any], name: str) -> Any:
    values = fields.get(name) or []
    return values[0] if values else None


def feature_row(seed: Mapping[str, Any], fields: Mapping[str, Any], cosine: float | None,
                links: Mapping[str, float], two_steps: Mapping[str, int], fresh: Mapping[str, float] | None,
                content_rank: int | None, topics_rank: int | None) -> list[float]:
    """One candidate's FEATURES, in order (NaN where unknown: no vector, no years)."""
    nan = float("nan")
    theirs_topics, mine_topics = set(fields.get("topics") or []), set(seed.get("topics") or [])
    theirs_venues, mine_venues = set(fields.get("venues") or []), set(seed.get("venues") or [])
    collaborators = fields.get("collaborator_ids") or []
    three = sum(two_steps.get(b, 0) for b in collaborators)
    last, first = _first(fields, "last_year"), _first(fields, "first_year")
    affiliation = _first(fields, "current_affiliation.raw")
    mine_affiliation = seed.get("current_affiliation")
    return [
        links.get("adamic_adar", 0.0), links.get("adamic_adar_recent", 0.0),
        links.get("resource_allocation", 0.0), math.log1p(links.get("common", 0)),
        math.log1p(three),
        (fresh or {}).get("fresh", 0.0),
        nan if not (fresh and fresh.get("newest") and seed.get("last_year")) else float(seed["last_year"] - fresh["newest"]),
        (fresh or {}).get("strength", 0.0),
        1.0 if not links.get("common") else 0.0,
        nan if cosine is None else cosine,
        float(len(theirs_topics & mine_topics)), _jaccard(theirs_topics, mine_topics),
        float(len(theirs_venues & mine_venues)), _jaccard(theirs_venues, mine_venues),
        1.0 if affiliation and mine_affiliation and affiliation.casefold() == mine_affiliation.casefold() else 0.0,
        math.log1p(_first(fields, "works_count") or 0), math.log1p(_first(fields, "collaborators_count") or 0),
        nan if not (last and seed.get("last_year")) else float(seed["last_year"] - last),
        nan if not (last and first) else float(last - first),
        math.log1p(seed.get("collaborators_count") or len(seed.get("collaborator_ids") or [])),
        math.log1p(seed.get("works_count") or 0),
        1.0 / content_rank if content_rank else 0.0, 1.0 / topics_rank if topics_rank else 0.0,
    ]
