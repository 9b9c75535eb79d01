"""Request bodies for works search: keyword (BM25 + highlights) and vector (k-NN).

Hybrid search runs both bodies in one msearch and fuses them client-side
(search/fusion.py). Field names follow mappings/works-v1.json.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from search.params import version_id
from search.results import ids_only

LIST_SOURCE = ["id", "title", "year", "venue_names", "venue_ids", "authors.id", "authors.name",
               "topic_labels", "doi", "url", "type", "has_abstract", "sources", "versions", "arxiv_id"]
# works indexed before a second source existed carry no `sources`: they are the Anthology's
UNMARKED_SOURCE = "acl"
# newest first: by year, then (within a year) works on arXiv by arXiv id, which grows with the
# month of listing ("2512.24880" after "2505.14577"), then by id
NEWEST = [{"year": {"order": "desc", "missing": "_last"}},
          {"arxiv_id": {"order": "desc", "missing": "_last", "unmapped_type": "keyword"}}, {"id": "asc"}]
KEYWORD_FIELDS = ["title^3", "abstract", "topic_labels", "venue_names"]
HIGHLIGHT = {
    "pre_tags": ["<mark>"], "post_tags": ["</mark>"], "encoder": "html",
    "fields": {"title": {"number_of_fragments": 0},
               "abstract": {"fragment_size": 160, "number_of_fragments": 2}},
}
# knn candidates per shard for HNSW: larger than k for recall
MIN_K = 50
# how many query words a keyword match needs (Lucene minimum_should_match syntax): all of
# one or two words, half of more. Stricter "2<75%" left most title-length queries with a
# handful of hits and measured worse on the whole corpus (docs/EVALUATION.md, works search).
MATCH_RULE = "2<50%"


def work_filters(filters: Mapping[str, Any]) -> list[dict]:
    """Filter clauses for year range, venue (id or name), author (id or name), source (a
    version there: "acl", "arxiv"), topic (id or label) and affiliation (exact name)."""
    out: list[dict] = []
    years = {}
    if filters.get("year_from") is not None:
        years["gte"] = filters["year_from"]
    if filters.get("year_to") is not None:
        years["lte"] = filters["year_to"]
    if years:
        out.append({"range": {"year": years}})
    if filters.get("venue"):
        v = filters["venue"]
        out.append({"bool": {"should": [{"term": {"venue_ids": v}}, {"term": {"venue_names.raw": v}}],
                             "minimum_should_match": 1}})
    if filters.get("author"):
        a = filters["author"]
        out.append({"bool": {"should": [{"term": {"author_ids": a}},
                                        {"match_phrase": {"authors.name": a}}],
                             "minimum_should_match": 1}})
    if filters.get("source"):
        out.append(source_clause(filters["source"]))
    if filters.get("topic"):
        out.append(topic_clause(filters["topic"]))
    if filters.get("affiliation"):
        out.append(affiliation_clause(filters["affiliation"]))
    return out


def topic_clause(topic: str) -> dict:
    """A topic given by id ("few-shot-learning") or label ("Few-Shot Learning")."""
    return {"bool": {"should": [{"term": {"topics": topic}}, {"term": {"topic_labels.raw": topic}}],
                     "minimum_should_match": 1}}


def source_clause(source: str) -> dict:
    """Works with a version in `source`; a work without `sources` counts as UNMARKED_SOURCE's."""
    should: list[dict] = [{"term": {"sources": source}}]
    if source == UNMARKED_SOURCE:
        should.append({"bool": {"must_not": [{"exists": {"field": "sources"}}]}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


def affiliation_clause(name: str) -> dict:
    return {"term": {"affiliations": name}}


def visible(filters: list[dict], must_not: list[dict] | None = None) -> dict:
    """A bool filter that also drops hidden works (and anything in must_not)."""
    return {"bool": {"filter": list(filters),
                     "must_not": [{"term": {"hidden": True}}, *(must_not or [])]}}


def keyword_query(q: str, match_rule: str = MATCH_RULE) -> dict:
    """BM25 over title/abstract/topics/venue; an exact phrase in the title ranks higher.

    multi_match does not parse query syntax, so quotes, slashes and brackets
    in user input can never produce a parse error.
    """
    return {"bool": {
        "must": [{"multi_match": {"query": q, "fields": KEYWORD_FIELDS, "type": "best_fields",
                                  "tie_breaker": 0.3, "operator": "or",
                                  "minimum_should_match": match_rule}}],
        "should": [{"match_phrase": {"title": {"query": q, "slop": 2, "boost": 2.0}}}],
    }}


def keyword_body(q: str | None, filters: Mapping[str, Any] | None = None, *, from_: int = 0,
                 size: int = 20, highlight: bool = True, match_rule: str = MATCH_RULE) -> dict:
    """Keyword search; an empty query lists the filtered works newest first."""
    q = (q or "").strip()
    f = visible(work_filters(filters or {}))
    body: dict[str, Any] = {"from": from_, "size": size, "_source": LIST_SOURCE,
                            "track_total_hits": True}
    if q:
        body["query"] = {"bool": {"must": [keyword_query(q, match_rule)], "filter": [f]}}
        if highlight:
            body["highlight"] = HIGHLIGHT
    else:
        body["query"] = {"bool": {"filter": [f]}}
        body["sort"] = NEWEST
    return body


def title_match_body(q: str, filters: Mapping[str, Any] | None = None, *, size: int) -> dict:
    """The works whose title holds every word of `q` (ids only; the total counts up to size)."""
    return {"size": size, **ids_only(), "track_total_hits": size,
            "query": {"bool": {"must": [{"match": {"title": {"query": q, "operator": "and"}}}],
                               "filter": [visible(work_filters(filters or {}))]}}}


def knn_clause(vector: list[float], k: int, filter_: dict | None = None) -> dict:
    """A k-NN query on `embedding`; the filter sits inside the clause (efficient filtering)."""
    inner: dict[str, Any] = {"vector": [float(x) for x in vector], "k": int(k)}
    if filter_:
        inner["filter"] = filter_
    return {"knn": {"embedding": inner}}


def knn_body(vector: list[float], filters: Mapping[str, Any] | None = None, *, size: int = 20,
             k: int | None = None, from_: int = 0, must_not: list[dict] | None = None,
             source: list[str] | None = None) -> dict:
    """Vector search over works; `k` defaults to enough neighbours for the page."""
    k = max(k or 0, from_ + size, MIN_K)
    return {"from": from_, "size": size, "_source": source or LIST_SOURCE,
            "query": knn_clause(vector, k, visible(work_filters(filters or {}), must_not))}


def by_version_body(work_id: str, source: list[str] | dict | bool = True) -> dict:
    """The visible work that answers to `work_id`: a version id (`version_ids`, e.g.
    "arxiv:2505.14577" of a merged work) or its own id. At most two hits; the caller prefers
    the one whose id it is."""
    return by_versions_body([work_id], source)


def by_versions_body(work_ids: list[str], source: list[str] | dict | bool = True) -> dict:
    """The visible works that answer to any of `work_ids` (own ids or version ids, see
    `params.version_id`); two hits per id at most (`results.fetch_versions` picks the one each
    id names)."""
    ids = list(dict.fromkeys(version_id(i) for i in work_ids))
    return {"size": 2 * len(ids), "_source": source,
            "query": visible([{"bool": {"should": [{"terms": {"version_ids": ids}}, {"ids": {"values": ids}}],
                                        "minimum_should_match": 1}}])}


def by_ids_body(ids: list[str], source: list[str] | bool = True) -> dict:
    """Fetch visible works by id in one search call (order is not kept)."""
    return {"size": len(ids), "_source": source,
            "query": visible([{"ids": {"values": list(ids)}}])}
