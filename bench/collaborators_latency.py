"""Time of a collaborator recommendation with RRF and with the stored learned ranker.

    python -m bench.collaborators_latency --prefix eval-2025-both- [--n 100] [--seed 2] [--rounds 2]

Per researcher (a random sample of those with 3 or more works), the whole recommendation as a
web process makes it (every engine call, the features, the ranking, the reasons; size 10), in
one process against the index of --prefix (which must hold a ranker stored by `peerscope eval
train-collaborators --store`): RRF (the product without a ranker), the learned ranker with its
feature search in one part, and in `recommend.FEATURE_PARTS` parallel parts (the default).
The three are interleaved per researcher so that they see the same load; p50 and p95 per
variant, their ratios to RRF, and whether the one-part and the parallel lists agree (they
must: the parts only change how the same documents are read).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

if not __package__:  # run as `python bench/collaborators_latency.py`: this checkout's packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2, help="times each researcher is asked for per variant")
    args = ap.parse_args(argv)
    from peerscope.config import load_settings
    from search import recommend
    from search.client import make_client

    settings = replace(load_settings(), index_prefix=args.prefix)
    client = make_client(settings, timeout=60)
    if recommend.load_ranker(client, settings) is None:
        ap.error(f"no learned ranker stored with {settings.alias('researchers')}")
    people = [h["_id"] for h in client.search(index=settings.alias("researchers"), body={
        "size": args.n, "_source": False, "query": {"function_score": {
            "query": {"range": {"works_count": {"gte": 3}}}, "random_score": {"seed": args.seed, "field": "_seq_no"}}}},
    )["hits"]["hits"]]
    parallel = recommend.FEATURE_PARTS
    variants = {"rrf": (False, 1), "learned, one part": (True, 1), f"learned, {parallel} parts": (True, parallel)}
    times: dict[str, list[float]] = {v: [] for v in variants}
    agree = 0
    print(f"cpu: {harness.cpu_features()}; {len(people)} researchers of {args.prefix}, {args.rounds} rounds", flush=True)
    try:
        for _ in range(args.rounds):
            for rid in people:
                lists = {}
                for name, (use_ranker, parts) in variants.items():
                    recommend.FEATURE_PARTS = parts
                    started = time.perf_counter()
                    page = recommend.recommend_collaborators(client, settings, rid, {"size": 10}, use_ranker=use_ranker)
                    times[name].append((time.perf_counter() - started) * 1000)
                    lists[name] = [(r["id"], r["score"], r.get("reasons")) for r in page.results]
                agree += lists["learned, one part"] == lists[f"learned, {parallel} parts"]
    finally:
        recommend.FEATURE_PARTS = parallel
    rrf = statistics.median(times["rrf"])
    print("| variant | p50 ms | p95 ms | p50 / RRF |\n|---|---|---|---|")
    for name, xs in times.items():
        xs.sort()
        p50 = statistics.median(xs)
        print(f"| {name} | {p50:.1f} | {xs[min(len(xs) - 1, int(len(xs) * 0.95))]:.1f} | {p50 / rrf:.2f}x |")
    total = len(people) * args.rounds
    print(f"the one-part and the parallel learned lists agree on {agree} of {total} requests")
    return 0 if agree == total else 1


if __name__ == "__main__":
    sys.exit(main())
