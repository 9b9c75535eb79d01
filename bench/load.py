"""Load generator: a mix of API and page URLs built from real ids, for a bounded time.

    python bench/load.py --base http://127.0.0.1:8000 --duration 60 --concurrency 4 [--rate 20]

Threads (one keep-alive HTTP connection each) pick URLs from a weighted mix: works and
researcher search, typeahead, single works and profiles, similar works, collaborator
recommendations, the search page, profile, work and graph pages. Ids, names and words come
from the running app itself (its /api), so every URL points at something that exists.
Prints requests per second, latency p50/p95/p99 and the error count (anything that is not
2xx, or no answer within the timeout). Stops by itself after --duration seconds or
--max-requests requests, whichever comes first.

Two "probe" URLs (`/api/works?size=1` and `/api/researchers?size=1`) report the totals a
client sees; `switch_report` checks that a reindex changes them atomically.
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote, urlencode, urlsplit

PROBES = {"probe_works": "/api/works?mode=keyword&size=1", "probe_researchers": "/api/researchers?size=1"}


@dataclass(frozen=True)
class Step:
    """One HTTP request of a target that is a sequence (e.g. the engine calls behind one app answer)."""
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class Target:
    kind: str
    path: str
    weight: float = 1.0
    steps: tuple[Step, ...] = ()  # when given: sent in order on one connection instead of GET path
    body: bytes | None = None  # a JSON body to POST (the request is a GET without one)


@dataclass
class Record:
    kind: str
    start: float  # seconds since the run began
    end: float
    status: int  # 0: no answer (connection error or timeout)
    error: str = ""
    value: int | None = None  # probes: the total they reported
    server_ms: float | None = None  # the app's own time (Server-Timing), without queueing
    answer: str | None = None  # the app's X-Answer header: "kept" (from memory) or "fresh" (stored)

    @property
    def latency_ms(self) -> float:
        return (self.end - self.start) * 1000

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 400


# ---------------------------------------------------------------- the URL mix


def _get_json(base: str, path: str, timeout: float = 30) -> dict:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"GET {path}: {resp.status} {body[:200]!r}")
        return json.loads(body)
    finally:
        conn.close()


def discover(base: str, works: int = 100) -> dict[str, list[str]]:
    """Real work ids, author ids and names, title words and topics from the app's own API."""
    found: dict[str, list[str]] = {"works": [], "authors": [], "names": [], "words": [], "topics": []}
    page, size = 1, 50
    while len(found["works"]) < works:
        data = _get_json(base, f"/api/works?mode=keyword&size={size}&page={page}")
        for w in data["results"]:
            found["works"].append(w["id"])
            for a in w.get("authors") or []:
                if a.get("id") and a["id"] not in found["authors"]:
                    found["authors"].append(a["id"])
                    found["names"].append(a["name"])
            found["words"] += [t for t in (w.get("title") or "").split() if len(t) > 5 and t.isalpha()][:2]
            found["topics"] += [t for t in w.get("topic_labels") or [] if t not in found["topics"]]
        if not data.get("next"):
            break
        page += 1
    if not found["works"] or not found["authors"]:
        raise RuntimeError(f"{base} serves no works: index something first")
    return found


def build_mix(found: dict[str, list[str]], *, hybrid_share: float = 0.0, seed: int = 0,
              per_kind: int = 40) -> list[Target]:
    """Weighted URLs: about 60 % API, 40 % pages; keyword search unless `hybrid_share` > 0."""
    rnd = random.Random(seed)

    def pick(key: str) -> list[str]:
        items = found[key] or ["x"]
        return [rnd.choice(items) for _ in range(per_kind)]

    def q(text: str) -> str:
        return quote(text, safe="")

    t: list[Target] = []
    for wid in pick("works"):
        t += [Target("api_work", f"/api/works/{q(wid)}", 1.0),
              Target("api_similar", f"/api/works/{q(wid)}/similar?size=5", 0.6),
              Target("page_work", f"/works/{q(wid)}", 0.8)]
    for rid in pick("authors"):
        t += [Target("api_researcher", f"/api/researchers/{q(rid)}", 1.0),
              Target("api_collaborators", f"/api/researchers/{q(rid)}/collaborators?size=5", 0.4),
              Target("page_profile", f"/researchers/{q(rid)}", 0.8),
              Target("page_explore", f"/explore?node=r:{q(rid)}", 0.3)]
    for name in pick("names"):
        t += [Target("api_people", "/api/researchers?" + urlencode({"q": name}), 1.0),
              Target("api_autocomplete", "/api/researchers/autocomplete?" + urlencode({"q": name[:4]}), 0.8)]
    for word in pick("words"):
        t += [Target("api_works_kw", "/api/works?" + urlencode({"q": word, "mode": "keyword"}), 1.2),
              Target("page_search", "/search?" + urlencode({"q": word, "mode": "keyword"}), 0.8)]
        if hybrid_share > 0:
            t.append(Target("api_works_hybrid", "/api/works?" + urlencode({"q": word}), hybrid_share * 12))
    if found["topics"]:
        for topic in pick("topics"):
            t.append(Target("page_topic", "/search?" + urlencode({"topic": topic, "mode": "keyword"}), 0.3))
    t += [Target("page_home", "/", 0.2 * per_kind / 10)]
    return t


def probe_targets(weight: float) -> list[Target]:
    return [Target(kind, path, weight) for kind, path in PROBES.items()]


# ---------------------------------------------------------------- running


@dataclass
class LoadResult:
    records: list[Record]
    duration_s: float
    concurrency: int

    def latencies(self, kind: str | None = None) -> list[float]:
        return sorted(r.latency_ms for r in self.records if r.status and (kind is None or r.kind == kind))

    @staticmethod
    def pct(values: list[float], p: float) -> float:
        if not values:
            return float("nan")
        k = min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))  # nearest rank
        return values[k]

    def since(self, t: float) -> "LoadResult":
        """The requests that started at or after `t` seconds into the run."""
        kept = [r for r in self.records if r.start >= t]
        return LoadResult(kept, max(0.001, self.duration_s - t), self.concurrency)

    @property
    def errors(self) -> list[Record]:
        return [r for r in self.records if not r.ok]

    def summary(self) -> dict:
        lat = self.latencies()
        by_kind = defaultdict(list)
        for r in self.records:
            by_kind[r.kind].append(r)
        return {
            "requests": len(self.records),
            "duration_s": round(self.duration_s, 1),
            "concurrency": self.concurrency,
            "rps": round(len(self.records) / self.duration_s, 2) if self.duration_s else 0,
            "p50_ms": round(self.pct(lat, 50), 1),
            "p95_ms": round(self.pct(lat, 95), 1),
            "p99_ms": round(self.pct(lat, 99), 1),
            "max_ms": round(lat[-1], 1) if lat else None,
            "errors": len(self.errors),
            "error_kinds": dict(Counter(f"{r.kind}:{r.status or r.error}" for r in self.errors).most_common(10)),
            "by_kind": {k: {"n": len(v), "p95_ms": round(self.pct(sorted(x.latency_ms for x in v), 95), 1)}
                        for k, v in sorted(by_kind.items())},
        }

    def per_minute(self, window_s: float = 60) -> list[dict]:
        """p50/p95 and throughput for each window of the run (drift over a soak)."""
        buckets: dict[int, list[Record]] = defaultdict(list)
        for r in self.records:
            buckets[int(r.start // window_s)].append(r)
        out = []
        for i in sorted(buckets):
            rs = buckets[i]
            lat = sorted(r.latency_ms for r in rs if r.status)
            out.append({"minute": i + 1, "requests": len(rs), "rps": round(len(rs) / window_s, 2),
                        "p50_ms": round(self.pct(lat, 50), 1), "p95_ms": round(self.pct(lat, 95), 1),
                        "errors": sum(1 for r in rs if not r.ok)})
        return out


def server_ms(header: str | None) -> float | None:
    """The `app;dur=12.3` part of a Server-Timing header, in ms."""
    for part in (header or "").split(","):
        name, _, params = part.strip().partition(";")
        if name == "app" and params.startswith("dur="):
            try:
                return float(params[4:])
            except ValueError:
                return None
    return None


class _Client:
    """One keep-alive connection; reconnects after any failure."""

    def __init__(self, base: str, timeout: float):
        parts = urlsplit(base)
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.answer: str | None = None  # X-Answer of the last answer

    def get(self, path: str) -> tuple[int, bytes, float | None]:
        return self.send("GET", path)

    def send(self, method: str, path: str, body: bytes | None = None,
             content_type: str | None = None) -> tuple[int, bytes, float | None]:
        headers = {"Accept": "text/html,application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                body = resp.read()
                self.answer = resp.getheader("X-Answer")
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return resp.status, body, server_ms(resp.getheader("Server-Timing"))
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                # a keep-alive connection the server closed between requests: retry once on a new one
                self.close()
                if attempt:
                    raise exc
            except Exception:
                self.close()
                raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def run_load(base: str, targets: list[Target], *, duration_s: float, concurrency: int = 4,
             rate: float | None = None, max_requests: int | None = None, timeout: float = 15.0,
             seed: int = 1, stop: threading.Event | None = None,
             on_record: Callable[[Record], None] | None = None) -> LoadResult:
    """Hit `targets` from `concurrency` threads until `duration_s` passes, `max_requests` are
    sent or `stop` is set. `rate` caps the total requests per second (None: as fast as answered)."""
    if duration_s <= 0 or duration_s > 24 * 3600:
        raise ValueError("duration_s must be in (0, 86400]")
    stop = stop or threading.Event()
    records: list[Record] = []
    lock = threading.Lock()
    sent = [0]
    weights = [t.weight for t in targets]
    t0 = time.monotonic()
    deadline = t0 + duration_s
    interval = concurrency / rate if rate else 0.0

    def worker(i: int) -> None:
        rnd = random.Random(seed * 1000 + i)
        client = _Client(base, timeout)
        next_at = t0 + rnd.random() * interval
        try:
            while not stop.is_set():
                now = time.monotonic()
                if now >= deadline:
                    break
                if interval:
                    if next_at > now:
                        stop.wait(min(next_at - now, deadline - now))
                        continue
                    next_at = max(next_at + interval, now - interval)  # no bursts to catch up
                with lock:
                    if max_requests is not None and sent[0] >= max_requests:
                        break
                    sent[0] += 1
                target = rnd.choices(targets, weights)[0]
                start = time.monotonic()
                status, error, value, app_ms = 0, "", None, None
                try:
                    if target.steps:
                        for step in target.steps:  # the sequence fails at its first failing step
                            status, body, app_ms = client.send(step.method, step.path, step.body, step.content_type)
                            if not 200 <= status < 300:
                                break
                    elif target.body is not None:
                        status, body, app_ms = client.send("POST", target.path, target.body, "application/json")
                    else:
                        status, body, app_ms = client.get(target.path)
                    if target.kind.startswith("probe_") and status == 200:
                        value = json.loads(body).get("total")
                except TimeoutError:
                    error = "timeout"
                except (OSError, http.client.HTTPException, ValueError) as exc:
                    error = type(exc).__name__
                rec = Record(target.kind, start - t0, time.monotonic() - t0, status, error, value, app_ms,
                             client.answer if status else None)
                with lock:
                    records.append(rec)
                if on_record:
                    on_record(rec)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True, name=f"load-{i}") for i in range(concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=duration_s + timeout + 30)
    stop.set()
    elapsed = time.monotonic() - t0
    records.sort(key=lambda r: r.start)
    return LoadResult(records, elapsed, concurrency)


# ---------------------------------------------------------------- atomic switch


def switch_report(result: LoadResult, kind: str, old: int, new: int) -> dict:
    """How the total seen by `kind` probes went from `old` to `new`.

    Atomic means: every probe answered with old or new (never empty, never another
    number), and no probe that started after some probe had already seen `new` saw `old`.
    """
    probes = [r for r in result.records if r.kind == kind and r.ok]
    values = Counter(r.value for r in probes)
    first_new_end = min((r.end for r in probes if r.value == new), default=None)
    stale_after_new = [r for r in probes if r.value == old and first_new_end is not None and r.start > first_new_end]
    last_old_end = max((r.end for r in probes if r.value == old), default=None)
    return {
        "probes": len(probes),
        "values": dict(values),
        "other_values": sum(n for v, n in values.items() if v not in (old, new)),
        "old_after_new": len(stale_after_new),
        "switched": first_new_end is not None,
        "switch_at_s": round(first_new_end, 2) if first_new_end is not None else None,
        "last_old_at_s": round(last_old_end, 2) if last_old_end is not None else None,
        "atomic": bool(probes) and all(v in (old, new) for v in values) and not stale_after_new,
    }


def format_summary(s: dict) -> str:
    return (f"{s['requests']} requests in {s['duration_s']} s ({s['concurrency']} clients): "
            f"{s['rps']} req/s, p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, p99 {s['p99_ms']} ms, "
            f"errors {s['errors']}" + (f" {s['error_kinds']}" if s["errors"] else ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    ap.add_argument("--duration", type=float, default=30, help="seconds (bounded run)")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--rate", type=float, default=None, help="total requests per second (default: unpaced)")
    ap.add_argument("--max-requests", type=int, default=None)
    ap.add_argument("--hybrid-share", type=float, default=0.0, help="share of hybrid (model-backed) works searches")
    ap.add_argument("--timeout", type=float, default=15.0)
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = ap.parse_args(argv)
    targets = build_mix(discover(args.base), hybrid_share=args.hybrid_share) + probe_targets(1.0)
    result = run_load(args.base, targets, duration_s=args.duration, concurrency=args.concurrency,
                      rate=args.rate, max_requests=args.max_requests, timeout=args.timeout)
    s = result.summary()
    print(json.dumps(s, indent=2) if args.json else format_summary(s))
    return 1 if s["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
