"""Collaborator recommendations: content + topics + graph candidates, ranked, with reasons.

With a learned ranker stored with the researchers index (`search.ranker`, trained by
`peerscope eval train-collaborators`), every candidate of the three lists is scored by
it from features computed here from the index, and the reasons come from the features
that lifted it most; without one, the lists are fused by weighted RRF.

Four round trips at most: (1) seed; (2) msearch of content kNN, topic match
and the seed's co-authors (for the graph); (3) the candidates through the
same filters (with the ranker: their feature doc values and profile cosine, in parallel
parts of one msearch); (4)
msearch of the chosen candidates' documents, their papers nearest the seed's
profile and the seed's latest papers (for the "similar papers" reasons).
"""
from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from typing import Any

from opensearchpy import OpenSearch

from domain.collaborators import closest
from peerscope.config import Settings
from search import ranker as learned
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
# For the learned ranker: the seed's co-authors of its last RECENT_YEARS years (at most
# RECENT_NEIGHBOURS) are read with the years of their own pairs, and the FRESH_POOL
# candidates with the freshest paths through them join the candidates.
RECENT_YEARS, RECENT_NEIGHBOURS, FRESH_POOL = 4, 50, 60
FEATURE_PARTS = 2  # the candidates' feature search in this many parallel parts (the cores of a node)
MAX_REASON_ITEMS = 5
RANKER = "collaborators"  # the name the learned ranker is stored under (search.ranker)


def candidate_rankings(client: OpenSearch, settings: Settings, researcher_id: str,
                       filters: Mapping[str, Any], window: int, features: bool = False) -> dict[str, Any]:
    """The candidate lists before fusion: {"seed", "rankings": {source: [ids]}, "graph"}.

    Each source ranks at most `window` candidates; all apply the same filters
    and exclude the seed and its co-authors. "graph" is Adamic-Adar with recency,
    "adamic_adar" the plain score (what the learned ranker is measured against).
    With `features`, also "candidates" (every candidate of the lists that passes the
    filters) and "features" (one row of `C.FEATURES` each).
    """
    index = settings.alias("researchers")
    seed_hit = R.fetch_one(client, index, "researcher", researcher_id,
                           RQ.by_ids_body([researcher_id], C.SEED_FEATURE_SOURCE if features else C.SEED_SOURCE))
    seed = {**seed_hit["_source"], "id": researcher_id}

    neighbour_ids = [c["id"] for c in closest(seed.get("collaborators") or [], MAX_NEIGHBOURS)] \
        or list(seed.get("collaborator_ids") or [])[:MAX_NEIGHBOURS]
    recent_ids = C.recent_neighbour_ids(seed, RECENT_YEARS, RECENT_NEIGHBOURS) if features else []
    bodies = {"content": C.content_body(seed, filters, window),
              "topics": C.topics_body(seed, filters, window),
              "neighbours": C.neighbours_body(neighbour_ids) if neighbour_ids else None,
              "recent": C.recent_neighbours_body(recent_ids) if recent_ids else None}
    names = [n for n, b in bodies.items() if b is not None]
    responses = dict(zip(names, R.msearch(client, index, [bodies[n] for n in names])))

    known_names = {c.get("id"): c.get("name") for c in seed.get("collaborators") or []}
    neighbours = C.neighbours_from_hits(R.hits(responses.get("neighbours", {})), known_names)
    graph = C.adamic_adar(researcher_id, neighbours, exclude=C.excluded_ids(seed), limit=window * GRAPH_POOL)
    top_graph = sorted(graph, key=lambda c: (-graph[c]["score"], c))
    rankings = {name: [R.hit_id(h) for h in R.hits(responses.get(name, {}))] for name in ("content", "topics")}
    out: dict[str, Any] = {"seed": seed, "rankings": rankings, "graph": graph}
    if features:
        degrees = {z["id"]: z["collaborators_count"] for z in neighbours}
        fresh = C.fresh_paths(seed, R.hits(responses.get("recent", {})), degrees, C.excluded_ids(seed), RECENCY_YEARS)
        freshest = heapq.nsmallest(FRESH_POOL, fresh, key=lambda c: (-fresh[c]["fresh"], c))
        pool = list(dict.fromkeys([*top_graph, *freshest, *rankings["content"], *rankings["topics"]]))
        # Reading the candidates' co-author ids is most of this step's engine time, one
        # document after another in one search; the parts of one msearch run side by side.
        parts = [part for i in range(FEATURE_PARTS) if (part := pool[i::FEATURE_PARTS])]
        found_hits = [h for r in R.msearch(client, index, [C.features_body(p, seed, filters) for p in parts])
                      for h in R.hits(r)]
        fields = {R.hit_id(h): h.get("fields") or {} for h in found_hits}
        cosine = {R.hit_id(h): 2.0 * float(h["_score"]) - 1.0 for h in found_hits} if seed.get("embedding") else {}
        candidates = [c for c in pool if c in fields]
        links, two_steps = C.link_features(seed, neighbours, candidates, RECENCY_YEARS)
        position = {name: {c: i for i, c in enumerate(rankings[name], start=1)} for name in ("content", "topics")}
        out["candidates"] = candidates
        out["features"] = [C.feature_row(seed, fields[c], cosine.get(c), links[c], two_steps, fresh.get(c),
                                         position["content"].get(c), position["topics"].get(c)) for c in candidates]
        last_year = {c: (fields[c].get("last_year") or [None])[0] for c in top_graph if c in fields}
    elif top_graph:
        resp = client.search(index=index, body=C.candidates_body(top_graph, seed, filters))
        last_year = {R.hit_id(h): ((h.get("fields") or {}).get("last_year") or [None])[0] for h in R.hits(resp)}
    else:
        last_year = {}
    if last_year:
        rankings["adamic_adar"] = [c for c in top_graph if c in last_year][:window]
        ranked = sorted(last_year, key=lambda c: (-graph[c]["score"] * recency(seed, {"last_year": last_year[c]}), c))
        rankings["graph"] = ranked[:window]
    return out


def rank_learned(model: learned.Ranker, candidates: list[str], features: list[list[float]],
                 size: int) -> list[tuple[str, float, dict[str, float]]]:
    """The best `size` candidates by the model: (id, score, {reason kind: how much the
    features behind that reason raised the score})."""
    if not candidates:
        return []
    scores = model.scores(features)
    order = sorted(range(len(candidates)), key=lambda i: (-scores[i], candidates[i]))[:size]
    kinds = list(dict.fromkeys(REASON_OF_FEATURE.values()))
    groups = [[j for j, f in enumerate(model.features) if REASON_OF_FEATURE.get(f) == kind] for kind in kinds]
    contributions = model.contributions([features[i] for i in order], groups)
    return [(candidates[i], float(scores[i]), dict(zip(kinds, map(float, row))))
            for i, row in zip(order, contributions)]


def load_ranker(client: OpenSearch, settings: Settings) -> learned.Ranker | None:
    """The learned ranker stored with the researchers index, if it fits these features."""
    model = learned.load(client, settings, "researchers", RANKER)
    return model if model is not None and tuple(model.features) == C.FEATURES else None


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
                            args: Mapping[str, Any], *, use_ranker: bool = True) -> Page:
    """args: size, active_since, affiliation. Results carry `reasons`. With `use_ranker`
    (the default) the stored learned ranker ranks, if there is one."""
    size = args.get("size", LIKE_SIZE)
    filters = {k: args.get(k) for k in COLLABORATOR_FILTERS}
    model = load_ranker(client, settings) if use_ranker else None
    found = candidate_rankings(client, settings, researcher_id, filters, max(size * 3, 30), features=model is not None)
    seed, rankings, graph = found["seed"], found["rankings"], found["graph"]
    if model is not None:
        ranked = rank_learned(model, found["candidates"], found["features"], size)
        chosen_ids, why = [c for c, _, _ in ranked], {c: contrib for c, _, contrib in ranked}
        scores = {c: score for c, score, _ in ranked}
    else:
        fused = fuse_rankings(rankings, size)
        chosen_ids, why, scores = [c for c, _ in fused], {}, dict(fused)
    docs, papers = _chosen_with_papers(client, settings, seed, chosen_ids)
    results = []
    for cid in chosen_ids:
        if cid not in docs:
            continue
        hit = docs[cid]
        cand = {**hit["_source"], "id": cid}
        out = R.to_result(hit, drop=[*R.HEAVY_FIELDS, "topics"])
        out["score"] = scores[cid]
        if cid in why:
            out["reasons"] = learned_reasons(seed, cand, why[cid], graph.get(cid), papers.get(cid))
        else:
            out["reasons"] = reasons(seed, cand, graph.get(cid), papers.get(cid),
                                     from_content=cid in rankings.get("content", []))
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


# Which reason each feature speaks for; seed-only features move every candidate alike.
REASON_OF_FEATURE = {
    "adamic_adar": "mutual_collaborators", "adamic_adar_recent": "mutual_collaborators",
    "resource_allocation": "mutual_collaborators", "common_neighbours": "mutual_collaborators",
    "three_hop": "near_in_graph", "no_common": "near_in_graph",
    "cosine": "similar_papers", "content_rank": "similar_papers",
    "shared_topics": "shared_topics", "topics_jaccard": "shared_topics", "topics_rank": "shared_topics",
    "shared_venues": "shared_venues", "venues_jaccard": "shared_venues",
    "same_affiliation": "same_affiliation",
    "works": "active", "degree": "active", "quiet_years": "active", "career_years": "active",
}


def learned_reasons(seed: Mapping[str, Any], cand: Mapping[str, Any], strength: Mapping[str, float],
                    graph_entry: dict | None, pair: tuple[dict, dict] | None) -> list[dict]:
    """The reasons whose features raised this candidate's score, strongest first
    (`strength`: reason kind -> the score those features added, `rank_learned`); always one."""
    out: list[dict] = []
    for kind in sorted((k for k, v in strength.items() if v > 0), key=lambda k: -strength[k]):
        reason = _reason(kind, seed, cand, graph_entry, pair)
        if reason and reason["kind"] not in {r["kind"] for r in out}:
            out.append(reason)
    return out or [{"kind": "similar_research", "text": "Similar research profile", "items": []}]


def _reason(kind: str, seed: Mapping[str, Any], cand: Mapping[str, Any], graph_entry: dict | None,
            pair: tuple[dict, dict] | None) -> dict | None:
    if kind == "mutual_collaborators":
        via = (graph_entry or {}).get("via") or []
        if not via:
            return None
        shown = via[:MAX_REASON_ITEMS]
        more = f" and {len(via) - len(shown)} more" if len(via) > len(shown) else ""
        noun = "mutual collaborator" if len(via) == 1 else "mutual collaborators"
        return {"kind": kind, "text": f"{len(via)} {noun}: " + ", ".join(shown) + more, "items": shown}
    if kind == "near_in_graph":
        return {"kind": kind, "text": "Writes with co-authors of your co-authors", "items": []}
    if kind == "similar_papers":
        if not pair:
            return {"kind": "similar_research", "text": "Similar research profile", "items": []}
        mine, theirs = pair
        return {"kind": kind, "text": f"“{mine.get('title')}” is close to their “{theirs.get('title')}”",
                "items": [{k: p.get(k) for k in ("id", "title", "year")} for p in pair]}
    if kind == "shared_topics":
        topics = C.shared_topics(seed, cand)[:MAX_REASON_ITEMS]
        return {"kind": kind, "text": "Shares topics: " + ", ".join(topics), "items": topics} if topics else None
    if kind == "shared_venues":
        theirs = set(cand.get("venues") or [])
        venues = [v for v in seed.get("venues") or [] if v in theirs][:MAX_REASON_ITEMS]
        return {"kind": kind, "text": "Publishes at the same venues: " + ", ".join(venues),
                "items": venues} if venues else None
    if kind == "same_affiliation":
        where = cand.get("current_affiliation")
        return {"kind": kind, "text": f"Also at {where}", "items": [where]} if where else None
    if kind == "active":
        works, last = cand.get("works_count"), cand.get("last_year")
        if not works or not last:
            return None
        return {"kind": kind, "text": f"Active: {works} works, the latest in {last}", "items": []}
    return None
