"""The data behind /search: people and papers for one query, with facets and suggestions.

People come from `search.researchers.search_researchers` (fuzzy names,
facets), papers from `search.works.search_works` (hybrid by default). Topic
and affiliation filters for papers, and paper facets, are not in the works
service yet, so they run here on the works keyword body (see queries.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from search import researchers, works
from search import results as R
from search.queries import works as WQ
from search.queries import listings as PQ
from search.page import Page
from search.results import multi_search

PEOPLE_PREVIEW, PEOPLE_PAGE, PAPERS_PAGE = 5, 20, 10
TABS = ("all", "people", "papers")
MODES = ("hybrid", "keyword")


@dataclass
class Query:
    q: str = ""
    tab: str = "all"
    page: int = 1
    mode: str = "hybrid"
    topic: str = ""
    affiliation: str = ""
    venue: str = ""
    year: int | None = None

    @property
    def filters(self) -> dict[str, Any]:
        return {k: v for k, v in (("topic", self.topic), ("affiliation", self.affiliation),
                                  ("venue", self.venue), ("year", self.year)) if v}

    @property
    def empty(self) -> bool:
        return not self.q and not self.filters


@dataclass
class Found:
    people: Page | None = None
    papers: Page | None = None
    paper_facets: dict = field(default_factory=dict)
    keyword_total: int = 0
    popular_topics: list = field(default_factory=list)
    did_you_mean: dict | None = None


def find(s: Any, query: Query) -> Found:
    out = Found()
    if query.tab in ("all", "people"):
        out.people = people(s, query)
    if query.tab in ("all", "papers"):
        out.papers, out.paper_facets, out.keyword_total = papers(s, query)
    nothing = not (out.people and out.people.total) and not out.keyword_total
    if nothing or query.empty:
        out.popular_topics = popular_topics(s)
    if query.q and out.people and out.people.results and not out.keyword_total:
        out.did_you_mean = out.people.results[0]
    return out


def people(s: Any, query: Query) -> Page:
    size = PEOPLE_PAGE if query.tab == "people" else PEOPLE_PREVIEW
    args = {"q": query.q, "page": query.page if query.tab == "people" else 1, "size": size,
            "cursor": None, "topic": query.topic or None, "affiliation": query.affiliation or None,
            "venue": query.venue or None, "active_since": query.year, "active_until": query.year,
            "has_orcid": None}
    return researchers.search_researchers(s.opensearch, s.settings, args)


def papers(s: Any, query: Query) -> tuple[Page, dict, int]:
    """(results, facets, how many papers contain the words)."""
    page = query.page if query.tab in ("all", "papers") else 1
    filters = {"year_from": query.year, "year_to": query.year, "venue": query.venue or None,
               "author": None}
    extra = PQ.work_extra_filters(query.topic, query.affiliation)
    keyword = PQ.with_filters(WQ.keyword_body(query.q, filters, from_=(page - 1) * PAPERS_PAGE,
                                              size=PAPERS_PAGE), extra)
    index = s.settings.alias("works")
    if extra or query.mode == "keyword" or not query.q:
        listing, counted = multi_search(s.opensearch, [
            (index, keyword), (index, PQ.facets_only(keyword, PQ.WORK_FACETS))])
        found = Page.numbered([R.to_result(h) for h in R.hits(listing)], R.total(listing), page, PAPERS_PAGE,
                              mode="keyword")
    else:
        counted = s.opensearch.search(index=index, body=PQ.facets_only(keyword, PQ.WORK_FACETS))
        args = {"q": query.q, "mode": query.mode, "page": page, "size": PAPERS_PAGE, **filters}
        found = works.search_works(s.opensearch, s.settings, args, s.embed)
    return found, R.facets(counted), R.total(counted)


def popular_topics(s: Any, size: int = 12) -> list[dict]:
    """The topics with most papers, for empty searches and the home page."""
    body = {"size": 0, "query": WQ.visible([]),
            "aggs": {"topics": {"terms": {"field": "topic_labels.raw", "size": size}}}}
    resp = s.opensearch.search(index=s.settings.alias("works"), body=body)
    return R.facets(resp).get("topics", [])
