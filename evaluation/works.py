"""Works search with short queries, two tasks that pull in opposite directions.

- topical: the query is a seed paper's title, the relevant works are the other papers of
  its small workshop volume that share no author with it (the seed itself and its
  authors' papers are dropped from every ranking). Meaning matters more than words.
- known item: the query is three words of a paper's title, as people type them when
  they half remember a paper; the one relevant work is that paper. Words matter.

Modes are the product's (`search.works.search_works`, with the web process's query
embedder): keyword, vector, hybrid, on two disjoint samples of seeds outside the tuning
split. `sweep` also scores, from the same lists, fusions with other keyword matching rules,
weights and RRF k, so that the product's setting is chosen on both tasks at once: run it with
`split="tuning"`, the seeds no reported figure uses.
"""
from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from embeddings import QueryEmbedder
from evaluation import metrics as M
from evaluation import similar as S
from evaluation.common import client_for, ensure_vectors_readable, held_out_samples, tuning_sample
from peerscope.config import Settings
from search import results as R
from search import works as W
from search.fusion import rrf
from search.queries import works as Q

K = 10
DEPTH = 100  # list depth read for the offline sweep
MODES = ("keyword", "vector", "hybrid")
# minimum_should_match rules tried for the keyword list of the hybrid
MATCH_RULES = ("2<75%", "2<50%", "1<30%")
SWEEP_WEIGHTS = (0.5, 1.0, 2.0, 3.0)  # keyword weight, vector 1.0
SWEEP_K = (20, 60)


def known_item_query(title: str, rnd: random.Random) -> str | None:
    words = [w for w in title.split() if len(w) > 3 and w.isalpha()]
    return " ".join(rnd.sample(words, 3)) if len(words) >= 4 else None


def _lists(client, settings: Settings, q: str, vector: list[float]) -> dict[str, list[dict]]:
    index = settings.alias("works")
    bodies = [Q.keyword_body(q, {}, size=DEPTH, highlight=False, match_rule=rule) for rule in MATCH_RULES]
    responses = R.msearch(client, index, [*bodies, Q.knn_body(vector, {}, size=DEPTH)])
    out = {f"keyword {rule}": R.hits(r) for rule, r in zip(MATCH_RULES, responses)}
    out["vector"] = R.hits(responses[-1])
    return out


def _fused(lists: dict[str, list[dict]], rule: str, w: float, k: int, vector_w: float = 1.0) -> list[dict]:
    ranked = rrf([[h["_id"] for h in lists[f"keyword {rule}"]], [h["_id"] for h in lists["vector"]]],
                 k=k, weights=(w, vector_w))
    by_id = {h["_id"]: h for name in lists for h in lists[name]}
    return [by_id[i] for i, _ in ranked]


def _variants(lists: dict[str, list[dict]]) -> dict[str, list[dict]]:
    out = {name: hits for name, hits in lists.items()}
    for rule in MATCH_RULES:
        for w in SWEEP_WEIGHTS:
            for k in SWEEP_K:
                out[f"rrf {rule} w={w} k={k}"] = _fused(lists, rule, w, k)
        # the product's rule: vector weight from the keyword list's confidence
        out[f"rrf {rule} confidence"] = _fused(lists, rule, W.KEYWORD_WEIGHT, 60,
                                               W.vector_weight(lists[f"keyword {rule}"]))
    return out


def _ids(hits: list[dict], drop: set[str], own: set[str]) -> list[str]:
    out = []
    for h in hits:
        hid = h.get("_id") or h.get("id")
        src = h.get("_source") or h
        if hid in drop or own & {a.get("id") for a in src.get("authors") or []}:
            continue
        out.append(hid)
    return out[:K]


def run(settings: Settings, n: int = 300, seed: int = 0, sweep: bool = False, samples: int = 2,
        split: str = "held-out") -> dict[str, Any]:
    """Scores of every mode on `samples` disjoint samples of seeds outside the tuning split
    (`split="tuning"`: one sample inside it, where the sweep may choose a setting), with the
    paired difference of the hybrid against the better single mode per task."""
    client = client_for(settings)
    ensure_vectors_readable(client, settings)
    works = S.load_works(client, settings)
    gt = S.volume_truth(works)
    if split == "tuning":
        topical_sets, known_sets = [tuning_sample(list(gt), n, seed)], [tuning_sample(sorted(works), n * 2, seed + 1)]
    else:
        topical_sets = held_out_samples(list(gt), n, samples, seed)
        known_sets = held_out_samples(sorted(works), n * 2, samples, seed + 1)
    wanted = sorted({i for group in (*topical_sets, *known_sets) for i in group})
    titles = {h["_id"]: h["_source"].get("title") or "" for h in client.search(
        index=settings.alias("works"), body={"size": len(wanted), "_source": ["title"],
                                             "query": {"ids": {"values": wanted}}})["hits"]["hits"]}
    embed = QueryEmbedder(settings)
    out = []
    for topical, known in zip(topical_sets, known_sets):
        rnd = random.Random(seed)
        queries = [(sid, known_item_query(titles.get(sid, ""), rnd)) for sid in known]
        queries = [(sid, q) for sid, q in queries if q][:n]
        per: dict[str, dict[str, dict[str, list[float]]]] = {"topical": defaultdict(lambda: defaultdict(list)),
                                                              "known_item": defaultdict(lambda: defaultdict(list))}

        def score(task: str, q: str, drop: set[str], own: set[str], relevant: dict[str, float]) -> None:
            for mode in MODES:  # the product path, as served
                found = W.search_works(client, settings, {"q": q, "mode": mode, "size": K + 10}, embed)
                _record(per[task][mode], _ids(found.results, drop, own), relevant)
            if sweep:
                for name, hits in _variants(_lists(client, settings, q, embed(q))).items():
                    _record(per[task][name], _ids(hits, drop, own), relevant)

        for sid in topical:
            score("topical", titles[sid], {sid}, set(works[sid].get("author_ids") or []), gt[sid])
        for sid, q in queries:
            score("known_item", q, set(), set(), {sid: 1.0})
        out.append({"seeds": {"topical": len(topical), "known_item": len(queries)},
                    "scores": {task: {m: {k: M.mean(v) for k, v in d.items()} for m, d in per[task].items()}
                               for task in per},
                    "paired": {task: _versus_better_single(per[task], metric)
                               for task, metric in (("topical", "ndcg@10"), ("known_item", "mrr@10"))}})
    return {"pool": len(gt), "split": split, "samples": out}


def _versus_better_single(per: dict[str, dict[str, list[float]]], metric: str) -> dict[str, Any]:
    best = max(("keyword", "vector"), key=lambda m: M.mean(per[m][metric]))
    return {"metric": metric, "better_single": best,
            "ratio": M.ratio(M.mean(per["hybrid"][metric]), M.mean(per[best][metric])),
            "vs_better": M.paired_difference(per["hybrid"][metric], per[best][metric])}


def _record(into: dict[str, list[float]], ranked: list[str], relevant: dict[str, float]) -> None:
    into["ndcg@10"].append(M.ndcg_at(ranked, relevant, K))
    into["mrr@10"].append(M.reciprocal_rank(ranked, relevant, K))
    into["s@1"].append(M.success_at(ranked, relevant, 1))
