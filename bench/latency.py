"""Latency per endpoint of the served app on the whole corpus, with concurrent clients.

    python bench/latency.py [--prefix peerscope-] [--clients 16] [--duration 20] [--rate 40] [--json]

Serves the app with `peerscope serve` (gunicorn, 2 workers x 4 threads, API rate limit off) on
the indexes of --prefix and drives one endpoint at a time with --clients concurrent clients
(keep-alive connections) for --duration seconds, after a warm-up of the server on all of them
and a short one per endpoint. URLs come from the
index itself: a random sample of works and of their authors (seed 0), typed names with one
typo for people search, four-letter prefixes for typeahead, three title words for hybrid
search, and for profiles also the most prolific researchers.

Two latencies per endpoint: `client` (what a client waits, queueing in the server included)
and `app` (the app's own time, from its Server-Timing header). With --rate the clients are
paced to that many requests per second in total (a busy but sustainable load); with --rate 0
they send as fast as answered, which measures capacity (req/s) and makes client latency
mostly queueing. Prints p50/p95/p99, throughput and errors per endpoint beside its target.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote, urlencode

if not __package__:  # run as `python bench/latency.py`: this checkout's packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, load  # noqa: E402

# p95 targets in ms (issue texts): server-side for the API, the profile page under 100 ms
TARGETS_MS = {"researcher_search": 50, "autocomplete": 20, "works_hybrid": 150, "similar": 150,
              "collaborators": 150, "profile_page": 100, "profile_page_prolific": 100}


def _typo(name: str, rnd: random.Random) -> str:
    """One edit inside the longest word, never its first letter (as people mistype)."""
    words = name.split()
    i = max(range(len(words)), key=lambda j: len(words[j]))
    w = words[i]
    if len(w) < 4:
        return name
    k = rnd.randrange(1, len(w))
    words[i] = w[:k] + w[k + 1:] if rnd.random() < 0.5 else w[:k] + rnd.choice("aeiou") + w[k:]
    return " ".join(words)


def sample_urls(prefix: str, n: int = 120, seed: int = 0, settings=None) -> dict[str, list[str]]:
    """Per endpoint, n URLs built from a random sample of the indexed works and people (on the
    engine of `settings`, by default the environment's)."""
    from dataclasses import replace

    from peerscope.config import load_settings
    from search.client import make_client

    settings = replace(settings or load_settings(), index_prefix=prefix)
    client = make_client(settings, timeout=60)
    rnd = random.Random(seed)
    works = client.search(index=settings.alias("works"), body={
        "size": n, "_source": ["id", "title", "authors"],
        "query": {"function_score": {"query": {"match_all": {}}, "random_score": {"seed": seed, "field": "_seq_no"}}},
    })["hits"]["hits"]
    people = [a for w in works for a in (w["_source"].get("authors") or [])[:1] if a.get("id")]
    prolific = client.search(index=settings.alias("researchers"), body={
        "size": 20, "_source": ["id", "works_count"], "sort": [{"works_count": "desc"}], "query": {"match_all": {}},
    })["hits"]["hits"]
    titles = [w["_source"]["title"] for w in works]

    def q(text: str) -> str:
        return quote(text, safe="")

    def words(title: str) -> str:
        ws = [t for t in title.split() if len(t) > 3 and t.isalpha()]
        return " ".join(rnd.sample(ws, min(3, len(ws)))) or title

    return {
        "researcher_search": ["/api/researchers?" + urlencode({"q": _typo(a["name"], rnd)}) for a in people],
        "autocomplete": ["/api/researchers/autocomplete?" + urlencode({"q": a["name"][:4]}) for a in people],
        "works_hybrid": ["/api/works?" + urlencode({"q": words(t), "mode": "hybrid"}) for t in titles],
        "similar": [f"/api/works/{q(w['_id'])}/similar?size=10" for w in works],
        "collaborators": [f"/api/researchers/{q(a['id'])}/collaborators?size=10" for a in people],
        "profile_page": [f"/researchers/{q(a['id'])}" for a in people],
        "profile_page_prolific": [f"/researchers/{q(h['_id'])}" for h in prolific],
        "_prolific": [f"{h['_id']} ({h['_source'].get('works_count')} works)" for h in prolific[:3]],
    }


def _pcts(values: list[float]) -> dict:
    values = sorted(v for v in values if v is not None)
    return {f"p{p}": round(load.LoadResult.pct(values, p), 1) for p in (50, 95, 99)}


def measure(base: str, kind: str, urls: list[str], *, clients: int, duration_s: float, rate: float | None) -> dict:
    targets = [load.Target(kind, u) for u in urls]
    load.run_load(base, targets, duration_s=min(5.0, duration_s), concurrency=clients, rate=rate)  # warm-up
    result = load.run_load(base, targets, duration_s=duration_s, concurrency=clients, rate=rate, timeout=30)
    ok = [r for r in result.records if r.ok]
    return {"requests": len(result.records), "rps": round(len(result.records) / result.duration_s, 1),
            "errors": len(result.errors), "client_ms": _pcts([r.latency_ms for r in ok]),
            "app_ms": _pcts([r.server_ms for r in ok]), "target_p95_ms": TARGETS_MS.get(kind)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prefix", default="peerscope-")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--rate", type=float, default=40, help="total requests/s (0: as fast as answered)")
    ap.add_argument("--only", nargs="*", help="endpoints to measure (default: all)")
    ap.add_argument("--answers-mb", type=float, default=0,
                    help="memory for kept answers per worker (default 0: every answer computed)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.clients < 1 or not 0 < args.duration <= 600:
        ap.error("--clients must be >= 1 and --duration in (0, 600]")
    urls = sample_urls(args.prefix)
    print(f"most prolific: {', '.join(urls.pop('_prolific'))}", flush=True)
    env = harness.app_env(args.prefix, None)
    env.pop("PEERSCOPE_REDIS_URL", None)  # the project's own Redis
    # the sample's URLs repeat within seconds: kept answers (web/answers.py) would answer them
    env["PEERSCOPE_ANSWER_CACHE_MB"] = str(args.answers_mb)
    out = {}
    with tempfile.TemporaryDirectory(prefix="peerscope-latency-") as tmp, \
            harness.served(env, workers=2, log_path=Path(tmp) / "web.log") as web:
        urls = {k: v for k, v in urls.items() if not args.only or k in args.only}
        # A just-started server is slow for a while whatever it serves (imports, first
        # connections, the engine's caches): warm it on every endpoint so that the first
        # endpoint measured does not carry the start alone.
        load.run_load(web.base_url, [load.Target(k, u) for k, us in urls.items() for u in us],
                      duration_s=min(15.0, 3 * args.duration), concurrency=args.clients, rate=args.rate or None)
        for kind, kind_urls in urls.items():
            out[kind] = measure(web.base_url, kind, kind_urls, clients=args.clients, duration_s=args.duration,
                                rate=args.rate or None)
            r = out[kind]
            print(f"{kind:<22} {r['requests']:>5} req {r['rps']:>6} req/s  "
                  f"app p50/p95/p99 {r['app_ms']['p50']}/{r['app_ms']['p95']}/{r['app_ms']['p99']} ms  "
                  f"client p50/p95/p99 {r['client_ms']['p50']}/{r['client_ms']['p95']}/{r['client_ms']['p99']} ms  "
                  f"errors {r['errors']}  target p95 {r['target_p95_ms']} ms", flush=True)
    if args.json:
        print(json.dumps({"prefix": args.prefix, "clients": args.clients, "rate": args.rate, "results": out}, indent=2))
    return 1 if any(r["errors"] for r in out.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
