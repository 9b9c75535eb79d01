"""Similar works: from one seed work, or from positive/negative examples and text."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opensearchpy import OpenSearch

from peerscope.config import Settings
from search import results as R
from search.page import Page
from search.params import LIKE_SIZE, WORK_FILTERS
from search.queries import similar as S
from search.queries import works as W

Embed = Callable[[str], list[float]]
# Every candidate of either list is scored by both measures and ranked by
#   cosine(seed, candidate) + MLT_WEIGHT * mlt(candidate) / mlt(best MLT hit).
# On the whole corpus the two ground truths pull apart (docs/EVALUATION.md): papers of one
# workshop volume share exact terms (MLT best), papers that cite each other share meaning
# (k-NN best). Rank fusion (RRF) of the two lists only tied the better list on each truth:
# a candidate found by one list had no say from the other. With both scores for all, the
# hybrid is above both lists on both truths (600 seeds each).
MLT_WEIGHT = 0.4


def _seeds(client: OpenSearch, index: str, ids: Sequence[str]) -> dict[str, dict]:
    """Seed works by id, or by the id of any of their versions, with their vectors and
    concrete `_index`; NotFound if any is missing."""
    if not ids:
        return {}
    return R.fetch_versions(client, index, "work", ids, W.by_versions_body(list(ids), S.SEED_SOURCE))


def _cosine(knn_score: float) -> float:
    """The engine scores cosinesimil as (1 + cosine) / 2, in k-NN queries and the script alike."""
    return 2.0 * float(knn_score) - 1.0


def fuse(lists: Mapping[str, Sequence[Mapping[str, Any]]], extra: Mapping[str, Mapping[str, float]],
         size: int) -> list[dict]:
    """The candidates of the hit lists ("knn", "mlt") ranked by the combined score, at most
    `size`; `extra` holds each measure's raw scores for the other list's candidates.
    A candidate the MLT query does not match scores 0 on it. Each hit gets `_ranks`."""
    cos = {h["_id"]: _cosine(h["_score"]) for h in lists.get("knn", [])}
    cos.update({i: _cosine(s) for i, s in extra.get("knn", {}).items()})
    mlt = {h["_id"]: float(h["_score"]) for h in lists.get("mlt", [])}
    mlt.update(extra.get("mlt", {}))
    best_mlt = max((float(h["_score"]) for h in lists.get("mlt", [])), default=0.0) or 1.0
    merged: dict[str, dict] = {}
    for name, hits in lists.items():
        for rank, hit in enumerate(hits, start=1):
            merged.setdefault(hit["_id"], {**hit, "_ranks": {}})["_ranks"][name] = rank
    for hid, doc in merged.items():
        doc["_score"] = cos.get(hid, 0.0) + MLT_WEIGHT * mlt.get(hid, 0.0) / best_mlt
    return sorted(merged.values(), key=lambda d: (-d["_score"], d["_id"]))[:size]


def _scored(client: OpenSearch, index: str, bodies: Mapping[str, dict]) -> dict[str, list[dict]]:
    """{name: [{"_id", "_score"}]} of ids-only bodies, in one msearch."""
    names = list(bodies)
    responses = R.msearch(client, index, [bodies[n] for n in names])
    return {n: [{"_id": R.hit_id(h), "_score": h["_score"]} for h in R.hits(r)] for n, r in zip(names, responses)}


def fused_hits(client: OpenSearch, index: str, bodies: dict[str, dict], size: int) -> list[dict]:
    """Runs the candidate lists (ids and scores), then (second msearch) the scores each
    lacks, and fuses: a list of {"_id", "_score", "_ranks"}."""
    lists = _scored(client, index, bodies)
    ids = {n: {h["_id"] for h in hits} for n, hits in lists.items()}
    missing = {n: sorted(set().union(*ids.values()) - ids[n]) for n in lists}
    extra = {n: {h["_id"]: h["_score"] for h in hits}
             for n, hits in _scored(client, index, S.completion_bodies(bodies, missing)).items()}
    return fuse(lists, extra, size)


def _run(client: OpenSearch, index: str, bodies: dict[str, dict], size: int) -> Page:
    """The fused candidates, then the display fields of the chosen ones (a third search:
    reading 10 documents instead of the 60 the lists hold)."""
    fused = fused_hits(client, index, bodies, size)
    resp = client.search(index=index, body=W.by_ids_body([h["_id"] for h in fused], W.LIST_SOURCE)) \
        if fused else {}
    docs = {h["_id"]: h for h in R.hits(resp)}
    results = []
    for hit in fused:
        if hit["_id"] in docs:
            out = R.to_result({**docs[hit["_id"]], "_score": hit["_score"]})
            out["ranks"] = dict(hit["_ranks"])
            results.append(out)
    return Page.whole(results, size)


def _work_bodies(client: OpenSearch, settings: Settings, work_id: str,
                 args: Mapping[str, Any]) -> tuple[dict, dict[str, dict]]:
    """The seed's source (with its own `id`, which `work_id` may be a version id of) and the
    candidate bodies."""
    alias = settings.alias("works")
    seed = R.fetch_version(client, alias, "work", work_id, W.by_version_body(work_id, S.SEED_SOURCE))
    src = {**(seed.get("_source") or {}), "id": seed["_id"]}
    authors = (src.get("author_ids") or []) if args.get("exclude_own_authors") else []
    bodies = S.similar_bodies(seed["_index"], [seed["_id"]], src.get("embedding"),
                              {k: args.get(k) for k in WORK_FILTERS}, size=args.get("size", LIKE_SIZE),
                              exclude_author_ids=authors)
    return src, bodies


def candidate_lists(client: OpenSearch, settings: Settings, work_id: str,
                    args: Mapping[str, Any]) -> dict[str, list[dict]]:
    """The unfused hit lists {"knn": [...], "mlt": [...]} that `similar_to_work` fuses."""
    _, bodies = _work_bodies(client, settings, work_id, args)
    return _scored(client, settings.alias("works"), bodies)


def similar_to_work(client: OpenSearch, settings: Settings, work_id: str,
                    args: Mapping[str, Any]) -> Page:
    """Works like `work_id` (any of its version ids), never the seed itself; optionally none
    by its authors.

    args: size, year_from, year_to, venue, author, exclude_own_authors.
    """
    src, bodies = _work_bodies(client, settings, work_id, args)
    out = _run(client, settings.alias("works"), bodies, args.get("size", LIKE_SIZE))
    out.seed = {"id": src["id"], "title": src.get("title"), "year": src.get("year")}
    return out


def similar_to_set(client: OpenSearch, settings: Settings, args: Mapping[str, Any],
                   embed: Embed | None = None) -> Page:
    """Works like the `positive` ids (and/or `text`), pushed away from `negative` ids.

    The k-NN vector is Rocchio feedback over the examples' embeddings; MLT uses
    the same documents as like/unlike. None of the examples is returned.
    """
    alias = settings.alias("works")
    positive, negative = list(args.get("positive") or []), list(args.get("negative") or [])
    text = (args.get("text") or "").strip() or None
    size = args.get("size", LIKE_SIZE)
    seeds = _seeds(client, alias, [*positive, *negative])
    # the works' own ids from here on (an example named by a version id is its merged work)
    positive = list(dict.fromkeys(seeds[i]["_id"] for i in positive))
    negative = list(dict.fromkeys(seeds[i]["_id"] for i in negative))
    seeds = {h["_id"]: h for h in seeds.values()}
    vec = lambda i: (seeds[i].get("_source") or {}).get("embedding")  # noqa: E731
    text_vec = embed(text) if text and embed is not None else None
    vector = S.rocchio([v for i in positive if (v := vec(i))],
                       [v for i in negative if (v := vec(i))], text_vec)
    index = seeds[positive[0]]["_index"] if positive else alias
    flt = args.get("filters") or {}
    exclude_authors = []
    if args.get("exclude_own_authors"):
        exclude_authors = [a for i in positive for a in seeds[i]["_source"].get("author_ids") or []]
    bodies = S.similar_bodies(index, positive, vector, {k: flt.get(k) for k in WORK_FILTERS},
                              size=size, unlike_ids=negative, text=text,
                              exclude_author_ids=exclude_authors)
    return _run(client, alias, bodies, size)
