"""The app against its limit: each endpoint's own engine requests sent straight to the engine,
then the endpoint through the served app, by one load generator in one run.

    python bench/app_vs_engine.py [--prefix peerscope-] [--clients 16] [--duration 5] [--rounds 3]
                                  [--workers 2] [--threads 4] [--only autocomplete ...] [--json]

For each endpoint (researcher search, autocomplete, hybrid works search, similar work,
collaborators, profile page), URLs come from the index (bench/latency.py's sample). The app
is first run in this process with its engine connection recorded, so each URL gets the exact
engine requests (method, path and query, body) the app sends for it. Then, for --rounds
rounds, in alternating order: --clients closed-loop keep-alive clients send those request
sequences to the engine (one sequence = one unit, as the app would send them), and the same
number of clients send the URLs to `peerscope serve` (gunicorn, --workers x --threads, rate
limit off). Printed per endpoint: units (requests) per second and p95 of each, medians over
the rounds, and the ratio app / engine, beside its target (0.8 for researcher search and
typeahead, 0.7 where the app embeds or fuses); and the CPU time the app's worker processes
spent per answer (user + system, from /proc: the figure least moved by other work on the
machine). Also printed: the CPU's vector features and
the load average (the cores are shared; compare ratios, not absolute figures).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

if not __package__:  # run as `python bench/app_vs_engine.py`: this checkout's packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, latency, load  # noqa: E402

ENDPOINTS = ("researcher_search", "autocomplete", "works_hybrid", "similar", "collaborators", "profile_page")
TARGET_RATIO = {"researcher_search": 0.8, "autocomplete": 0.8, "works_hybrid": 0.7, "similar": 0.7,
                "collaborators": 0.7, "profile_page": 0.7}


def record_engine_requests(settings, urls: dict[str, list[str]]) -> dict[str, list[tuple[str, tuple]]]:
    """Per endpoint: (url, the engine requests the app made for it), from the app run here."""
    from web import create_app

    app = create_app(settings)
    engine = app.extensions["peerscope"].opensearch
    calls: list[load.Step] = []

    def recording(conn):
        original = conn.perform_request

        def perform_request(method, url, params=None, body=None, timeout=None, ignore=(), headers=None):
            path = conn.url_prefix + url + (f"?{urlencode(params)}" if params else "")
            kind = {**conn.headers, **(headers or {})}.get("content-type")
            data = body.encode() if isinstance(body, str) else body
            calls.append(load.Step(method, path, data, kind))
            return original(method, url, params=params, body=body, timeout=timeout, ignore=ignore, headers=headers)
        return perform_request

    for conn in engine.transport.connection_pool.connections:
        conn.perform_request = recording(conn)
    logging.getLogger("web.accounts.profile").setLevel(logging.ERROR)  # no accounts store needed here
    web = app.test_client()
    out: dict[str, list[tuple[str, tuple]]] = {}
    for kind, kind_urls in urls.items():
        out[kind] = []
        for url in kind_urls:
            calls.clear()
            resp = web.get(url)
            if resp.status_code == 200 and calls:
                out[kind].append((url, tuple(calls)))
    return out


def _p95(result: load.LoadResult) -> float:
    return load.LoadResult.pct(result.latencies(), 95)


def measure(app_base: str, engine_base: str, recorded: list[tuple[str, tuple]], kind: str, *,
            clients: int, duration_s: float, rounds: int, app_pids: list[int]) -> dict:
    app_targets = [load.Target(kind, url) for url, _ in recorded]
    engine_targets = [load.Target(kind, url, steps=steps) for url, steps in recorded]
    runs: dict[str, list[load.LoadResult]] = {"engine": [], "app": []}
    app_cpu: list[float] = []  # CPU ms of the app's processes per answer, per app run
    for side, base, targets in (("engine", engine_base, engine_targets), ("app", app_base, app_targets)):
        load.run_load(base, targets, duration_s=min(3.0, duration_s), concurrency=clients)  # warm-up
    for r in range(rounds):
        order = [("engine", engine_base, engine_targets), ("app", app_base, app_targets)]
        for side, base, targets in order if r % 2 == 0 else order[::-1]:
            cpu0 = harness.cpu_seconds(app_pids)
            runs[side].append(load.run_load(base, targets, duration_s=duration_s, concurrency=clients,
                                            timeout=30, seed=r + 1))
            if side == "app":
                app_cpu.append(1000 * (harness.cpu_seconds(app_pids) - cpu0) / max(1, len(runs[side][-1].records)))
    out: dict = {"urls": len(recorded),
                 "engine_requests_per_answer": round(statistics.mean(len(s) for _, s in recorded), 2)}
    for side, results in runs.items():
        out[side] = {"rps": round(statistics.median(len(x.records) / x.duration_s for x in results), 1),
                     "p95_ms": round(statistics.median(_p95(x) for x in results), 1),
                     "errors": sum(len(x.errors) for x in results),
                     "rps_runs": [round(len(x.records) / x.duration_s, 1) for x in results]}
    out["ratio"] = round(out["app"]["rps"] / out["engine"]["rps"], 2) if out["engine"]["rps"] else None
    # the same ratio round by round (each app run against the engine run next to it)
    out["ratio_runs"] = [round(a / e, 2) for a, e in zip(out["app"]["rps_runs"], out["engine"]["rps_runs"])]
    out["target"] = TARGET_RATIO.get(kind)
    out["app_cpu_ms_per_answer"] = round(statistics.median(app_cpu), 2)
    answered = [rec for res in runs["app"] for rec in res.records]
    out["kept_share"] = round(sum(r.answer == "kept" for r in answered) / max(1, len(answered)), 2)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prefix", default="peerscope-")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--urls", type=int, default=60, help="URLs per endpoint")
    ap.add_argument("--only", nargs="*", choices=ENDPOINTS)
    ap.add_argument("--answers-mb", type=float, default=-1,
                    help="memory for kept answers per worker (web/answers.py; 0: none; -1: the served default)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not (1 <= args.clients <= 64 and 0 < args.duration <= 60 and 1 <= args.rounds <= 9):
        ap.error("--clients in 1..64, --duration in (0, 60], --rounds in 1..9")

    from embeddings.cpu import vector_features
    from peerscope.config import load_settings

    settings = replace(load_settings(), index_prefix=args.prefix)
    kinds = args.only or list(ENDPOINTS)
    urls = {k: v for k, v in latency.sample_urls(args.prefix, n=args.urls).items() if k in kinds}
    recorded = record_engine_requests(replace(settings, answer_cache_mb=0), urls)
    print(f"CPU: {vector_features()}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; "
          f"{args.clients} clients, {args.rounds} rounds of {args.duration:g} s per side; "
          f"gunicorn {args.workers} workers x {args.threads} threads; kept answers {args.answers_mb:g} MB", flush=True)
    env = harness.app_env(args.prefix, None)
    env.pop("PEERSCOPE_REDIS_URL", None)  # the project's own Redis
    env["PEERSCOPE_ANSWER_CACHE_MB"] = str(args.answers_mb)
    results = {}
    with tempfile.TemporaryDirectory(prefix="peerscope-app-vs-engine-") as tmp, \
            harness.served(env, workers=args.workers, threads=args.threads, log_path=Path(tmp) / "web.log") as web:
        # a just-started server is slow for a while: warm it on every endpoint first
        load.run_load(web.base_url, [load.Target(k, u) for k in kinds for u, _ in recorded[k]],
                      duration_s=10, concurrency=args.clients)
        for kind in kinds:
            r = results[kind] = measure(web.base_url, settings.opensearch_url.rstrip("/"), recorded[kind], kind,
                                        clients=args.clients, duration_s=args.duration, rounds=args.rounds,
                                        app_pids=web.worker_pids())
            print(f"{kind:<18} engine {r['engine']['rps']:>7} /s p95 {r['engine']['p95_ms']:>6} ms "
                  f"({r['engine_requests_per_answer']} requests)  app {r['app']['rps']:>7} /s p95 "
                  f"{r['app']['p95_ms']:>6} ms  ratio {r['ratio']} {r['ratio_runs']} (target {r['target']})  "
                  f"app CPU {r['app_cpu_ms_per_answer']} ms/answer, kept {r['kept_share']:.0%}  "
                  f"errors {r['engine']['errors'] + r['app']['errors']}", flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    if args.json:
        print(json.dumps({"prefix": args.prefix, "clients": args.clients, "workers": args.workers,
                          "threads": args.threads, "time": time.strftime("%Y-%m-%d %H:%M"), "results": results},
                         indent=2))
    return 1 if any(r["engine"]["errors"] or r["app"]["errors"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
