"""Benchmark the indexer end to end on the corpus (whole by default).

Runs, in one process and one run:
  1. raw embedding throughput of the same model on a sample of the same texts (no cache),
  2. a cold full build (empty embedding cache) -> wall time, works/s, researchers/s,
  3. a warm full build from empty indexes (cache filled by step 2),
  4. a warm full build the indexer's default way: from a copy of the live indexes, writing
     only what changed (nothing, on an unchanged corpus),
and prints peak memory and index sizes. Usage:

    .venv/bin/python bench/index_corpus.py [--sample N] [--raw-n 1500] [--prefix bench-]
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from indexer.build import run_in_process
from indexer.cli import print_reconciliation
from domain.text import work_text
from embeddings import TextEncoder
from indexer.plan import plan_files
from indexer.sources import available_sources
from indexer.sources.base import Options
from peerscope.config import load_settings
from search.client import make_client


def raw_throughput(settings, options: Options, n: int, repeats: int = 3) -> float:
    """Texts/s of the bare model (no cache) on n texts drawn from the same build, median of `repeats`."""
    sources = {s.name: s for s in available_sources(settings)}
    texts: list[str] = []
    tasks = plan_files(list(sources.values()), options)
    for task in tasks[:: max(1, len(tasks) // 60)]:  # a spread of collections, old and new
        texts += [work_text(r["title"], r.get("abstract")) for r in sources[task.source].read_file(task).records]
    random.Random(0).shuffle(texts)
    texts = texts[:n]
    embedder = TextEncoder.from_settings(settings, cache_dir=None)
    embedder.encode(texts[:64])  # load the model and warm up outside the timing
    rates = []
    for _ in range(repeats):
        t = time.perf_counter()
        embedder.encode(texts)
        rates.append(len(texts) / (time.perf_counter() - t))
    return statistics.median(rates)


def index_sizes(settings) -> dict:
    client = make_client(settings, timeout=60)
    out = {}
    client.indices.flush(index=settings.alias("works") + "," + settings.alias("researchers"))
    for name in ("works", "researchers"):
        (row,) = client.cat.indices(index=settings.alias(name), format="json", bytes="b")
        out[name] = {"docs": int(row["docs.count"]), "mib": round(int(row["pri.store.size"]) / 2**20, 1)}
    return out


def timed_build(settings, options: Options) -> tuple[float, dict]:
    t = time.perf_counter()
    report = run_in_process(settings, options, None)
    return time.perf_counter() - t, report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, help="papers to index (default: the whole corpus)")
    ap.add_argument("--raw-n", type=int, default=1500, help="texts for the raw embedding measurement")
    ap.add_argument("--prefix", default="bench-")
    ap.add_argument("--skip-warm", action="store_true")
    ap.add_argument("--cache-dir", help="keep the embedding cache here (default: a temporary, empty one)")
    ap.add_argument("--keep", action="store_true", help="keep the built indexes (e.g. to serve them)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="peerscope-bench-") as tmp:
        base = load_settings()
        settings = replace(base, index_prefix=args.prefix, cache_dir=Path(args.cache_dir or Path(tmp) / "cache"),
                           state_dir=base.state_dir if args.keep else Path(tmp) / "state")
        print(f"model {settings.model} backend={settings.embed_backend} max_seq_length={settings.embed_max_seq_length}")
        options = Options(sample=args.sample, fresh=True)
        raw_rate = raw_throughput(settings, options, args.raw_n)
        print(f"raw embedding throughput: {raw_rate:.1f} texts/s (median of 3 on {args.raw_n} texts of this build)")

        cold_s, report = timed_build(settings, options)
        print_reconciliation(report)
        works, people = report["works"]["indexed"], report["researchers"]["indexed"]
        works_rate = works / cold_s
        result = {
            "cold_wall_s": round(cold_s, 1), "works": works, "researchers": people,
            "works_per_s": round(works_rate, 1), "researchers_per_s": round(people / cold_s, 1),
            "raw_embedding_texts_per_s": round(raw_rate, 1), "ratio_end_to_end_to_raw": round(works_rate / raw_rate, 2),
        }
        if not args.skip_warm:
            warm_s, _ = timed_build(settings, options)
            result["warm_fresh_wall_s"] = round(warm_s, 1)
            warm_s, report = timed_build(settings, replace(options, fresh=False))
            print_reconciliation(report)
            result["warm_from_copy_wall_s"] = round(warm_s, 1)
        result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        result["index_sizes"] = index_sizes(settings)
        print(json.dumps(result, indent=2))
        if not args.keep:
            from search.lifecycle import drop_prefix

            drop_prefix(make_client(settings, timeout=60), settings)


if __name__ == "__main__":
    main()
