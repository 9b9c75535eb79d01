"""Collaborator recommendations: content + topics + graph candidates, fused, with reasons.

Four round trips at most: (1) seed; (2) msearch of content kNN, topic match
and the seed's co-authors (for the graph); (3) graph candidates through the
same filters; (4) msearch of the chosen candidates' documents, their papers
nearest the seed's profile and the seed's latest papers (for the "similar
papers" reasons).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from opensearchpy import OpenSearch

from domain.collaborators import closest
from peerscope.config import Settings
from search import results as R
from search.fusion import rrf
from search.page import Page
from search.params import COLLABORATOR_FILTERS, LIKE_SIZE
from search.queries import collaborators as C
from search.queries import researchers as RQ

# (content, topics, graph): a path through the co-author graph is the most actionable
# signal (someone can introduce you) and, measured on who actually wrote together after a
# cutoff year, by far the most predictive one; on the whole corpus the profile k-NN finds a
# fifth of what the graph finds (docs/EVALUATION.md, collaborators). So the graph leads,
# agreement with similar work reorders it, and similar work fills the list when the graph
# is thin. Topics alone predict least and mostly break ties.
WEIGHTS = {"content": 1.0, "topics": 0.3, "graph": 8.0}
MAX_NEIGHBOURS = 200  # prolific seeds: the graph step reads their 200 closest co-authors
# A friend of a friend who stopped publishing years before the seed's last work is a weak
# lead: graph scores decay by exp(-years / RECENCY_YEARS) of that gap. Measured on new
# co-authors after a cutoff (docs/EVALUATION.md): Recall@10 and MRR of the graph list rise.
RECENCY_YEARS = 3.0
GRAPH_POOL = 3  # graph candidates read per window place, so recency can reorder them
MAX_REASON_ITEMS = 5


def candidate_rankings(client: OpenSearch, settings: Settings, researcher_id: str,
                       filters: Mapping[str, Any], window: int) -> dict[str, Any]:
    """The candidate lists before fusion: {"seed", "rankings": {source: [ids]}, "graph"}.

    Each source ranks at most `window` candidates; all apply the same filters
    and exclude the seed and its co-authors.
    """
    index = settings.alias("researchers")
    seed_hit = R.fetch_one(client, index, "researcher", researcher_id,
                           RQ.by_ids_body([researcher_id], C.SEED_SOURCE))
    seed = {**seed_hit["_source"], "id": researcher_id}

    neighbour_ids = [c["id"] for c in closest(seed.get("collaborators") or [], MAX_NEIGHBOURS)] \
        or list(seed.get("collaborator_ids") or [])[:MAX_NEIGHBOURS]
    bodies = {"content": C.content_body(seed, filters, window),
              "topics": C.topics_body(seed, filters, window),
              "neighbours": C.neighbours_body(neighbour_ids) if neighbour_ids else None}
    names = [n for n, b in bodies.items() if b is not None]
    responses = dict(zip(names, R.msearch(client, index, [bodies[n] for n in names])))

    known_names = {c.get("id"): c.get("name") for c in seed.get("collaborators") or []}
    graph = C.adamic_adar(researcher_id,
                          C.neighbours_from_hits(R.hits(responses.get("neighbours", {})), known_names),
                          exclude=C.excluded_ids(seed), limit=window * GRAPH_POOL)
    top_graph = sorted(graph, key=lambda c: (-graph[c]["score"], c))
    rankings = {name: [R.hit_id(h) for h in R.hits(responses.get(name, {}))] for name in ("content", "topics")}
    if top_graph:
        resp = client.search(index=index, body=C.candidates_body(top_graph, seed, filters))
        last_year = {R.hit_id(h): ((h.get("fields") or {}).get("last_year") or [None])[0] for h in R.hits(resp)}
        ranked = sorted(last_year, key=lambda c: (-graph[c]["score"] * recency(seed, {"last_year": last_year[c]}), c))
        rankings["graph"] = ranked[:window]
    return {"seed": seed, "rankings": rankings, "graph": graph}


def recency(seed: Mapping[str, Any], candidate: Mapping[str, Any]) -> float:
    """1 for someone active up to the seed's last year, less the longer they have been quiet."""
    ref, last = seed.get("last_year"), candidate.get("last_year")
    if not ref or not last:
        return 1.0
    return math.exp(-max(0, ref - last) / RECENCY_YEARS)


def fuse_rankings(rankings: Mapping[str, list[str]], size: int,
                  weights: Mapping[str, float] = WEIGHTS) -> list[tuple[str, float]]:
    """RRF of the non-empty candidate lists, best first, at most `size`."""
    ranked = [name for name in ("content", "topics", "graph") if rankings.get(name)]
    return rrf([rankings[n] for n in ranked], weights=[weights[n] for n in ranked])[:size]


def recommend_collaborators(client: OpenSearch, settings: Settings, researcher_id: str,
                            args: Mapping[str, Any]) -> Page:
    """args: size, active_since, affiliation. Results carry `reasons`."""
    size = args.get("size", LIKE_SIZE)
    filters = {k: args.get(k) for k in COLLABORATOR_FILTERS}
    found = candidate_rankings(client, settings, researcher_id, filters, max(size * 3, 30))
    seed, rankings, graph = found["seed"], found["rankings"], found["graph"]
    fused = fuse_rankings(rankings, size)
    docs, papers = _chosen_with_papers(client, settings, seed, [c for c, _ in fused])
    chosen = [(docs[c], score) for c, score in fused if c in docs]
    results = []
    for hit, score in chosen:
        cand = {**hit["_source"], "id": hit["_id"]}
        out = R.to_result(hit, drop=[*R.HEAVY_FIELDS, "topics"])
        out["score"] = score
        out["reasons"] = reasons(seed, cand, graph.get(hit["_id"]), papers.get(hit["_id"]),
                                 from_content=hit["_id"] in rankings.get("content", []))
        results.append(out)
    return Page.whole(results, size, seed={"id": researcher_id, "name": seed.get("name")})


def _chosen_with_papers(client: OpenSearch, settings: Settings, seed: dict,
                        ids: list[str]) -> tuple[dict[str, dict], dict[str, tuple[dict, dict]]]:
    """({id: hit} of the chosen candidates, {id: (seed's paper, candidate's paper)}): each
    candidate's paper nearest the seed's profile, paired with the seed's paper (of its
    latest) nearest that paper, so the pair is close to each other."""
    if not ids:
        return {}, {}
    vector = seed.get("embedding")
    requests = [(settings.alias("researchers"), C.chosen_body(ids))]
    if vector:
        works = settings.alias("works")
        requests += [(works, C.candidate_papers_body(vector, ids)), (works, C.seed_papers_body(seed["id"]))]
    responses = R.multi_search(client, requests)
    docs = {h["_id"]: h for h in R.hits(responses[0])}
    if not vector:
        return docs, {}
    best = C.best_per_author(responses[1])
    theirs = [(cid, best[cid]) for cid in ids if cid in best and best[cid]["_source"].get("embedding")]
    mine = C.closest_papers([p["_source"]["embedding"] for _, p in theirs], R.hits(responses[2]))
    return docs, {cid: (R.to_result(m), R.to_result(p)) for (cid, p), m in zip(theirs, mine) if m}


def reasons(seed: Mapping[str, Any], cand: Mapping[str, Any], graph_entry: dict | None,
            pair: tuple[dict, dict] | None, from_content: bool = False) -> list[dict]:
    """Human-readable reasons; always at least one."""
    out: list[dict] = []
    topics = C.shared_topics(seed, cand)[:MAX_REASON_ITEMS]
    if topics:
        out.append({"kind": "shared_topics", "text": "Shares topics: " + ", ".join(topics),
                    "items": topics})
    if graph_entry and graph_entry["via"]:
        via = graph_entry["via"]
        shown = via[:MAX_REASON_ITEMS]
        more = f" and {len(via) - len(shown)} more" if len(via) > len(shown) else ""
        noun = "mutual collaborator" if len(via) == 1 else "mutual collaborators"
        out.append({"kind": "mutual_collaborators",
                    "text": f"{len(via)} {noun}: " + ", ".join(shown) + more, "items": shown})
    if pair:
        mine, theirs = pair
        out.append({"kind": "similar_papers",
                    "text": f"“{mine.get('title')}” is close to their “{theirs.get('title')}”",
                    "items": [{k: p.get(k) for k in ("id", "title", "year")} for p in pair]})
    if not out or (from_content and not pair and not topics):
        out.append({"kind": "similar_research", "text": "Similar research profile", "items": []})
    return out
