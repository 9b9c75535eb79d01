"""Full reindexes under load, and a worker killed in the middle of one.

    python bench/reindex_under_load.py [--first 300 --second 500 --third 600] [--json]

On its own index prefix, its own Redis (append-only, random port) and the web app served
by gunicorn (`peerscope serve`):

1. builds a first index of `--first` papers in-process;
2. starts the load generator, enqueues a full build of `--second` papers with
   `peerscope index --queue` and runs `peerscope worker --burst`: requests must all succeed
   and the works/researchers totals clients see must switch from old to new at once;
3. enqueues a build of `--third` papers and SIGKILLs the worker (with its work horse) as soon
   as the new, not yet aliased, indexes exist: the old indexes keep serving;
   `peerscope index --cleanup` must delete the half-built indexes and release the lock;
   a rerun must complete, and its counts reconcile (read = indexed + rejected).

The load runs through steps 2 and 3 without a pause. Prints the figures; exits 1 when a
check fails. Uses the warm embedding cache, so keep the samples within what was embedded before.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

if not __package__:  # run as `python bench/reindex_under_load.py`: this checkout's packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, load  # noqa: E402


PROBE_WEIGHT = 25.0  # about a fifth of the requests read the totals, to time the switch closely
TAIL_S = 8  # load keeps running this long after a build, to see the new totals


def _settings(prefix: str, redis_url: str, state_dir: Path):
    from peerscope.config import load_settings

    return replace(load_settings(), index_prefix=prefix, redis_url=redis_url, redis_url_given=True,
                   state_dir=state_dir)


def totals(base: str) -> tuple[int, int]:
    works = load._get_json(base, load.PROBES["probe_works"])["total"]
    people = load._get_json(base, load.PROBES["probe_researchers"])["total"]
    return works, people


class Background:
    """The load generator in a thread, until stopped (or its duration bound passes)."""

    def __init__(self, base: str, targets, *, concurrency: int, rate: float | None, max_s: float):
        self.t0 = time.monotonic()  # the load's clock starts within milliseconds of this
        self.stop = threading.Event()
        self.result: load.LoadResult | None = None
        self.thread = threading.Thread(target=self._run, args=(base, targets, concurrency, rate, max_s), daemon=True)

    def _run(self, base, targets, concurrency, rate, max_s):
        self.result = load.run_load(base, targets, duration_s=max_s, concurrency=concurrency, rate=rate,
                                    stop=self.stop, timeout=20)

    def __enter__(self):
        self.t0 = time.monotonic()
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.finish()

    def finish(self) -> load.LoadResult:
        self.stop.set()
        self.thread.join(timeout=60)
        return self.result


def last_build(conn, prefix: str) -> dict:
    raw = conn.get(f"{prefix}last-build")
    return json.loads(raw) if raw else {}


def run(work_dir: Path, *, first: int = 300, second: int = 500, third: int = 600, concurrency: int = 3,
        rate: float | None = None, kill: bool = True, prefix: str | None = None, log=print) -> dict:
    from redis import Redis

    from indexer.jobs import lock_key
    from search import lifecycle
    from search.client import make_client

    prefix = prefix or f"rel-{uuid.uuid4().hex[:8]}-"
    out: dict = {"prefix": prefix, "samples": [first, second, third], "checks": {}}
    checks = out["checks"]
    with harness.private_redis(work_dir / "redis") as redis_server:
        env = harness.app_env(prefix, redis_server.url, PEERSCOPE_STATE_DIR=str(work_dir / "state"))
        settings = _settings(prefix, redis_server.url, work_dir / "state")
        client = make_client(settings, timeout=30)
        conn = Redis.from_url(redis_server.url)
        try:
            t0 = time.monotonic()
            harness.peerscope(["index", "--sample", str(first)], env, timeout=900)
            out["first_build_s"] = round(time.monotonic() - t0, 1)
            log(f"first build ({first} papers, in-process): {out['first_build_s']} s")
            with harness.served(env, workers=2, log_path=work_dir / "web.log") as web:
                targets = load.build_mix(load.discover(web.base_url)) + load.probe_targets(PROBE_WEIGHT)
                before = totals(web.base_url)

                # ---- 2. an RQ reindex under load
                with Background(web.base_url, targets, concurrency=concurrency, rate=rate, max_s=1200) as bg:
                    time.sleep(3)
                    t0 = time.monotonic()
                    harness.peerscope(["index", "--queue", "--sample", str(second)], env)
                    worker = harness.start_worker(env, log_path=work_dir / "worker.log")
                    worker.wait(timeout=900)
                    out["rq_build_s"] = round(time.monotonic() - t0, 1)
                    time.sleep(TAIL_S)
                    result = bg.finish()
                after = totals(web.base_url)
                build = last_build(conn, prefix)
                out["reindex"] = {"load": result.summary(), "before": before, "after": after,
                                  "worker_exit": worker.returncode, "build": build,
                                  "works_switch": load.switch_report(result, "probe_works", before[0], after[0]),
                                  "researchers_switch": load.switch_report(result, "probe_researchers",
                                                                           before[1], after[1])}
                r = out["reindex"]
                checks["reindex: zero failed requests"] = r["load"]["errors"] == 0
                checks["reindex: worker exited 0"] = worker.returncode == 0
                checks["reindex: totals changed"] = after != before
                checks["reindex: works switch atomic"] = r["works_switch"]["atomic"] and r["works_switch"]["switched"]
                checks["reindex: researchers switch atomic"] = (r["researchers_switch"]["atomic"]
                                                                and r["researchers_switch"]["switched"])
                checks["reindex: counts reconcile"] = harness.reconciles(build)
                log(f"RQ reindex {second} papers under load: {out['rq_build_s']} s; "
                    + load.format_summary(r["load"]))
                log(f"  works {before[0]} -> {after[0]}: {r['works_switch']}; researchers {before[1]} -> {after[1]}: "
                    f"{r['researchers_switch']}")

                if kill:
                    out["kill"] = _kill_and_recover(web.base_url, targets, env, settings, client, conn, third,
                                                    concurrency, rate, work_dir, checks, log, lock_key, lifecycle)
        finally:
            lifecycle.drop_prefix(client, settings)
    out["ok"] = all(checks.values())
    return out


def _kill_and_recover(base, targets, env, settings, client, conn, third, concurrency, rate, work_dir, checks,
                      log, lock_key, lifecycle) -> dict:
    k: dict = {"attempts": []}
    with Background(base, targets, concurrency=concurrency, rate=rate, max_s=1500) as bg:
        time.sleep(2)
        # The kill must land between the creation of the new indexes and the alias swap. The
        # worker is frozen (SIGSTOP) the moment they appear; if the swap got through first (a
        # small build can finish within one poll), that build is let finish and another,
        # slightly larger one is tried.
        for attempt in range(3):
            sample = third + 40 * attempt
            before = totals(base)
            served_before = sorted(lifecycle.indexes_behind(client, settings.alias("works")))
            since = time.monotonic() - bg.t0
            harness.peerscope(["index", "--queue", "--sample", str(sample)], env)
            worker = harness.start_worker(env, log_path=work_dir / f"worker-killed-{attempt}.log")
            t0 = time.monotonic()
            half_built = harness.wait_for(
                lambda: lifecycle.orphans(client, settings) or (worker.poll() is not None and ["<finished first>"]),
                timeout=900, interval=0.05, what="half-built indexes")
            harness.freeze_group(worker)
            time.sleep(1)  # engine calls sent just before the freeze complete meanwhile
            swapped = sorted(lifecycle.indexes_behind(client, settings.alias("works"))) != served_before
            if "<finished first>" in half_built or swapped:
                harness.thaw_group(worker)
                worker.wait(timeout=900)
                k["attempts"].append({"sample": sample, "result": "the build finished before the kill"})
                continue
            harness.kill_group(worker)
            k["attempts"].append({"sample": sample, "result": "killed"})
            break
        third = sample
        k.update({"before": before, "killed_after_s": round(time.monotonic() - t0, 1), "half_built": half_built})
        checks["kill: worker killed during the index build"] = k["attempts"][-1]["result"] == "killed"
        time.sleep(5)  # the old indexes keep serving meanwhile
        k["after_kill"] = totals(base)
        k["lock_after_kill"] = (conn.get(lock_key(settings)) or b"").decode() or None
        checks["kill: old indexes keep serving"] = (
            k["after_kill"] == before
            and sorted(lifecycle.indexes_behind(client, settings.alias("works"))) == served_before)
        checks["kill: lock left behind"] = k["lock_after_kill"] is not None

        cleaned = harness.peerscope(["index", "--cleanup"], env, check=False)
        k["cleanup_output"] = cleaned.stdout.strip()
        k["orphans_after_cleanup"] = lifecycle.orphans(client, settings)
        k["lock_after_cleanup"] = (conn.get(lock_key(settings)) or b"").decode() or None
        checks["cleanup: exit 0"] = cleaned.returncode == 0
        checks["cleanup: half-built indexes deleted"] = not k["orphans_after_cleanup"]
        checks["cleanup: lock released"] = k["lock_after_cleanup"] is None
        log(f"killed the worker {k['killed_after_s']} s into the build; cleanup:\n  "
            + k["cleanup_output"].replace("\n", "\n  "))

        t0 = time.monotonic()
        harness.peerscope(["index", "--queue", "--sample", str(third)], env)
        worker = harness.start_worker(env, log_path=work_dir / "worker-rerun.log")
        worker.wait(timeout=900)
        k["rerun_s"] = round(time.monotonic() - t0, 1)
        time.sleep(TAIL_S)
        full = bg.finish()
        result = full.since(since)  # the atomic switch is judged over the last attempt's run
    after = totals(base)
    build = last_build(conn, settings.index_prefix)
    k.update({"after": after, "rerun_exit": worker.returncode, "build": build, "load": full.summary(),
              "works_switch": load.switch_report(result, "probe_works", before[0], after[0]),
              "researchers_switch": load.switch_report(result, "probe_researchers", before[1], after[1]),
              "orphans_at_end": lifecycle.orphans(client, settings)})
    checks["rerun: worker exited 0"] = worker.returncode == 0
    checks["rerun: counts reconcile"] = harness.reconciles(build)
    checks["rerun: no orphans left"] = not k["orphans_at_end"]
    checks["kill+rerun: zero failed requests"] = k["load"]["errors"] == 0
    checks["kill+rerun: works switch atomic"] = k["works_switch"]["atomic"] and after[0] != before[0]
    checks["kill+rerun: researchers switch atomic"] = k["researchers_switch"]["atomic"] and after[1] != before[1]
    log(f"rerun {third} papers: {k['rerun_s']} s; " + load.format_summary(k["load"]))
    log(f"  works {before[0]} -> {after[0]}: {k['works_switch']}")
    return k


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--first", type=int, default=300)
    ap.add_argument("--second", type=int, default=500)
    ap.add_argument("--third", type=int, default=600)
    ap.add_argument("--concurrency", type=int, default=3)
    ap.add_argument("--rate", type=float, default=None, help="total requests per second (default: unpaced)")
    ap.add_argument("--no-kill", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="peerscope-reindex-") as tmp:
        out = run(Path(tmp), first=args.first, second=args.second, third=args.third,
                  concurrency=args.concurrency, rate=args.rate, kill=not args.no_kill,
                  log=lambda m: print(m, flush=True))
    for name, ok in out["checks"].items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    if args.json:
        print(json.dumps(out, indent=2, default=str))
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
