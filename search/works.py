"""Works search (keyword, vector, hybrid), single works, and a work with what its page and
exports show beside it."""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from opensearchpy import OpenSearch

from peerscope.config import Settings
from search import documents, researchers, similar
from search import results as R
from search.errors import EmbeddingUnavailable
from search.fusion import fuse_hits
from search.page import Page
from search.params import FEED_MAX_PAGE, FEED_SIZE, HYBRID_WINDOW, LIKE_SIZE, PAGE_SIZE, WORK_FILTERS
from search.queries import listings as L
from search.queries import works as Q

log = logging.getLogger(__name__)
Embed = Callable[[str], list[float]]
# Hybrid = weighted RRF of the keyword and vector lists, the vector weight set per query by
# how decisive the keyword list is. Measured on the whole corpus (docs/EVALUATION.md): BM25
# finds a half-remembered paper from three title words far better than the vector (MRR 0.75
# against 0.30), and any fixed vector weight let near-topic papers push the right one down;
# on vaguer queries the vector adds papers the words miss.
KEYWORD_WEIGHT = 2.0
CONFIDENCE_SLOPE = 3.0
# When at most NAMED_MAX titles hold every word typed, the query names a paper (someone
# recalling a title): those works lead the hybrid list, the fused rest follows. Near-topic
# papers from the vector list otherwise pushed the named one down (docs/EVALUATION.md,
# works search, known item).
NAMED_MAX = 3


def vector_weight(keyword_hits: list[Mapping[str, Any]]) -> float:
    """1 when the keyword scores are flat (a vague query), falling to 0 as the first hit
    stands out from the tenth: 1 - 3 * (s1 - s10) / s1."""
    if not keyword_hits:
        return 1.0
    first = float(keyword_hits[0].get("_score") or 0.0)
    tenth = float(keyword_hits[min(9, len(keyword_hits) - 1)].get("_score") or 0.0)
    gap = (first - tenth) / first if first > 0 else 0.0
    return max(0.0, 1.0 - CONFIDENCE_SLOPE * gap)


def named_first(fused: list[dict], named: list[str]) -> list[dict]:
    """`fused` with the works in `named` (ids) moved to the front, in their fused order."""
    lead = set(named)
    return [h for h in fused if h["_id"] in lead] + [h for h in fused if h["_id"] not in lead]


def search_works(client: OpenSearch, settings: Settings, args: Mapping[str, Any],
                 embed: Embed | None = None, *, facets: bool = False) -> Page:
    """args: q, mode (hybrid|keyword|vector), page, size and the WORK_FILTERS.

    An empty q lists the filtered works newest first, whatever the mode.
    Without an embedder, vector and hybrid fall back to keyword. With `facets`, the page also
    counts the works holding the words into facets (topics, venues, years, sources; each
    facet under the other filters) and says how many pass every filter (`keyword_total`), in
    the same round trip.
    """
    q = (args.get("q") or "").strip()
    mode = args.get("mode", "hybrid") if q and embed is not None else "keyword"
    page, size = args.get("page", 1), args.get("size", PAGE_SIZE)
    filters = {k: args.get(k) for k in WORK_FILTERS}
    index = settings.alias("works")
    start = (page - 1) * size
    counting = [L.work_facets_body(Q.keyword_body(q)["query"], filters)] if facets else []

    if mode == "keyword":
        resp, *counted = _search(client, index, [Q.keyword_body(q, filters, from_=start, size=size), *counting])
        found, total = R.hits(resp), R.total(resp)
    elif mode == "vector":
        resp, *counted = _search(client, index, [Q.knn_body(embed(q), filters, from_=start, size=size), *counting])
        found, total = R.hits(resp), R.total(resp)
    else:
        window = min(page * size, HYBRID_WINDOW)
        try:
            vector = embed(q)
        except EmbeddingUnavailable:
            log.exception("hybrid search falls back to keyword")
            return search_works(client, settings, {**args, "mode": "keyword"}, embed, facets=facets)
        kw, vec, titled, *counted = R.msearch(client, index, [
            Q.keyword_body(q, filters, from_=0, size=window),
            Q.knn_body(vector, filters, size=window),
            Q.title_match_body(q, filters, size=NAMED_MAX + 1),
            *counting,
        ])
        kw_hits = R.hits(kw)
        fused = fuse_hits([kw_hits, R.hits(vec)], weights=(KEYWORD_WEIGHT, vector_weight(kw_hits)),
                          names=["keyword", "vector"])
        fused = named_first(fused, [R.hit_id(h) for h in R.hits(titled)] if R.total(titled) <= NAMED_MAX else [])
        found = fused[start:start + size]
        total = max(R.total(kw), len(fused))
    out = Page.numbered([_result(h) for h in found], total, page, size,
                        window=HYBRID_WINDOW if mode == "hybrid" else None, mode=mode)
    if counted:
        out.facets = R.facets(counted[0])
        out.keyword_total = counted[0]["aggregations"][L.MATCHING]["doc_count"]
    return out


def _search(client: OpenSearch, index: str, bodies: list[dict]) -> list[dict]:
    """One body as a search, several as one msearch."""
    return [client.search(index=index, body=bodies[0])] if len(bodies) == 1 else R.msearch(client, index, bodies)


def _result(hit: Mapping[str, Any]) -> dict:
    out = R.to_result(hit)
    if "_ranks" in hit:
        out["ranks"] = dict(hit["_ranks"])  # tells which list(s) found it
    return out


def get_work(client: OpenSearch, settings: Settings, work_id: str) -> dict:
    """One visible work with its abstract (without vectors), by its id or the id of any of its
    versions ("arxiv:2505.14577" gives the merged work, whose `id` stays the published one);
    NotFound otherwise."""
    body = Q.by_version_body(work_id, source={"excludes": R.HEAVY_FIELDS})
    doc = R.to_result(R.fetch_version(client, settings.alias("works"), "work", work_id, body))
    doc.pop("score", None)
    return doc


def work_with_similar(client: OpenSearch, settings: Settings, work_id: str,
                      size: int = LIKE_SIZE) -> tuple[dict, Page]:
    """A work and the works most like it."""
    doc = get_work(client, settings, work_id)
    return doc, similar.similar_to_work(client, settings, doc["id"], {"size": size})


def work_page(client: OpenSearch, settings: Settings, work_id: str,
              size: int = LIKE_SIZE) -> tuple[dict, Page, dict[str, str]]:
    """The work page: a work (by any of its version ids), the works most like it, and the
    names of the researchers its author links name ({id: name}: the person a mention was
    kept apart from, or linked to)."""
    doc, near = work_with_similar(client, settings, work_id, size)
    named = {(a.get("link") or {}).get("candidate") for a in doc.get("authors") or []}
    named.discard(None)
    found = documents.get_many(client, settings, "researchers", sorted(named), ["name"]) if named else {}
    return doc, near, {pid: d.get("name") or pid for pid, d in found.items()}


def work_with_author_names(client: OpenSearch, settings: Settings,
                           work_id: str) -> tuple[dict, dict[str, tuple[str, str]]]:
    """A work and the (given, family) names of its authors whose profile name is the name
    printed on it (citation exports split those names as the profile does)."""
    doc = get_work(client, settings, work_id)
    printed = {a["id"]: a.get("name") for a in doc.get("authors") or [] if a.get("id")}
    return doc, researchers.printed_names(client, settings, printed)


def works_by_authors(client: OpenSearch, settings: Settings, author_ids: list[str], page: int = 1,
                     size: int = FEED_SIZE) -> Page:
    """Visible works by any of `author_ids`, newest first (the feed of someone following them)."""
    if not author_ids:
        return Page.numbered([], 0, page, size)
    body = L.works_by_authors(author_ids, Q.LIST_SOURCE, size=size, from_=(page - 1) * size)
    resp = client.search(index=settings.alias("works"), body=body)
    return Page.numbered([R.to_result(h) for h in R.hits(resp)], R.total(resp), page, size, last_page=FEED_MAX_PAGE)


# Terms a query may hold (the engine's index.max_terms_count is 65,536): known ids beyond it
# are filtered out of the answer here instead.
KNOWN_IN_QUERY = 60_000
VERSION_PAGE = 5_000


def work_identity(work: Mapping[str, Any]) -> set[str]:
    """Every id a work is known by: its own and its versions' (an Anthology id, "arxiv:<id>")."""
    return {work["id"], *(work.get("version_ids") or [])}


def version_ids_by_authors(client: OpenSearch, settings: Settings, author_ids: list[str]) -> set[str]:
    """The ids and version ids of every work (hidden ones too) by any of `author_ids`."""
    out: set[str] = set()
    if not author_ids:
        return out
    after = None
    while True:
        resp = client.search(index=settings.alias("works"),
                             body=L.version_ids_page(author_ids, size=VERSION_PAGE, after=after))
        hits = R.hits(resp)
        for h in hits:
            out |= work_identity({"id": h["_id"], **(h.get("_source") or {})})
        if len(hits) < VERSION_PAGE:
            return out
        after = hits[-1]["sort"]


def new_works_by_authors(client: OpenSearch, settings: Settings, author_ids: list[str], known: set[str],
                         size: int) -> tuple[list[dict], int]:
    """(works, how many in all): visible works by `author_ids` none of whose ids is in `known`,
    newest first, at most `size`; each result carries `version_ids`."""
    if not author_ids:
        return [], 0
    in_query = sorted(known)[:KNOWN_IN_QUERY]
    rest = known.difference(in_query)
    body = L.new_works_by_authors(author_ids, in_query, [*Q.LIST_SOURCE, "version_ids"],
                                  size=size + min(len(rest), 1000))
    resp = client.search(index=settings.alias("works"), body=body)
    found = [R.to_result(h) for h in R.hits(resp)]
    found = [w for w in found if not work_identity(w) & rest][:size]
    return found, R.total(resp) if not rest else len(found)
