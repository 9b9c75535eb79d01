"""A queued build shared by N RQ workers: wall time with 1 and 2 worker processes on one corpus.

    python bench/parallel_build.py [--sample 3000] [--workers 1 2] [--cold] [--kill-one]

For each worker count, on a private Redis (so no other worker takes the jobs) and a fresh
prefix: `peerscope index --queue --sample N --fresh` (one job per collection file, then the
aggregation job that depends on all of them), then N `peerscope worker` processes until the
aggregation job has finished. Reports the wall time from the enqueue to the alias swap, the
time of the file jobs and which worker ran each, the aggregation job's own time, that it
started only after the last file job ended, and the build's reconciliation.

--cold gives each run an empty embedding cache (the exported model is shared), so that the
embedding, which the file jobs do and which parallelises, is measured; without it the vectors
come from the cache (a warm build). --kill-one runs two workers and SIGKILLs the first one seen
running a file job (with its work horse): the other worker must retry that job by itself (RQ finds it
abandoned once its heartbeat expires) and the build must end with the same counts as the run
without a kill. The engine is PEERSCOPE_OPENSEARCH_URL (one node or a cluster). Every wait is
bounded; everything started here is stopped here.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

if not __package__:  # run as `python bench/parallel_build.py`: this checkout's packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness  # noqa: E402


def _jobs(conn, queue_name: str, prefix: str, build_id: str) -> list:
    from rq import Queue
    from rq.job import Job

    queue = Queue(queue_name, connection=conn)
    ids = set()
    for registry in (queue.finished_job_registry, queue.started_job_registry, queue.failed_job_registry,
                     queue.deferred_job_registry, queue.scheduled_job_registry):
        ids.update(registry.get_job_ids())
    ids.update(queue.get_job_ids())
    ids = sorted(i for i in ids if i.startswith(f"{prefix}{build_id}-"))
    return [j for j in Job.fetch_many(ids, connection=conn) if j is not None]


def run(workers: int, *, sample: int, work_dir: Path, cold: bool, kill_one: bool, timeout: float,
        log=print) -> dict:
    from redis import Redis

    from peerscope.config import load_settings
    from search import lifecycle
    from search.client import make_client

    work_dir.mkdir(parents=True, exist_ok=True)
    prefix = f"par-{workers}w-{uuid.uuid4().hex[:6]}-"
    out: dict = {"workers": workers, "sample": sample, "prefix": prefix, "cold": cold, "kill_one": kill_one}
    extra = {"PEERSCOPE_STATE_DIR": str(work_dir / f"state-{prefix}")}
    if cold:
        cache = work_dir / f"cache-{prefix}"
        (cache / "embeddings").mkdir(parents=True)
        real = load_settings().embedding_cache_dir / "models"
        if real.is_dir():
            (cache / "embeddings" / "models").symlink_to(real)
        extra["PEERSCOPE_CACHE_DIR"] = str(cache)
    settings = replace(load_settings(), index_prefix=prefix)
    procs = []
    with harness.private_redis(work_dir / f"redis-{prefix}") as redis_server:
        env = harness.app_env(prefix, redis_server.url, **extra)
        conn = Redis.from_url(redis_server.url)
        try:
            t0 = time.monotonic()
            enq = harness.peerscope(["index", "--queue", "--fresh", "--sample", str(sample)], env)
            build_id = enq.stdout.split("enqueued build ", 1)[1].split(":", 1)[0]
            final_id = f"{prefix}{build_id}-build"
            for i in range(workers):
                procs.append(harness.start_worker(env, burst=False, log_path=work_dir / f"worker-{prefix}{i}.log"))
            killed = None
            from rq.job import Job

            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                final = Job.fetch(final_id, connection=conn)
                status = final.get_status()
                if status in ("finished", "failed", "canceled", "stopped"):
                    break
                if kill_one and killed is None:
                    for proc in procs:
                        victim = _running_a_file_job(conn, settings.queue_name, prefix, build_id, proc.pid)
                        if victim:
                            harness.kill_group(proc)
                            killed = {"job": victim, "at_s": round(time.monotonic() - t0, 1)}
                            log(f"killed worker {proc.pid} while it ran {victim}")
                            break
                time.sleep(0.5)
            out["wall_s"] = round(time.monotonic() - t0, 1)
            out["status"] = status
            jobs = _jobs(conn, settings.queue_name, prefix, build_id)
            files = [j for j in jobs if j.id != final_id]
            final = next(j for j in jobs if j.id == final_id)
            out["file_jobs"] = [{"id": j.id.rsplit("-read-", 1)[1], "status": j.get_status(),
                                 "s": round((j.ended_at - j.started_at).total_seconds(), 1)
                                 if j.ended_at and j.started_at else None,
                                 "worker": j.worker_name, "retries_left": j.retries_left} for j in files]
            out["file_jobs_s"] = round(sum(f["s"] or 0 for f in out["file_jobs"]), 1)
            out["workers_used"] = len({f["worker"] for f in out["file_jobs"]})
            if final.started_at and final.ended_at:
                out["aggregation_s"] = round((final.ended_at - final.started_at).total_seconds(), 1)
                last_file_end = max(j.ended_at for j in files if j.ended_at)
                out["aggregation_waited_for_every_file"] = (
                    all(j.get_status() == "finished" for j in files) and final.started_at >= last_file_end)
            raw = conn.get(f"{prefix}last-build")
            report = json.loads(raw) if raw else {}
            out["report"] = {e: report.get(e) for e in ("works", "researchers")}
            out["timings_s"] = report.get("timings_s")
            out["reconciled"] = harness.reconciles(report)
            if killed:
                job = next(f for f in out["file_jobs"] if killed["job"].endswith(f["id"]))
                killed["job_status_after"] = job["status"]
                killed["retried_by"] = job["worker"]
                out["killed"] = killed
        finally:
            for p in procs:
                harness.stop_process(p, timeout=30)
            conn.close()
            lifecycle.drop_prefix(make_client(settings, timeout=60), settings)
    return out


def _running_a_file_job(conn, queue_name: str, prefix: str, build_id: str, worker_pid: int) -> str | None:
    """The id of a file job worker `worker_pid` is running, once one has run a few seconds."""
    from rq import Queue, Worker
    from rq.job import Job

    queue = Queue(queue_name, connection=conn)
    for w in Worker.all(queue=queue):
        if w.pid != worker_pid:
            continue
        job_id = w.get_current_job_id()
        if job_id and job_id.startswith(f"{prefix}{build_id}-read-"):
            job = Job.fetch(job_id, connection=conn)
            if job.started_at and (time.time() - job.started_at.timestamp()) > 3:
                return job_id
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sample", type=int, default=3000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--cold", action="store_true", help="empty embedding cache for each run")
    ap.add_argument("--kill-one", action="store_true", help="two workers, one SIGKILLed during a file job")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per build at most")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not 0 < args.sample <= 20000 or any(not 0 < w <= 8 for w in args.workers):
        ap.error("--sample must be in (0, 20000] and each --workers in (0, 8]")
    from peerscope.config import load_settings

    print(f"cpu: {harness.cpu_features()}; engine {load_settings().opensearch_url}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="peerscope-parallel-") as tmp:
        counts = [2] if args.kill_one else args.workers
        for n in counts:
            r = run(n, sample=args.sample, work_dir=Path(tmp), cold=args.cold, kill_one=args.kill_one,
                    timeout=args.timeout)
            results.append(r)
            print(f"{n} worker(s){' (one killed)' if args.kill_one else ''}: {r['status']} in {r['wall_s']} s; "
                  f"file jobs {r['file_jobs_s']} s in total over {r['workers_used']} worker(s), aggregation "
                  f"{r.get('aggregation_s')} s, waited for every file: {r.get('aggregation_waited_for_every_file')}; "
                  f"works {r['report']['works']}, reconciled: {r['reconciled']}", flush=True)
            if r.get("killed"):
                print(f"  killed: {r['killed']}", flush=True)
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    ok = all(r["status"] == "finished" and r["reconciled"] and r.get("aggregation_waited_for_every_file")
             for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
