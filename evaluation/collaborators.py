"""Collaborator recommendation, judged by the future: who did they write with next?

Indexes hold works up to a cutoff year. For researchers with at least two works
up to the cutoff and at least one *new* co-author after it (someone already in
the index they had never written with), each ranking is scored on those new
co-authors, read straight from the source records with year > cutoff.

Variants (all from the same candidate lists as the product):
- fused: the product's recommender (`search.recommend`, RRF of the lists below);
- graph: friends of friends by Adamic-Adar only;
- embedding: nearest profile vectors only;
- topics: shared topics + more_like_this on topic labels and titles only.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from indexer.sources.acl import AnthologySource
from peerscope.config import Settings
from search import recommend
from evaluation import metrics as M
from evaluation.common import client_for, ensure_vectors_readable, collection_year, deterministic_sample, scroll

K = 10
WINDOW = 30  # what the product ranks per source for size=10 (max(size * 3, 30))
VARIANTS = ("fused", "graph", "embedding", "topics")


def post_cutoff_coauthors(data_dir: Path, cutoff: int, files: Iterable[str] | None = None
                          ) -> dict[str, set[str]]:
    """{author id: co-author ids on papers published after `cutoff`}, from the source files.

    Only collection files that can hold such papers are read (new-style files of a
    later year; old-style ids end before 2020).
    """
    source = AnthologySource(data_dir)
    paths = [data_dir / "xml" / f for f in files] if files else source.collection_paths()
    paths = [p for p in paths
             if (collection_year(p) or 0) > cutoff or (collection_year(p) is None and cutoff < 2020)]
    out: dict[str, set[str]] = defaultdict(set)
    for result in source.iter_collections(paths):
        for record in result.records:
            if record["year"] <= cutoff:
                continue
            ids = list(dict.fromkeys(a["id"] for a in record["authors"]))
            for a in ids:
                out[a].update(b for b in ids if b != a)
    return out


def eligible(client, settings: Settings, future: Mapping[str, set[str]], min_works: int = 2
             ) -> dict[str, set[str]]:
    """{researcher id: new co-authors after the cutoff who are in the index}."""
    people: dict[str, tuple[int, list[str]]] = {}
    body = {"_source": ["works_count", "collaborator_ids"], "query": {"match_all": {}}}
    for hit in scroll(client, settings.alias("researchers"), body):
        src = hit["_source"]
        people[hit["_id"]] = (int(src.get("works_count") or 0), src.get("collaborator_ids") or [])
    out = {}
    for rid, (works, known) in people.items():
        if works < min_works or rid not in future:
            continue
        new = {c for c in future[rid] if c in people} - set(known) - {rid}
        if new:
            out[rid] = new
    return out


def rankings_for(client, settings: Settings, rid: str) -> dict[str, list[str]]:
    found = recommend.candidate_rankings(client, settings, rid, {}, WINDOW)
    return {name: list(ids) for name, ids in found["rankings"].items()}


def variant_lists(rankings: Mapping[str, list[str]],
                  weights: Mapping[str, float] = recommend.WEIGHTS) -> dict[str, list[str]]:
    return {
        "fused": [c for c, _ in recommend.fuse_rankings(rankings, K, weights)],
        "graph": rankings.get("graph", [])[:K],
        "embedding": rankings.get("content", [])[:K],
        "topics": rankings.get("topics", [])[:K],
    }


def score(runs: list[dict[str, Any]], weights: Mapping[str, float] = recommend.WEIGHTS
          ) -> dict[str, dict[str, float]]:
    """{variant: {"recall@10", "mrr@10", "hit@10"}} averaged over the seeds."""
    per: dict[str, dict[str, list[float]]] = {v: defaultdict(list) for v in VARIANTS}
    for run in runs:
        truth = set(run["new"])
        for name, ranked in variant_lists(run["rankings"], weights).items():
            per[name]["recall@10"].append(M.recall_at(ranked, truth, K))
            per[name]["mrr@10"].append(M.reciprocal_rank(ranked, truth, K))
            per[name]["hit@10"].append(M.success_at(ranked, truth, K))
    return {v: {m: M.mean(xs) for m, xs in per[v].items()} for v in VARIANTS}


def run(settings: Settings, cutoff: int, n: int = 500, seed: int = 0, min_works: int = 2,
        files: Iterable[str] | None = None, dump: Path | None = None) -> dict[str, Any]:
    client = client_for(settings)
    ensure_vectors_readable(client, settings)
    future = post_cutoff_coauthors(settings.data_dir, cutoff, files)
    pool = eligible(client, settings, future, min_works)
    chosen = deterministic_sample(list(pool), n, seed)
    runs = [{"id": rid, "new": sorted(pool[rid]), "rankings": rankings_for(client, settings, rid)}
            for rid in chosen]
    if dump:
        dump.parent.mkdir(parents=True, exist_ok=True)
        dump.write_text("\n".join(json.dumps(r) for r in runs) + "\n")
    return {"eligible": len(pool), "seeds": len(runs), "scores": score(runs)}
