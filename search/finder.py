"""The search page's service: people and papers for one query, with facets and suggestions.

People come from `search.researchers.search_researchers` (fuzzy names, facets), papers from
`search.works.search_works` (hybrid by default) with its facets; the page's one year filter
stands for an active span of people and a year of papers.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opensearchpy import OpenSearch

from peerscope.config import Settings
from search import researchers, works
from search import results as R
from search.page import Page
from search.params import FINDER_FILTERS
from search.queries import listings as L

PEOPLE_PREVIEW, PEOPLE_PAGE, PAPERS_PAGE = 5, 20, 10
POPULAR_TOPICS = 12
TABS = ("all", "people", "papers")
MODES = ("hybrid", "keyword")
Embed = Callable[[str], list[float]]


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
    source: str = ""  # papers with a version there (one of params.SOURCES); people are not narrowed

    @property
    def filters(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in FINDER_FILTERS if getattr(self, k)}

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


def find(client: OpenSearch, settings: Settings, query: Query, embed: Embed | None = None) -> Found:
    out = Found()
    if query.tab in ("all", "people"):
        out.people = people(client, settings, query)
    if query.tab in ("all", "papers"):
        out.papers = papers(client, settings, query, embed)
        out.paper_facets, out.keyword_total = out.papers.facets or {}, out.papers.keyword_total or 0
    nothing = not (out.people and out.people.total) and not out.keyword_total
    if nothing or query.empty:
        out.popular_topics = popular_topics(client, settings)
    # "no paper contains these words" only when no filter narrowed the papers
    if query.q and out.people and out.people.results and not out.keyword_total and not query.filters:
        out.did_you_mean = out.people.results[0]
    return out


def people(client: OpenSearch, settings: Settings, query: Query) -> Page:
    size = PEOPLE_PAGE if query.tab == "people" else PEOPLE_PREVIEW
    args = {"q": query.q, "page": query.page if query.tab == "people" else 1, "size": size,
            "cursor": None, "topic": query.topic or None, "affiliation": query.affiliation or None,
            "venue": query.venue or None, "active_since": query.year, "active_until": query.year,
            "has_orcid": None}
    return researchers.search_researchers(client, settings, args)


def papers(client: OpenSearch, settings: Settings, query: Query, embed: Embed | None = None) -> Page:
    """A page of papers with facets; with a topic or affiliation filter, keyword matches only."""
    args = {"q": query.q, "mode": query.mode, "page": query.page, "size": PAPERS_PAGE,
            "year_from": query.year, "year_to": query.year, "venue": query.venue or None, "author": None,
            "topic": query.topic or None, "affiliation": query.affiliation or None,
            "source": query.source or None}
    keyword_only = query.mode == "keyword" or query.topic or query.affiliation
    return works.search_works(client, settings, args, None if keyword_only else embed, facets=True)


def popular_topics(client: OpenSearch, settings: Settings, size: int = POPULAR_TOPICS) -> list[dict]:
    """The topics with most papers, for empty searches and the home page."""
    resp = client.search(index=settings.alias("works"), body=L.popular_topics_body(size))
    return R.facets(resp).get("topics", [])
