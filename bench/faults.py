"""Engine faults while the app serves: OpenSearch stopped or frozen, Redis stopped.

    python bench/faults.py opensearch [--sample 60]   # the SECOND node (127.0.0.1:9201) only
    python bench/faults.py redis [--sample 30]        # a private redis-server on a free port
    python bench/faults.py cluster [--sample 300]     # the local 3-node cluster (9211-9213)

opensearch: indexes a small sample into the second node, serves the app on it with
gunicorn under light load, then (a) stops the node: the API must answer 503 JSON and pages
the friendly 503 page, every request within the request timeout, with more requests in
flight than gunicorn has threads; (b) freezes it (SIGSTOP: connections accepted, no answer)
for the same checks; (c) starts it again: the app must recover by itself (no restart).

redis: serves the app on the shared node's test prefix with its own Redis and the API rate
limit on; stops Redis: search, pages and the API keep answering 200 (the limit fails open),
`peerscope index --queue` fails with a clear message; then enqueues a build, stops Redis
(SIGTERM) and kills it (SIGKILL) in turn: after each restart the jobs are still queued, and
a worker runs them to a reconciled build.

cluster: indexes a sample into the local three-node cluster (`peerscope node start --nodes 3`,
started if it is not running and stopped again then), serves the app on all three nodes and
keeps 16 clients on it at a bounded rate throughout, while it (a) stops the node holding the
works primary: zero failed requests and the same results; (b) starts it again: green again,
and the app (not restarted) sends to it again; (c) freezes the node then holding the works
primary (SIGSTOP): zero failed requests, every answer within the request timeout; (d) stops
the node holding the researchers primary and runs a full build of a larger sample: it
completes with every index replicated on the two nodes left (or fails with a clear message
while the old alias keeps serving); then starts that node again.

The shared node on 9200 and the shared Redis on 6479 are never stopped. Prints the figures
and the checks; exits 1 when one fails.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

if not __package__:  # run as `python bench/faults.py`: this checkout's packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, load  # noqa: E402

REQUEST_TIMEOUT_S = 5.0  # Settings.request_timeout: the engine call's own bound
BURST = 24  # requests in flight at once during a fault: 3x gunicorn's 2 workers x 4 threads


def _timed_get(base: str, path: str, timeout: float = 60) -> dict:
    t0 = time.monotonic()
    status, body, headers = harness.http_get(base + path, timeout=timeout)
    return {"path": path, "status": status, "seconds": round(time.monotonic() - t0, 2), "body": body,
            "type": headers.get("Content-Type", "")}


def burst(base: str, paths: list[str], n: int = BURST) -> list[dict]:
    """`n` requests at once, cycling through `paths`."""
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(lambda i: _timed_get(base, paths[i % len(paths)]), range(n)))


def _all_ok(base: str, paths: list[str]) -> bool:
    """Every path answers 200 at once (several requests each, so that both gunicorn workers answer)."""
    return all(r["status"] == 200 for r in burst(base, paths, n=2 * len(paths)))


def _api_ok_503(r: dict) -> bool:
    if r["status"] != 503 or "application/json" not in r["type"]:
        return False
    err = json.loads(r["body"]).get("error", {})
    return err.get("code") in ("search_unavailable", "index_unavailable") and bool(err.get("message"))


def _page_ok_503(r: dict) -> bool:
    return r["status"] == 503 and "text/html" in r["type"] and b"Search is resting" in r["body"]


def _fault_figures(results: list[dict]) -> dict:
    return {"n": len(results), "statuses": sorted({r["status"] for r in results}),
            "max_s": max(r["seconds"] for r in results), "p50_s": sorted(r["seconds"] for r in results)[len(results) // 2]}


# ---------------------------------------------------------------- OpenSearch


def opensearch_faults(work_dir: Path, *, sample: int = 60, freeze_s: float = 12, log=print) -> dict:
    node = harness.SecondNode()
    prefix = f"rel-os-{uuid.uuid4().hex[:6]}-"
    out: dict = {"prefix": prefix, "node": node.url, "checks": {}}
    checks = out["checks"]
    out["node_start_s"] = round(node.start(), 1)
    env = harness.app_env(prefix, None, node.url, PEERSCOPE_STATE_DIR=str(work_dir / "state"))
    env.pop("PEERSCOPE_REDIS_URL", None)
    try:
        harness.peerscope(["index", "--sample", str(sample)], env, timeout=900)
        with harness.served(env, workers=2, log_path=work_dir / "web-os.log") as web:
            found = load.discover(web.base_url, works=20)
            wid, rid = found["works"][0], found["authors"][0]
            api = [f"/api/works?q=parsing&mode=keyword", f"/api/works/{wid}", f"/api/researchers/{rid}",
                   "/api/researchers?q=hu"]
            pages = ["/search?q=parsing&mode=keyword", f"/researchers/{rid}", f"/works/{wid}"]
            base = web.base_url
            before = burst(base, api + pages, n=len(api + pages))
            checks["up: all 200"] = all(r["status"] == 200 for r in before)
            targets = load.build_mix(found)
            with _Background(base, targets) as bg:
                # (a) node stopped
                out["node_stop_s"] = round(node.stop(), 1)
                down_api, down_pages = burst(base, api), burst(base, pages)
                out["stopped"] = {"api": _fault_figures(down_api), "pages": _fault_figures(down_pages)}
                checks["stopped: API 503 JSON"] = all(_api_ok_503(r) for r in down_api)
                checks["stopped: pages friendly 503"] = all(_page_ok_503(r) for r in down_pages)
                checks["stopped: every answer within the request timeout"] = (
                    max(r["seconds"] for r in down_api + down_pages) <= REQUEST_TIMEOUT_S)
                log(f"node stopped: API {out['stopped']['api']}, pages {out['stopped']['pages']}")

                # (c) restart: the same app recovers
                t0 = time.monotonic()
                node.start()
                healthy_s = time.monotonic() - t0
                recovered = harness.wait_for(lambda: _all_ok(base, api + pages), timeout=120, interval=0.2,
                                             what="recovery")
                out["restart"] = {"node_healthy_s": round(healthy_s, 1),
                                  "app_all_200_after_healthy_s": round(time.monotonic() - t0 - healthy_s, 2)}
                checks["restarted: all 200 without restarting the app"] = bool(recovered)
                log(f"node restarted: {out['restart']}")

                # (b) node frozen: accepts connections, never answers
                node.signal(signal.SIGSTOP)
                try:
                    t_frozen = time.monotonic()
                    frozen_api, frozen_pages = _both(base, api, pages)
                    out["frozen"] = {"api": _fault_figures(frozen_api), "pages": _fault_figures(frozen_pages)}
                    checks["frozen: API 503 JSON"] = all(_api_ok_503(r) for r in frozen_api)
                    checks["frozen: pages friendly 503"] = all(_page_ok_503(r) for r in frozen_pages)
                    # the first calls wait one engine timeout; then the client fails fast (503 at once)
                    checks["frozen: no hanging workers (every answer within 2 request timeouts)"] = (
                        max(r["seconds"] for r in frozen_api + frozen_pages) <= 2 * REQUEST_TIMEOUT_S)
                    time.sleep(max(0.0, freeze_s - (time.monotonic() - t_frozen)))
                finally:
                    node.signal(signal.SIGCONT)
                log(f"node frozen: {out['frozen']}")
                t0 = time.monotonic()
                # each gunicorn worker's client waits out its cool-down, then probes: all 200 within seconds
                thawed = harness.wait_for(lambda: _all_ok(base, api + pages), timeout=60, interval=0.2,
                                          what="recovery after the freeze")
                out["thawed_all_200_after_s"] = round(time.monotonic() - t0, 2)
                checks["thawed: all 200 without restarting the app"] = bool(thawed)
            res = bg.result
            out["load"] = res.summary()
            workers_alive = web.proc.poll() is None and len(web.worker_pids()) == 2
            checks["gunicorn: no worker timed out or died"] = workers_alive and b"WORKER TIMEOUT" not in (
                (work_dir / "web-os.log").read_bytes())
    finally:
        try:
            if node.healthy():
                from search import lifecycle
                from search.client import make_client
                from peerscope.config import load_settings

                s = replace(load_settings(), opensearch_url=node.url, index_prefix=prefix)
                lifecycle.drop_prefix(make_client(s), s)
        finally:
            node.stop()
    out["ok"] = all(checks.values())
    return out


def _both(base: str, api: list[str], pages: list[str]) -> tuple[list[dict], list[dict]]:
    """API and page requests in flight together."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        a = pool.submit(burst, base, api, BURST // 2)
        p = pool.submit(burst, base, pages, BURST // 2)
        return a.result(), p.result()


class _Background:
    """A light load through a fault (its errors are expected while the engine is away)."""

    def __init__(self, base, targets, concurrency: int = 2, rate: float = 6.0):
        self.stop = threading.Event()
        self.result = None
        self.thread = threading.Thread(target=lambda: setattr(self, "result", load.run_load(
            base, targets, duration_s=900, concurrency=concurrency, rate=rate, stop=self.stop, timeout=40)),
            daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=120)


# ---------------------------------------------------------------- the three-node cluster

CLUSTER_CLIENTS = 16
CLUSTER_RATE = 16.0  # requests/s in total: steady, and what the 2 shared cores carry beside the cluster


def _seen(body: bytes) -> object:
    """What a client sees of an answer, without timings: ids in order and totals."""
    data = json.loads(body)
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        return {"total": data.get("total"), "ids": [r.get("id") for r in data["results"]]}
    if isinstance(data, dict):
        return {k: data.get(k) for k in ("id", "title", "name", "works_count")}
    return data


def snapshot(base: str, paths: list[str]) -> dict[str, object]:
    out = {}
    for path in paths:
        status, body, _ = harness.http_get(base + path, timeout=30)
        out[path] = _seen(body) if status == 200 else f"HTTP {status}"
    return out


class _Phases:
    """The records of a background load, split into the phases of a run by when each request started."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: list[tuple[float, load.Record]] = []
        self.marks: list[tuple[str, float]] = []

    def on_record(self, rec: load.Record) -> None:
        with self.lock:
            self.records.append((time.monotonic() - (rec.end - rec.start), rec))

    def mark(self, name: str) -> None:
        self.marks.append((name, time.monotonic()))

    def summary(self) -> dict[str, dict]:
        out = {}
        ends = [t for _, t in self.marks[1:]] + [float("inf")]
        for (name, t0), t1 in zip(self.marks, ends):
            rs = [r for t, r in self.records if t0 <= t < t1]
            lat = sorted(r.latency_ms for r in rs if r.status)
            app = sorted(r.server_ms for r in rs if r.server_ms is not None)
            span = (min(t1, time.monotonic()) - t0) or 1
            out[name] = {"s": round(span, 1), "requests": len(rs), "rps": round(len(rs) / span, 1),
                         "errors": sum(1 for r in rs if not r.ok),
                         "error_kinds": dict(Counter(f"{r.kind}:{r.status or r.error}" for r in rs if not r.ok)),
                         "p50_ms": round(load.LoadResult.pct(lat, 50), 1) if lat else None,
                         "p95_ms": round(load.LoadResult.pct(lat, 95), 1) if lat else None,
                         "max_ms": round(lat[-1], 1) if lat else None,
                         # the app's own time (Server-Timing), without the wait for a gunicorn thread
                         "app_p95_ms": round(load.LoadResult.pct(app, 95), 1) if app else None,
                         "app_max_ms": round(app[-1], 1) if app else None}
        return out


def _primary_holder(cluster: harness.LocalCluster, prefix: str, entity: str) -> int:
    rows = [r for r in cluster.shards(f"{prefix}{entity}-*") if r["prirep"] == "p" and r["state"] == "STARTED"]
    return cluster.number_of(rows[0]["node"])


def _replicated(cluster: harness.LocalCluster, prefix: str) -> bool:
    """Every index of `prefix` has a started primary and a started replica, on two nodes."""
    rows = cluster.shards(f"{prefix}*")
    by_shard = {}
    for r in rows:
        by_shard.setdefault((r["index"], r["shard"]), []).append(r)
    return bool(by_shard) and all(
        sorted(c["prirep"] for c in copies if c["state"] == "STARTED") == ["p", "r"]
        and len({c["node"] for c in copies}) == 2 for copies in by_shard.values())


def _app_uses(node_url: str) -> bool:
    """The app keeps keep-alive connections to a node it sends to (our own probe is one more)."""
    status, body, _ = harness.http_get(node_url + "/_nodes/_local/stats/http", timeout=3)
    if status != 200:
        return False
    (stats,) = json.loads(body)["nodes"].values()
    return stats["http"]["current_open"] > 1


def cluster_faults(work_dir: Path, *, sample: int = 300, rebuild_sample: int = 400, freeze_s: float = 20,
                   observe_s: float = 20, clients: int = CLUSTER_CLIENTS, rate: float = CLUSTER_RATE,
                   log=print) -> dict:
    from peerscope.config import load_settings
    from search import lifecycle
    from search.client import make_client

    cluster = harness.LocalCluster()
    prefix = f"rel-cl-{uuid.uuid4().hex[:6]}-"
    out: dict = {"prefix": prefix, "nodes": cluster.url, "clients": clients, "rate": rate,
                 "cpu": harness.cpu_features(), "checks": {}}
    log(f"cpu: {out['cpu']}")
    checks = out["checks"]
    started_here = not cluster.running()
    if started_here:
        out["cluster_start_s"] = round(cluster.start(), 1)
    out["cluster_green_s"] = round(cluster.wait_green(timeout=300), 1)
    # answers computed by the engine each time: kept answers (web/answers.py) would hide a fault
    env = harness.app_env(prefix, None, cluster.url, PEERSCOPE_STATE_DIR=str(work_dir / "state"),
                          PEERSCOPE_ANSWER_CACHE_MB="0")
    env.pop("PEERSCOPE_REDIS_URL", None)
    settings = replace(load_settings(), opensearch_url=cluster.url, index_prefix=prefix)
    phases = _Phases()
    try:
        t0 = time.monotonic()
        harness.peerscope(["index", "--sample", str(sample)], env, timeout=900)
        out["build_s"] = round(time.monotonic() - t0, 1)
        checks["built: every index has a replica on another node"] = _replicated(cluster, prefix)
        with harness.served(env, workers=2, log_path=work_dir / "web-cluster.log") as web:
            base = web.base_url
            master_pid = web.proc.pid
            found = load.discover(base, works=40)
            wid, rid = found["works"][0], found["authors"][0]
            probes = ["/api/works?" + urlencode({"q": w, "mode": "keyword"}) for w in found["words"][:3]] + [
                "/api/researchers?" + urlencode({"q": found["names"][0].split()[-1]}), f"/api/works/{wid}",
                f"/api/works/{wid}/similar?size=5", f"/api/researchers/{rid}",
                f"/api/researchers/{rid}/collaborators?size=5", load.PROBES["probe_works"]]
            before = snapshot(base, probes)
            checks["up: every probe answered"] = all(not isinstance(v, str) for v in before.values())
            stop = threading.Event()
            targets = load.build_mix(found) + load.probe_targets(1.0)
            bg = threading.Thread(target=lambda: load.run_load(
                base, targets, duration_s=1800, concurrency=clients, rate=rate, stop=stop, timeout=30,
                on_record=phases.on_record), daemon=True)
            bg.start()
            try:
                phases.mark("all three up")
                time.sleep(observe_s / 2)

                # (a) a node stopped: the one holding the works primary
                victim = _primary_holder(cluster, prefix, "works")
                out["stopped_node"] = cluster.node_name(victim)
                out["stopped_was_cluster_manager"] = cluster.cluster_manager() == cluster.node_name(victim)
                phases.mark("one node stopped")
                out["stop_s"] = round(cluster.stop(only=victim), 1)
                time.sleep(observe_s)
                during = snapshot(base, probes)
                checks["stopped: the same results"] = during == before
                out["stopped_health"] = cluster.health().get("status")
                log(f"stopped {out['stopped_node']}: cluster {out['stopped_health']}, same results: {during == before}")

                # (b) started again: green, and the app sends to it again by itself
                phases.mark("node restarting")
                t1 = time.monotonic()
                cluster.start(only=victim)
                out["restart"] = {"in_cluster_s": round(time.monotonic() - t1, 1),
                                  "green_s": round(time.monotonic() - t1 + cluster.wait_green(timeout=300), 1)}
                phases.mark("node back")
                t2 = time.monotonic()
                back = harness.wait_for(lambda: _app_uses(cluster.hosts[victim - 1]), timeout=120, interval=0.5,
                                        what="the app sending to the restarted node")
                out["restart"]["app_uses_it_after_green_s"] = round(time.monotonic() - t2, 1)
                checks["restarted: green again"] = cluster.health().get("status") == "green"
                checks["restarted: the app sends to the node again without a restart"] = (
                    bool(back) and web.proc.pid == master_pid and web.proc.poll() is None)
                log(f"restarted {out['stopped_node']}: {out['restart']}")
                time.sleep(observe_s / 2)

                # (c) a node frozen (SIGSTOP): connections accepted, nothing answered
                frozen = _primary_holder(cluster, prefix, "works")
                out["frozen_node"] = cluster.node_name(frozen)
                out["frozen_was_cluster_manager"] = cluster.cluster_manager() == cluster.node_name(frozen)
                phases.mark("one node frozen")
                cluster.signal(frozen, signal.SIGSTOP)
                try:
                    time.sleep(freeze_s)
                    frozen_seen = snapshot(base, probes)
                finally:
                    cluster.signal(frozen, signal.SIGCONT)
                phases.mark("node thawed")
                checks["frozen: the same results"] = frozen_seen == before
                out["thawed_green_s"] = round(cluster.wait_green(timeout=300), 1)
                log(f"froze {out['frozen_node']} for {freeze_s} s; green {out['thawed_green_s']} s after the thaw")
                time.sleep(observe_s / 2)

                # (d) a full build while a node is down
                down = _primary_holder(cluster, prefix, "researchers")
                out["build_down_node"] = cluster.node_name(down)
                old_works = lifecycle.indexes_behind(make_client(settings, timeout=30), settings.alias("works"))
                phases.mark("build, one node down")
                cluster.stop(only=down)
                t3 = time.monotonic()
                built = harness.peerscope(["index", "--sample", str(rebuild_sample)], env, timeout=1200, check=False)
                out["build_while_down"] = {"exit": built.returncode, "s": round(time.monotonic() - t3, 1),
                                           "tail": (built.stdout + built.stderr).strip().splitlines()[-4:]}
                client = make_client(settings, timeout=30)
                now_works = lifecycle.indexes_behind(client, settings.alias("works"))
                total = client.count(index=settings.alias("works"))["count"]
                if built.returncode == 0:
                    checks["build with a node down: completed, new indexes served"] = (
                        now_works != old_works and total > before[load.PROBES["probe_works"]]["total"])
                    checks["build with a node down: every index replicated on the two nodes left"] = (
                        _replicated(cluster, prefix))
                else:
                    message = built.stderr.strip().splitlines()[-1] if built.stderr.strip() else ""
                    checks["build with a node down: failed with a clear message"] = (
                        message.startswith("error:") and "Traceback" not in built.stderr)
                    checks["build with a node down: the old alias keeps serving"] = now_works == old_works
                out["build_while_down"]["works_total"] = total
                log(f"build with {out['build_down_node']} down: {out['build_while_down']}")
                phases.mark("node restarting after the build")
                t4 = time.monotonic()
                cluster.start(only=down)
                out["after_build_green_s"] = round(time.monotonic() - t4 + cluster.wait_green(timeout=300), 1)
                phases.mark("all three up again")
                time.sleep(observe_s / 2)
                checks["end: green, every index with a replica"] = (
                    cluster.health().get("status") == "green" and _replicated(cluster, prefix))
            finally:
                stop.set()
                bg.join(timeout=120)
            out["phases"] = phases.summary()
            for name, ph in out["phases"].items():
                checks[f"load, {name}: zero failed requests"] = ph["errors"] == 0
            frozen_phase = out["phases"]["one node frozen"]
            # Each engine call of a view is bounded by the request timeout; what a client waits
            # beyond that is queueing for one of gunicorn's 8 threads (16 clients).
            checks["frozen: 95 % of the answers within the request timeout (app time)"] = (
                frozen_phase["app_p95_ms"] is not None and frozen_phase["app_p95_ms"] <= REQUEST_TIMEOUT_S * 1000)
            checks["frozen: answers kept coming (at least 3/4 of the rate)"] = frozen_phase["rps"] >= 0.75 * rate
            workers_alive = web.proc.poll() is None and len(web.worker_pids()) == 2
            checks["gunicorn: no worker timed out or died"] = workers_alive and b"WORKER TIMEOUT" not in (
                (work_dir / "web-cluster.log").read_bytes())
    finally:
        try:
            if cluster.health().get("number_of_nodes"):
                lifecycle.drop_prefix(make_client(settings, timeout=60), settings)
        finally:
            if started_here:
                cluster.stop()
    out["ok"] = all(checks.values())
    return out


# ---------------------------------------------------------------- Redis


def redis_faults(work_dir: Path, *, serve_prefix: str, sample: int = 30, log=print) -> dict:
    """`serve_prefix` must already be indexed on the shared node (e.g. the test sample or dev-)."""
    from redis import Redis
    from rq import Queue

    from search import lifecycle
    from search.client import make_client
    from peerscope.config import load_settings

    out: dict = {"checks": {}}
    checks = out["checks"]
    job_prefix = f"rel-rq-{uuid.uuid4().hex[:6]}-"
    redis_dir = work_dir / "redis"
    server = harness.RedisServer(harness.free_port(), redis_dir).start()
    settings = replace(load_settings(), index_prefix=job_prefix, redis_url=server.url, redis_url_given=True)
    client = make_client(settings, timeout=30)
    try:
        env = harness.app_env(serve_prefix, server.url, PEERSCOPE_STATE_DIR=str(work_dir / "state"),
                              rate_limit="100000/60")
        with harness.served(env, workers=2, log_path=work_dir / "web-redis.log") as web:
            base = web.base_url
            found = load.discover(base, works=20)
            wid, rid = found["works"][0], found["authors"][0]
            paths = ["/api/works?q=model&mode=keyword", f"/api/researchers/{rid}", "/api/researchers?q=li",
                     "/search?q=model&mode=keyword", f"/researchers/{rid}", f"/works/{wid}", "/"]
            up = [_timed_get(base, p) for p in paths]
            status, _, headers = harness.http_get(base + paths[0])
            checks["redis up: all 200, API counted by the rate limit"] = (
                all(r["status"] == 200 for r in up) and "X-RateLimit-Remaining" in headers)

            server.stop()
            down = [_timed_get(base, p) for p in paths for _ in range(3)]
            status, _, headers = harness.http_get(base + paths[0])
            out["redis_down"] = _fault_figures(down)
            checks["redis down: search, profiles, works and the API still 200"] = all(r["status"] == 200 for r in down)
            checks["redis down: the rate limit fails open (no counting)"] = status == 200 and (
                "X-RateLimit-Remaining" not in headers)
            checks["redis down: answers stay fast (< 2 s)"] = max(r["seconds"] for r in down) < 2
            queued = harness.peerscope(["index", "--queue", "--sample", str(sample)],
                                       harness.app_env(job_prefix, server.url), check=False)
            out["enqueue_while_down"] = {"exit": queued.returncode, "message": (queued.stderr or queued.stdout).strip()}
            checks["redis down: enqueueing fails with a clear message"] = (
                queued.returncode != 0 and "not reachable" in out["enqueue_while_down"]["message"]
                and "Traceback" not in queued.stderr)
            log(f"redis down: {out['redis_down']}; enqueue: {out['enqueue_while_down']}")

            server.start()
            checks["redis back: the rate limit counts again"] = harness.wait_for(
                lambda: "X-RateLimit-Remaining" in harness.http_get(base + paths[0])[2], timeout=30,
                what="rate limit back")

        # ---- jobs survive a Redis restart (SIGTERM) and a crash (SIGKILL, after the 1 s fsync)
        job_env = harness.app_env(job_prefix, server.url, PEERSCOPE_STATE_DIR=str(work_dir / "state"))
        for how in ("stop", "kill"):
            harness.peerscope(["index", "--queue", "--sample", str(sample)], job_env)
            conn = Redis.from_url(server.url)
            queue = Queue(settings.queue_name, connection=conn)
            before = sorted(j.decode() for j in conn.lrange(queue.key, 0, -1))
            deferred = queue.deferred_job_registry.get_job_ids()
            conn.close()
            if how == "kill":
                time.sleep(1.5)  # appendfsync everysec: what was written a second ago is on disk
                server.kill()
            else:
                server.stop()
            server.start()
            conn = Redis.from_url(server.url)
            queue = Queue(settings.queue_name, connection=conn)
            after = sorted(j.decode() for j in conn.lrange(queue.key, 0, -1))
            kept = after == before and bool(before) and queue.deferred_job_registry.get_job_ids() == deferred
            checks[f"redis {how}: queued jobs kept"] = kept
            t0 = time.monotonic()
            worker = harness.start_worker(job_env, log_path=work_dir / f"worker-{how}.log")
            worker.wait(timeout=900)
            raw = conn.get(f"{job_prefix}last-build")
            build = json.loads(raw) if raw else {}
            reconciled = harness.reconciles(build)
            checks[f"redis {how}: a worker ran them to a reconciled build"] = worker.returncode == 0 and reconciled
            out[f"after_{how}"] = {"queued": before, "deferred": deferred, "worker_s": round(time.monotonic() - t0, 1),
                                   "build": build}
            log(f"redis {how}: {len(before)} queued + {len(deferred)} deferred kept={kept}; worker ran them in "
                f"{out[f'after_{how}']['worker_s']} s; build {build.get('works')}")
            conn.delete(f"{job_prefix}last-build")
            conn.close()
    finally:
        server.stop()
        lifecycle.drop_prefix(client, settings)
    out["ok"] = all(checks.values())
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("which", choices=["opensearch", "redis", "cluster", "all"])
    ap.add_argument("--sample", type=int, default=None)
    ap.add_argument("--serve-prefix", default="dev-", help="indexed prefix the redis check serves")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory(prefix="peerscope-faults-") as tmp:
        say = lambda m: print(m, flush=True)  # noqa: E731
        if args.which in ("opensearch", "all"):
            results["opensearch"] = opensearch_faults(Path(tmp), sample=args.sample or 60, log=say)
        if args.which in ("cluster", "all"):
            results["cluster"] = cluster_faults(Path(tmp), sample=args.sample or 300, log=say)
        if args.which in ("redis", "all"):
            results["redis"] = redis_faults(Path(tmp), serve_prefix=args.serve_prefix, sample=args.sample or 30,
                                            log=say)
    for name, res in results.items():
        for check, ok in res["checks"].items():
            print(f"{'ok  ' if ok else 'FAIL'} [{name}] {check}")
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    return 0 if all(r["ok"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
