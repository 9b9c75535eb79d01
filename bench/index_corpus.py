"""Benchmark the indexer end to end on the corpus (whole by default, every source present).

Runs, in one process and one run:
  1. raw embedding throughput of the same model on a sample of the same texts (no cache),
  2. a cold full build (empty embedding cache) -> wall time, works/s, researchers/s, and the
     ratio of the end-to-end rate to the raw embedding rate; with --repeat N, N cold builds
     (each with an empty cache and its own raw measurement just before) and their medians,
  3. a warm full build from empty indexes (cache filled by step 2),
  4. a warm full build the indexer's default way: from a copy of the live indexes, writing
     only what changed (nothing, on an unchanged corpus),
and prints the CPU's vector features, works per source, the time of each step, peak memory
and index sizes. Usage:

    .venv/bin/python bench/index_corpus.py [--sample N] [--sources acl,arxiv] [--repeat 3]
                                           [--raw-n 1500] [--prefix bench-] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from indexer.build import run_in_process
from indexer.cli import print_reconciliation
from domain.text import work_text
from embeddings import TextEncoder
from embeddings.cpu import cpu_flags, vector_features
from indexer.plan import plan_files
from indexer.sources import available_sources
from indexer.sources.base import Options
from peerscope.config import load_settings
from search.client import make_client


def cpu_s() -> float:
    """CPU seconds of this process so far, every thread."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def engine_cpu_s(settings) -> float:
    """CPU seconds of the engine's processes so far (every node; others' requests included)."""
    stats = make_client(settings, timeout=30).nodes.stats(metric="process")
    return sum(n["process"]["cpu"]["total_in_millis"] for n in stats["nodes"].values()) / 1000


def raw_texts(settings, options: Options, n: int) -> list[str]:
    """n texts drawn from the files of the same build (a spread of them, old and new)."""
    sources = {s.name: s for s in available_sources(settings)}
    texts: list[str] = []
    tasks = plan_files(list(sources.values()), options)
    for task in tasks[:: max(1, len(tasks) // 60)]:
        texts += [work_text(r["title"], r.get("abstract")) for r in sources[task.source].read_file(task).records]
    random.Random(0).shuffle(texts)
    return texts[:n]


def raw_throughput(settings, options: Options, n: int, repeats: int = 3, texts: list[str] | None = None
                   ) -> tuple[float, float]:
    """Texts/s of the bare model (no cache) on n texts of the same build, median of `repeats`,
    and the CPU seconds this process spent per text."""
    texts = texts if texts is not None else raw_texts(settings, options, n)
    embedder = TextEncoder.from_settings(settings, cache_dir=None)
    embedder.encode(texts[:64])  # load the model and warm up outside the timing
    rates, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), cpu_s()
        embedder.encode(texts)
        rates.append(len(texts) / (time.perf_counter() - t))
        cpu.append((cpu_s() - c) / len(texts))
    return statistics.median(rates), statistics.median(cpu)


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


def cpu_line() -> str:
    flags = cpu_flags()
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    have = [name for name, flag in (("AVX2", "avx2"), ("AVX-512F", "avx512f"), ("AVX-512 VNNI", "avx512_vnni"),
                                    ("AVX-VNNI", "avx_vnni")) if flag in flags]
    return (f"CPU: {model or '?'}, {len(os.sched_getaffinity(0))} cores; vector features: {', '.join(have) or 'none'} "
            f"(int8 kernels: {vector_features(flags)})")


def source_lines(report: dict) -> list[str]:
    out = []
    for name, row in sorted((report.get("by_source") or {}).items()):
        out.append(f"  {name}: {row['files']} files, {row['read']} works read, {row['works with a version']} indexed "
                   f"works carry a version of it ({row['only']} of this source only)")
    return out


def cold_run(settings, options: Options, raw_n: int, cache: Path) -> dict:
    """A cold build (empty embedding cache `cache`) between two measurements of the raw
    embedding rate on texts of the same build; its rate is compared with their mean, so that
    a change of load on these shared cores during the run weighs on both sides."""
    shutil.rmtree(cache, ignore_errors=True)
    settings = replace(settings, cache_dir=cache)
    # Cold means no vector in the cache; the model's ONNX export (made once per machine and cache
    # folder, as for the raw measurement) is made here, outside the timing.
    TextEncoder.from_settings(settings).load()
    texts = raw_texts(settings, options, raw_n)
    raw_before, raw_cpu = raw_throughput(settings, options, raw_n, texts=texts)
    print(f"raw embedding throughput before the build: {raw_before:.1f} texts/s (median of 3 on {raw_n} texts "
          f"of this build; {1000 * raw_cpu:.1f} CPU-ms per text)", flush=True)
    cpu0, engine0 = cpu_s(), engine_cpu_s(settings)
    cold_s, report = timed_build(settings, options)
    build_cpu, engine_cpu = cpu_s() - cpu0, engine_cpu_s(settings) - engine0
    raw_after, _ = raw_throughput(settings, options, raw_n, texts=texts)
    raw_rate = (raw_before + raw_after) / 2
    print(f"raw embedding throughput after the build: {raw_after:.1f} texts/s")
    print_reconciliation(report)
    print("\n".join(source_lines(report)))
    works, people = report["works"]["indexed"], report["researchers"]["indexed"]
    works_rate = works / cold_s
    out = {"cold_wall_s": round(cold_s, 1), "works": works, "researchers": people,
           "works_per_s": round(works_rate, 1), "researchers_per_s": round(people / cold_s, 1),
           "raw_embedding_texts_per_s": round(raw_rate, 1),
           "raw_before_after": [round(raw_before, 1), round(raw_after, 1)],
           "ratio_end_to_end_to_raw": round(works_rate / raw_rate, 3),
           # CPU: what the build spent per work (indexer + engine) against the bare model per text
           "cpu_ms_per_work": {"indexer": round(1000 * build_cpu / works, 1),
                               "engine": round(1000 * engine_cpu / works, 1),
                               "raw model per text": round(1000 * raw_cpu, 1)},
           "ratio_cpu_raw_to_build": round(raw_cpu * works / (build_cpu + engine_cpu), 3),
           "by_source": report.get("by_source"), "steps_s": report.get("timings_s")}
    print(f"end to end {works_rate:.1f} works/s against raw {raw_rate:.1f} texts/s: "
          f"ratio {out['ratio_end_to_end_to_raw']}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, help="papers to index per source (default: the whole corpus)")
    ap.add_argument("--sources", help="comma-separated sources to build (default: every source present)")
    ap.add_argument("--repeat", type=int, default=1, help="cold builds to run (medians are printed)")
    ap.add_argument("--raw-n", type=int, default=1500, help="texts for the raw embedding measurement")
    ap.add_argument("--prefix", default="bench-")
    ap.add_argument("--skip-warm", action="store_true")
    ap.add_argument("--cache-dir", help="keep the embedding cache here (default: a temporary, empty one)")
    ap.add_argument("--keep", action="store_true", help="keep the built indexes (e.g. to serve them)")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="peerscope-bench-") as tmp:
        base = load_settings()
        sources = tuple(args.sources.split(",")) if args.sources else base.sources
        settings = replace(base, index_prefix=args.prefix, sources=sources,
                           state_dir=base.state_dir if args.keep else Path(tmp) / "state")
        print(cpu_line())
        print(f"model {settings.model} backend={settings.embed_backend} max_seq_length={settings.embed_max_seq_length}")
        print("sources: " + ", ".join(s.name for s in available_sources(settings)))
        options = Options(sample=args.sample, fresh=True)
        cache = Path(args.cache_dir or Path(tmp) / "cache")
        runs = []
        for i in range(max(1, args.repeat)):
            if args.repeat > 1:
                print(f"--- cold run {i + 1} of {args.repeat}", flush=True)
            runs.append(cold_run(settings, options, args.raw_n, cache if i == 0 else Path(tmp) / f"cache-{i}"))
            print(json.dumps({k: v for k, v in runs[-1].items() if k != "by_source"}), flush=True)
        result = {"cpu": cpu_line(), **{k: v for k, v in runs[-1].items() if k not in ("steps_s",)}}
        for key in ("cold_wall_s", "works_per_s", "researchers_per_s", "raw_embedding_texts_per_s",
                    "ratio_end_to_end_to_raw", "ratio_cpu_raw_to_build"):
            result[key] = round(statistics.median(r[key] for r in runs), 3)
        result["runs"] = [{k: r[k] for k in ("cold_wall_s", "raw_before_after", "ratio_end_to_end_to_raw",
                                             "ratio_cpu_raw_to_build")} for r in runs]
        settings = replace(settings, cache_dir=cache)
        if not args.skip_warm:
            warm_s, _ = timed_build(settings, options)
            result["warm_fresh_wall_s"] = round(warm_s, 1)
            warm_s, report = timed_build(settings, replace(options, fresh=False))
            print_reconciliation(report)
            result["warm_from_copy_wall_s"] = round(warm_s, 1)
        result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        result["index_sizes"] = index_sizes(settings)
        print(json.dumps(result, indent=2))
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2))
        if not args.keep:
            from search.lifecycle import drop_prefix

            drop_prefix(make_client(settings, timeout=60), settings)


if __name__ == "__main__":
    main()
