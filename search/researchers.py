"""Researcher search, typeahead, profiles and the profile page (a profile with a page of its
works): run the builders, shape the answers."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opensearchpy import OpenSearch

from peerscope.config import Settings
from search import results as R
from search.errors import NotFound
from search.page import Page, encode_cursor
from search.params import COMPLETE_SIZE, PAGE_SIZE, RESEARCHER_FILTERS
from search.queries import listings as L
from search.queries import researchers as Q

# the profile page needs neither vectors nor the long id/title lists
PROFILE_EXCLUDES = [*R.HEAVY_FIELDS, "work_ids", "recent_titles", "collaborator_ids"]
AUTHOR_WORKS_SOURCE = ["id", "title", "year", "type", "venue_ids", "venue_names", "booktitle",
                       "authors.id", "authors.name", "authors.link", "abstract", "doi", "url", "topic_labels",
                       "sources", "versions", "arxiv_id"]


def search_researchers(client: OpenSearch, settings: Settings, args: Mapping[str, Any]) -> Page:
    """Keyword search for people.

    args: q, page, size, cursor, and the RESEARCHER_FILTERS. `cursor` is None (page
    mode), [] (start cursor mode) or decoded sort values (continue).
    `next` is {"page": n}, {"cursor": token} or None.
    """
    size = args.get("size", PAGE_SIZE)
    page = args.get("page", 1)
    cursor = args.get("cursor")
    filters = {k: args.get(k) for k in RESEARCHER_FILTERS}
    if cursor is not None:
        page = 1  # a cursor carries the position; "*" (decoded as []) starts at the top
    body = Q.search_body(args.get("q"), filters, page=page, size=size, search_after=cursor or None)
    resp = client.search(index=settings.alias("researchers"), body=body)
    found = R.hits(resp)
    results, total, facets = [R.to_result(h) for h in found], R.total(resp), R.facets(resp)
    if cursor is None:
        return Page.numbered(results, total, page, size, facets=facets)
    nxt = {"cursor": encode_cursor(found[-1]["sort"])} if len(found) == size else None
    return Page(results, total, page, size, nxt, facets=facets)


def autocomplete(client: OpenSearch, settings: Settings, q: str, size: int = COMPLETE_SIZE) -> Page:
    resp = client.search(index=settings.alias("researchers"), body=Q.autocomplete_body(q, size))
    return Page.whole([R.to_result(h) for h in R.hits(resp)], size)


def get_researcher(client: OpenSearch, settings: Settings, researcher_id: str) -> dict:
    """The whole profile (without vectors); NotFound if there is no such id."""
    body = Q.by_ids_body([researcher_id], source={"excludes": R.HEAVY_FIELDS})
    hit = R.fetch_one(client, settings.alias("researchers"), "researcher", researcher_id, body)
    doc = R.to_result(hit)
    doc.pop("score", None)
    return doc


def profile_with_works(client: OpenSearch, settings: Settings, researcher_id: str,
                       page: int, size: int) -> tuple[dict, Page]:
    """The profile and one page of the researcher's works, newest first, in one round trip;
    NotFound if there is no such id."""
    person, listed = R.multi_search(client, [
        (settings.alias("researchers"), Q.by_ids_body([researcher_id], source={"excludes": PROFILE_EXCLUDES})),
        (settings.alias("works"),
         L.works_by_author(researcher_id, AUTHOR_WORKS_SOURCE, size=size, from_=(page - 1) * size)),
    ])
    found = [h for h in R.hits(person) if h["_id"] == researcher_id]
    if not found:
        raise NotFound("researcher", researcher_id)
    works = Page.numbered([R.to_result(h) for h in R.hits(listed)], R.total(listed), page, size, last_page=None)
    return R.to_result(found[0]), works


def printed_names(client: OpenSearch, settings: Settings,
                  printed: Mapping[str, str | None]) -> dict[str, tuple[str, str]]:
    """(given, family) of the researchers in `printed` ({id: name as printed on a work}) whose
    profile name is that printed name."""
    if not printed:
        return {}
    body = Q.by_ids_body(list(printed), source=["id", "name", "first_name", "last_name"])
    out = {}
    for h in R.hits(client.search(index=settings.alias("researchers"), body=body)):
        p = h["_source"]
        if p.get("last_name") and p.get("name") == printed.get(h["_id"]):
            out[h["_id"]] = (p.get("first_name") or "", p["last_name"])
    return out
