"""Works search with short queries: a paper's title as the query, its workshop volume as the answer.

For seeds of the similar-work volume ground truth, the query is the seed's title
and the relevant works are the other papers of its small workshop volume that
share no author with it (the seed itself is dropped from every ranking, since a
title finds its own paper trivially). Modes are the product's: keyword, vector,
hybrid (`search.works.search_works`, with the web process's query embedder).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from peerscope.config import Settings
from search.embedding import Embedder
from search.works import search_works
from evaluation import metrics as M
from evaluation import similar as S
from evaluation.common import client_for, deterministic_sample, ensure_vectors_readable

K = 10
MODES = ("keyword", "vector", "hybrid")


def run(settings: Settings, n: int = 300, seed: int = 0) -> dict[str, Any]:
    client = client_for(settings)
    ensure_vectors_readable(client, settings)
    works = S.load_works(client, settings)
    gt = S.volume_truth(works)
    chosen = deterministic_sample(list(gt), n, seed)
    titles = {h["_id"]: h["_source"].get("title") or "" for h in client.search(
        index=settings.alias("works"),
        body={"size": len(chosen), "_source": ["title"], "query": {"ids": {"values": chosen}}})["hits"]["hits"]}
    embed = Embedder(settings)
    per: dict[str, dict[str, list[float]]] = {m: defaultdict(list) for m in MODES}
    for sid in chosen:
        own = set(works[sid].get("author_ids") or [])
        for mode in MODES:
            found = search_works(client, settings, {"q": titles[sid], "mode": mode, "size": K + 10}, embed)
            ranked = [r["id"] for r in found["results"]
                      if r["id"] != sid and not own & {a.get("id") for a in r.get("authors") or []}][:K]
            per[mode]["ndcg@10"].append(M.ndcg_at(ranked, gt[sid], K))
            per[mode]["p@10"].append(M.precision_at(ranked, gt[sid], K))
    return {"seeds": len(chosen), "pool": len(gt),
            "scores": {m: {k: M.mean(v) for k, v in per[m].items()} for m in MODES}}
