"""Listing bodies for pages and graph slices: works by one author (an exact id,
unlike the `author` filter that also matches names), by topic, works facets and the
most common topics. Pure builders; they reuse `visible` so the visibility rules stay
in one place.
"""
from __future__ import annotations

from typing import Any

from search.queries.works import NEWEST, UNMARKED_SOURCE, topic_clause, visible, work_filters

MOST_WORKS = [{"works_count": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
WORK_FACETS = {
    "topics": {"terms": {"field": "topic_labels.raw", "size": 12}},
    "venues": {"terms": {"field": "venue_ids", "size": 12}},
    "years": {"terms": {"field": "year", "size": 12, "order": {"_key": "desc"}}},
    "sources": {"terms": {"field": "sources", "size": 5, "missing": UNMARKED_SOURCE}},
}


def listing(filters: list[dict], source: list[str] | bool, size: int, sort: list[dict], *,
            from_: int = 0, total: bool = False) -> dict:
    """A filter-only listing (no scoring), sorted."""
    return {"from": from_, "size": size, "_source": source, "sort": sort,
            "track_total_hits": total, "query": {"bool": {"filter": filters}}}


def works_by_author(author_id: str, source: list[str], *, size: int, from_: int = 0) -> dict:
    """Visible works whose author_ids holds exactly this id, newest first, with a total."""
    return {"from": from_, "size": size, "_source": source, "sort": NEWEST,
            "track_total_hits": True, "query": visible([{"term": {"author_ids": author_id}}])}


def works_by_authors(author_ids: list[str], source: list[str], *, size: int, from_: int = 0) -> dict:
    """Visible works by any of `author_ids`, newest first, with a total."""
    return {"from": from_, "size": size, "_source": source, "sort": NEWEST,
            "track_total_hits": True, "query": visible([{"terms": {"author_ids": list(author_ids)}}])}


def version_ids_page(author_ids: list[str], *, size: int, after: list | None = None) -> dict:
    """Every work (hidden ones too) by any of `author_ids`: its id and version ids, by id, one page."""
    body = {"size": size, "_source": ["id", "version_ids"], "sort": [{"id": "asc"}], "track_total_hits": False,
            "query": {"bool": {"filter": [{"terms": {"author_ids": list(author_ids)}}]}}}
    if after:
        body["search_after"] = after
    return body


def new_works_by_authors(author_ids: list[str], known: list[str], source: list[str], *, size: int) -> dict:
    """Visible works by any of `author_ids` none of whose ids (own or version) is in `known`, newest first."""
    must_not = [{"terms": {"version_ids": list(known)}}, {"terms": {"id": list(known)}}] if known else []
    return {"size": size, "_source": source, "sort": NEWEST, "track_total_hits": True,
            "query": visible([{"terms": {"author_ids": list(author_ids)}}], must_not)}


def works_by_topic(topic: str, source: list[str], size: int) -> dict:
    return {"size": size, "_source": source, "sort": NEWEST, "track_total_hits": False,
            "query": visible([topic_clause(topic)])}


# The filter arguments each works facet chooses between: its counts leave them out.
FACET_FILTERS = {"topics": ("topic",), "venues": ("venue",), "years": ("year_from", "year_to"),
                 "sources": ("source",)}
MATCHING = "matching"  # the agg counting the works that pass every filter


def work_facets_body(query: dict, filters: dict[str, Any]) -> dict:
    """The works of `query` (a query without the filters) counted into WORK_FACETS, each
    facet under every filter but its own, so that a value counts the works choosing it would
    list (as faceted search does: with source=arxiv the Anthology's count is not the merged
    works alone); `MATCHING` counts the works that pass every filter."""
    def passing(skip: tuple[str, ...] = ()) -> dict:
        return visible(work_filters({k: v for k, v in filters.items() if k not in skip}))

    aggs: dict[str, Any] = {name: {"filter": passing(FACET_FILTERS[name]), "aggs": {name: spec}}
                            for name, spec in WORK_FACETS.items()}
    aggs[MATCHING] = {"filter": passing()}
    return {"size": 0, "query": query, "aggs": aggs, "track_total_hits": False}


def facets_only(body: dict, aggs: dict[str, Any]) -> dict:
    """The same query counted into facets, no hits."""
    return {"size": 0, "query": body["query"], "aggs": aggs, "track_total_hits": True}


def popular_topics_body(size: int) -> dict:
    """The topics with most visible works, counted, no hits."""
    return {"size": 0, "query": visible([]),
            "aggs": {"topics": {"terms": {"field": "topic_labels.raw", "size": size}}}}
