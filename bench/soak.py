"""Soak: the load generator for a long, bounded time against the served app on indexed data.

    python bench/soak.py [--duration 600] [--rate 8] [--concurrency 4] [--prefix dev-] [--json]

Serves the app with `peerscope serve` (gunicorn, 2 workers; the API rate limit off so that
the soak measures the app) on the indexes of --prefix, starts an RQ worker (`peerscope
worker`) beside it, and runs the mixed API + page load at a modest paced rate. Reports
p50/p95 and throughput per minute (drift), the errors, and the resident memory (RSS) of the
gunicorn master and workers and of the RQ worker at the start and at the end. Without
--prefix it picks the alias with the most works among dev- and peerscope-.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

if not __package__:  # run as `python bench/soak.py`: this checkout's packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, load  # noqa: E402


def largest_prefix(candidates=("peerscope-", "dev-")) -> tuple[str, int]:
    from peerscope.config import load_settings
    from search.client import make_client

    client = make_client(load_settings(), timeout=30)
    best = ("", -1)
    for prefix in candidates:
        alias = f"{prefix}works"
        if client.indices.exists_alias(name=alias):
            n = client.count(index=alias)["count"]
            if n > best[1]:
                best = (prefix, n)
    if not best[0]:
        raise SystemExit(f"no works index under {candidates}: index something first")
    return best


def memory(web: harness.WebServer, worker) -> dict:
    pids = web.worker_pids()
    return {"gunicorn_master_mb": round(harness.rss_kb(web.proc.pid) / 1024, 1),
            "gunicorn_workers_mb": [round(harness.rss_kb(p) / 1024, 1) for p in pids],
            "rq_worker_mb": round(harness.rss_kb(worker.pid) / 1024, 1) if worker.poll() is None else None}


def soak(prefix: str, *, duration_s: float, rate: float, concurrency: int, work_dir: Path, log=print) -> dict:
    env = harness.app_env(prefix, None)
    env.pop("PEERSCOPE_REDIS_URL", None)  # the project's own Redis
    with harness.served(env, workers=2, log_path=work_dir / "web.log") as web:
        # a worker on its own queue name, so that it idles instead of taking anyone's jobs
        worker = harness.start_worker({**env, "PEERSCOPE_QUEUE": f"soak-{web.port}"}, burst=False,
                                      log_path=work_dir / "worker.log")
        try:
            targets = load.build_mix(load.discover(web.base_url)) + load.probe_targets(1.0)
            # one pass over the mix first, so that start-up costs are not counted as drift
            load.run_load(web.base_url, targets, duration_s=20, concurrency=concurrency, rate=rate)
            time.sleep(2)
            start_mem = memory(web, worker)
            log(f"soak: {duration_s:.0f} s at {rate} req/s on {prefix} ({web.base_url}); memory at start {start_mem}")
            minute_marks: list[dict] = []
            stop = threading.Event()

            def sample_memory():
                while not stop.wait(60):
                    minute_marks.append({"t_s": round(time.monotonic() - t0), **memory(web, worker)})

            t0 = time.monotonic()
            sampler = threading.Thread(target=sample_memory, daemon=True)
            sampler.start()
            result = load.run_load(web.base_url, targets, duration_s=duration_s, concurrency=concurrency, rate=rate,
                                   timeout=30)
            stop.set()
            end_mem = memory(web, worker)
        finally:
            harness.stop_process(worker)
    per_minute = result.per_minute()
    p95s = [m["p95_ms"] for m in per_minute if m["requests"] >= 10]
    return {"prefix": prefix, "rate": rate, "concurrency": concurrency, "summary": result.summary(),
            "per_minute": per_minute, "memory_start": start_mem, "memory_end": end_mem, "memory_by_minute": minute_marks,
            "p95_drift_ms": round(p95s[-1] - p95s[0], 1) if len(p95s) > 1 else None}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=600)
    ap.add_argument("--rate", type=float, default=8.0, help="total requests per second (modest: the CPU is shared)")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--prefix", help="index prefix (default: the largest of dev- and peerscope-)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    prefix = args.prefix or largest_prefix()[0]
    with tempfile.TemporaryDirectory(prefix="peerscope-soak-") as tmp:
        out = soak(prefix, duration_s=args.duration, rate=args.rate, concurrency=args.concurrency,
                   work_dir=Path(tmp), log=lambda m: print(m, flush=True))
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(load.format_summary(out["summary"]))
        print("minute  requests  p50 ms  p95 ms  errors")
        for m in out["per_minute"]:
            print(f"{m['minute']:>6}  {m['requests']:>8}  {m['p50_ms']:>6}  {m['p95_ms']:>6}  {m['errors']:>6}")
        print(f"p95 drift (last - first minute): {out['p95_drift_ms']} ms")
        print(f"memory at start: {out['memory_start']}\nmemory at end:   {out['memory_end']}")
    return 1 if out["summary"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
