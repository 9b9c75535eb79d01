"""Recall of the HNSW k-NN search against exact search, on the served indexes.

    python bench/knn_recall.py [--prefix peerscope-] [--n 100] [--k 10]

For --n random documents (seed 0) of each index, the query is the document's own vector;
the approximate top k (the product's k-NN clause, `search.queries.works.knn_clause`, with
k = the product's minimum candidate count) is compared with the exact top k (a
`script_score` brute force with the k-NN plugin's cosine). Prints recall@k per index and
the median latency of both, so HNSW build settings can be judged by what they cost in
answers, not only in indexing time.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peerscope.config import load_settings  # noqa: E402
from search.client import make_client  # noqa: E402
from search.queries.works import MIN_K, knn_clause  # noqa: E402


def exact_body(vector: list[float], k: int) -> dict:
    return {"size": k, "_source": False, "query": {"script_score": {
        "query": {"match_all": {}},
        "script": {"source": "knn_score", "lang": "knn",
                   "params": {"field": "embedding", "query_value": vector, "space_type": "cosinesimil"}}}}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prefix", default="peerscope-")
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args()
    settings = replace(load_settings(), index_prefix=args.prefix)
    client = make_client(settings, timeout=120)
    for name in ("works", "researchers"):
        index = settings.alias(name)
        seeds = client.search(index=index, body={
            "size": args.n, "_source": ["embedding"],
            "query": {"function_score": {"query": {"exists": {"field": "embedding"}},
                                         "random_score": {"seed": 0, "field": "_seq_no"}}}})["hits"]["hits"]
        recalls, approx_ms, exact_ms = [], [], []
        for hit in seeds:
            vector = hit["_source"]["embedding"]
            t = time.perf_counter()
            approx = client.search(index=index, body={"size": args.k, "_source": False,
                                                      "query": knn_clause(vector, max(args.k, MIN_K))})
            approx_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            exact = client.search(index=index, body=exact_body(vector, args.k))
            exact_ms.append((time.perf_counter() - t) * 1000)
            truth = {h["_id"] for h in exact["hits"]["hits"]}
            found = {h["_id"] for h in approx["hits"]["hits"]}
            recalls.append(len(truth & found) / max(1, len(truth)))
        print(f"{name:<12} recall@{args.k} {statistics.mean(recalls):.3f} over {len(recalls)} queries; "
              f"median latency k-NN {statistics.median(approx_ms):.1f} ms, exact {statistics.median(exact_ms):.1f} ms")


if __name__ == "__main__":
    main()
