"""How cost grows with the corpus: index size, build time and API latency at 1x, 2x, 4x a base.

    python bench/scaling.py [--base-sample 2000] [--factors 1 2 4] [--engines single cluster]
                            [--duration 4] [--rounds 3] [--rate 8] [--clients 16] [--json docs/scaling.json]
                            [--plot docs/scaling.png]

The base is a real warm build of `--base-sample` papers (`peerscope index --sample N --fresh`
under its own prefix on the single node; its step times give the part of a build that does
not touch the engine), or the indexes of an existing build (`--base-prefix`, e.g. the whole
corpus kept by `bench/index_corpus.py --keep --prefix benchwhole-`). A corpus of k times the base is the base plus k-1 synthetic copies of
it, written straight into fresh indexes with the build's own bulk writer (no re-embedding):
each copy has new ids (works, researchers and every reference between them: authors,
collaborators, work lists), the same texts lightly perturbed (8 % of the words of titles,
abstracts and recent titles replaced by words of the corpus; half of the family names with
one letter changed), and perturbed vectors (unit vectors plus noise, cosine about 0.97 to the
original). So each copy is a corpus of the same shape, and k copies are k times the works,
researchers, terms and graph.

For each engine (`single`: the shared node, PEERSCOPE_OPENSEARCH_URL's first address or
127.0.0.1:9200; `cluster`: the local 3-node cluster on 9211-9213, which must be running) and
each factor:
- build: create the indexes, bulk-write works and researchers together (as a build does),
  then finish (force merge to one segment, serving settings and replicas, the wait for the
  replicas) and swap the aliases: the engine's part of a warm build from empty, measured in
  wall time and in the CPU time of the engine's JVMs (which other work on the machine does not
  inflate, unless it uses the same node);
- size: documents, primary and total store, and the primary store by Lucene file kind
  (stored fields, which hold `_source` and so the vectors again; the vectors themselves; the
  HNSW graph; terms; doc values), per index;
- latency: `peerscope serve` (gunicorn, 2 workers x 4 threads) on an alias prefix of its
  own, one endpoint at a time, `--clients` keep-alive clients paced to `--rate` requests/s in
  total for `--duration` seconds after a one-second warm-up, p50/p95 of the app's own time
  (Server-Timing) and of the client's, for every API endpoint. The corpora of all factors are
  built first and kept side by side; the aliases are swapped from one factor to the next and
  the factors are measured in `--rounds` interleaved rounds (in a rotated order), so that the
  load other work puts on a shared machine falls on every factor alike instead of on whichever
  ran at a busy moment (the first version, one factor after the other, measured a 2x corpus
  slower than a 4x one).
The indexes are dropped at the end. Prints a table, writes the figures as JSON and, with
--plot, a PNG. Every wait is bounded; everything started here is stopped here.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

if not __package__:  # run as `python bench/scaling.py`: this checkout's packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, latency, load  # noqa: E402

SINGLE_URL = "http://127.0.0.1:9200"
BASE_PREFIX = "scale-base-"
WORD_SWAP = 0.08  # share of the words replaced in a copy's texts
NAME_CHANGE = 0.5  # share of the family names changed by one letter in a copy
VECTOR_NOISE = 0.25  # norm of the noise added to a copy's unit vectors (cosine about 0.97)
# Lucene file kinds of the primary store, as indices stats name them
FILE_KINDS = {"fdt": "stored fields (_source, with the vector again)", "vec": "vectors (flat)",
              "vex": "HNSW graph", "tim": "terms", "doc": "postings", "pos": "positions", "dvd": "doc values"}


# ---------------------------------------------------------------- the synthetic corpus


def read_base(client, settings) -> tuple[list[dict], list[dict]]:
    import numpy as np
    from opensearchpy import helpers

    out = []
    for name in ("works", "researchers"):
        docs = []
        for hit in helpers.scan(client, index=settings.alias(name), query={"query": {"match_all": {}}}, size=500,
                                request_timeout=120):
            doc = hit["_source"]
            if doc.get("embedding") is not None:
                doc["embedding"] = np.asarray(doc["embedding"], dtype=np.float32)
            docs.append(doc)
        out.append(docs)
    return out[0], out[1]


class Copier:
    """Copy `c` of the base: new ids everywhere, texts, names and vectors perturbed (seeded by copy)."""

    def __init__(self, works: list[dict], researchers: list[dict], seed: int = 0):
        self.works, self.researchers, self.seed = works, researchers, seed
        words = [w for d in works for w in re.findall(r"[A-Za-z]{4,}", (d.get("title") or "") + " "
                                                         + (d.get("abstract") or ""))]
        self.vocabulary = sorted(set(words)) or ["word"]

    @staticmethod
    def _id(value: str, c: int) -> str:
        return value if c == 0 else f"{value}~{c}"

    def _text(self, text, rnd: random.Random):
        if not text:
            return text
        return " ".join(rnd.choice(self.vocabulary) if rnd.random() < WORD_SWAP else w for w in text.split(" "))

    def _vector(self, v, rnd: random.Random):
        import numpy as np

        from indexer.write import vector_for_json

        if v is None:
            return None
        noise = np.random.default_rng(rnd.randrange(2 ** 32)).standard_normal(v.shape[0]).astype(np.float32)
        out = v + noise * (VECTOR_NOISE / math.sqrt(v.shape[0]))
        return vector_for_json(out / np.linalg.norm(out))

    def _names(self, c: int) -> dict[str, tuple[str, str]]:
        """Researcher id -> (family name, the copy's family name) for the names that change."""
        rnd = random.Random(f"{self.seed}-names-{c}")
        out = {}
        for r in self.researchers:
            last = r.get("last_name") or ""
            if c and len(last) > 3 and rnd.random() < NAME_CHANGE:
                i = rnd.randrange(1, len(last) - 1)
                out[r["id"]] = (last, last[:i] + rnd.choice("aeiouy") + last[i + 1:])
        return out

    def copy(self, c: int) -> tuple[list[dict], list[dict]]:
        return list(self.copy_works(c)), list(self.copy_researchers(c))

    def _rename(self, c: int):
        names = self._names(c)

        def rename(text, rid):
            if not text or rid not in names:
                return text
            old, new = names[rid]
            return text.replace(old, new)
        return rename

    def copy_works(self, c: int) -> Iterator[dict]:
        """The works of copy `c`, one at a time (a copy of the whole corpus does not fit twice)."""
        rename = self._rename(c)
        rnd = random.Random(f"{self.seed}-works-{c}")
        for w in self.works:
            d = dict(w)
            if c:
                d["id"] = self._id(w["id"], c)
                for key in ("doi", "url", "bibkey"):
                    if d.get(key):
                        d[key] = self._id(d[key], c)
                d["title"], d["abstract"] = self._text(w.get("title"), rnd), self._text(w.get("abstract"), rnd)
                d["authors"] = [{**a, "id": self._id(a["id"], c) if a.get("id") else a.get("id"),
                                 "name": rename(a.get("name"), a.get("id"))} for a in w.get("authors") or []]
                d["author_ids"] = [self._id(a, c) for a in w.get("author_ids") or []]
                # a version belongs to one work: a copy keeping the base's version ids would
                # answer to the base's ids (the first 4x runs' failed similar-to-a-set requests)
                d["version_ids"] = [self._id(v, c) for v in w.get("version_ids") or []]
                d["versions"] = [{**v, "id": self._id(v["id"], c)} if v.get("id") else v
                                 for v in w.get("versions") or []]
            d["embedding"] = self._vector(w.get("embedding"), rnd) if c else _plain(w.get("embedding"))
            yield d

    def copy_researchers(self, c: int) -> Iterator[dict]:
        rename = self._rename(c)
        rnd = random.Random(f"{self.seed}-researchers-{c}")
        for r in self.researchers:
            d = dict(r)
            if c:
                d["id"] = self._id(r["id"], c)
                for key in ("name", "last_name"):
                    d[key] = rename(r.get(key), r["id"])
                if r.get("variants"):
                    d["variants"] = [rename(v, r["id"]) for v in r["variants"]]
                d["collaborators"] = [{**x, "id": self._id(x["id"], c)} for x in r.get("collaborators") or []]
                d["collaborator_ids"] = [self._id(x, c) for x in r.get("collaborator_ids") or []]
                d["work_ids"] = [self._id(x, c) for x in r.get("work_ids") or []]
                if r.get("recent_titles"):
                    d["recent_titles"] = [self._text(t, rnd) for t in r["recent_titles"]]
                if r.get("orcid"):
                    d["orcid"] = None
                    d["has_orcid"] = False
            d["embedding"] = self._vector(r.get("embedding"), rnd) if c else _plain(r.get("embedding"))
            yield d


def _plain(v):
    from indexer.write import vector_for_json

    return None if v is None else vector_for_json(v)


# ---------------------------------------------------------------- building and measuring


def engine_url(engine: str) -> str:
    return SINGLE_URL if engine == "single" else harness.LocalCluster().url


def engine_pids(engine: str) -> list[int]:
    """The engine's JVMs on this machine (their CPU time is the build's cost, whatever else runs)."""
    from peerscope import cluster, node
    from peerscope.config import load_settings
    from peerscope.proc import read_pid

    settings = load_settings()
    if engine == "cluster":
        return [pid for m in cluster.members(replace(settings, opensearch_url=harness.LocalCluster().url))
                if (pid := m.pid())]
    pid = read_pid(node.node_paths(settings).pidfile)
    return [pid] if pid else []


def build(settings, copier: Copier, factor: int, log=print, pids: list[int] | None = None) -> dict:
    from indexer.write import bulk_index
    from search import lifecycle
    from search.client import make_client

    client = make_client(settings, timeout=120)
    lifecycle.drop_prefix(client, settings)
    rejects: list = []
    cpu0 = harness.cpu_seconds(pids or [])
    t0 = time.monotonic()
    steps: dict[str, float] = {}
    with lifecycle.building(client, settings, ("works", "researchers")) as new:
        steps["create"] = time.monotonic() - t0

        def works():
            for c in range(factor):
                yield from copier.copy_works(c)

        def researchers():
            for c in range(factor):
                yield from copier.copy_researchers(c)

        t1 = time.monotonic()
        with ThreadPoolExecutor(max_workers=2) as pool:
            fw = pool.submit(bulk_index, client, new["works"], works(), lambda i, e: rejects.append((i, e)))
            fr = pool.submit(bulk_index, client, new["researchers"], researchers(),
                             lambda i, e: rejects.append((i, e)))
            written = {"works": fw.result(), "researchers": fr.result()}
        steps["bulk writes"] = time.monotonic() - t1
        t2 = time.monotonic()
    steps["merge, replicas, swap"] = time.monotonic() - t2
    out = {"engine_build_s": round(time.monotonic() - t0, 1), "steps_s": {k: round(v, 1) for k, v in steps.items()},
           "written": written, "rejects": len(rejects)}
    out["docs_per_s"] = round(sum(written.values()) / steps["bulk writes"], 1)
    if pids:
        # the engine's CPU time for the build: its cost, however busy the shared machine was
        out["engine_cpu_s"] = round(harness.cpu_seconds(pids) - cpu0, 1)
    out["size"] = sizes(client, settings)
    return out


def sizes(client, settings) -> dict:
    stats = client.indices.stats(index=f"{settings.alias('works')},{settings.alias('researchers')}",
                                 metric="store,docs,segments", include_segment_file_sizes=True, request_timeout=60)
    out = {}
    for physical, s in stats["indices"].items():
        name = "works" if physical.startswith(settings.alias("works")) else "researchers"
        prim = s["primaries"]
        files = prim.get("segments", {}).get("file_sizes", {})
        docs = prim["docs"]["count"]
        # the store size in stats is cached for 10 s (index.store.stats_refresh_interval); the
        # segments' files are counted as they are
        primary = sum(f["size_in_bytes"] for f in files.values())
        total = sum(f["size_in_bytes"] for f in s["total"].get("segments", {}).get("file_sizes", {}).values())
        out[name] = {"docs": docs, "primary_bytes": primary, "total_bytes": total,
                     "bytes_per_doc": round(primary / max(1, docs)),
                     "files_bytes_per_doc": {k: round(files[k]["size_in_bytes"] / max(1, docs))
                                             for k in FILE_KINDS if k in files}}
    return out


def endpoint_targets(settings, n: int = 80, seed: int = 0) -> dict[str, list[load.Target]]:
    """Every API endpoint, URLs from a random sample of the indexes (latency.sample_urls and more)."""
    urls = latency.sample_urls(settings.index_prefix, n=n, seed=seed, settings=settings)
    urls.pop("_prolific", None)
    out = {k: [load.Target(k, u) for u in v] for k, v in urls.items() if not k.startswith("profile_page")}
    # ids as the URLs carry them, percent-encoded ("arxiv%3A2503.16063"): decoded for a JSON body
    works = [u.split("/api/works/", 1)[1].split("/similar", 1)[0] for u in urls["similar"]]
    people = [u.split("/api/researchers/", 1)[1].split("/collaborators", 1)[0] for u in urls["collaborators"]]
    words = [re.sub(r"^.*q=([^&]*).*$", r"\1", u) for u in urls["works_hybrid"]]
    out["works_keyword"] = [load.Target("works_keyword", f"/api/works?q={w}&mode=keyword") for w in words]
    out["work"] = [load.Target("work", f"/api/works/{w}") for w in works]
    out["researcher"] = [load.Target("researcher", f"/api/researchers/{p}") for p in people]
    out["similar_to_set"] = [load.Target("similar_to_set", "/api/works/similar", body=json.dumps(
        {"positive": [unquote(works[i]), unquote(works[(i + 1) % len(works)])], "size": 10}).encode())
        for i in range(len(works))]
    out["graph"] = [load.Target("graph", f"/api/graph/researchers/{p}") for p in people]
    return out


def _pct(values: list[float], p: float) -> float | None:
    values = sorted(v for v in values if v is not None)
    return round(load.LoadResult.pct(values, p), 1) if values else None


def measure_interleaved(engine_settings, built: dict[str, dict[str, str]], work_dir: Path, *, clients: int,
                        rate: float, duration_s: float, rounds: int, log=print) -> dict[str, dict]:
    """p50/p95 per factor and endpoint; `built` maps a factor to its physical indexes."""
    from search import lifecycle
    from search.client import make_client

    live = replace(engine_settings, index_prefix=engine_settings.index_prefix + "live-")
    client = make_client(live, timeout=60)
    factors = list(built)
    targets = {f: endpoint_targets(replace(engine_settings, index_prefix=built[f]["prefix"])) for f in factors}
    kinds = list(targets[factors[0]])
    seen: dict[tuple[str, str], list] = {(f, k): [] for f in factors for k in kinds}
    errors: dict[tuple[str, str], Counter] = {(f, k): Counter() for f in factors for k in kinds}
    per_round: dict[tuple[str, str], list] = {(f, k): [] for f in factors for k in kinds}
    lifecycle.swap_aliases(client, live, {n: built[factors[0]][n] for n in ("works", "researchers")}, drop_old=False)
    # computed answers only: kept answers (web/answers.py) would measure a memory lookup
    env = harness.app_env(live.index_prefix, None, live.opensearch_url, PEERSCOPE_ANSWER_CACHE_MB="0")
    env.pop("PEERSCOPE_REDIS_URL", None)
    with harness.served(env, workers=2, log_path=work_dir / f"web-{live.index_prefix}.log") as web:
        for r in range(rounds + 1):  # round 0 warms the server and the engine on every factor
            order = factors[r % len(factors):] + factors[:r % len(factors)]
            for f in order:
                lifecycle.swap_aliases(client, live, {n: built[f][n] for n in ("works", "researchers")},
                                       drop_old=False)
                if r == 0:
                    every = [t for ts in targets[f].values() for t in ts]
                    load.run_load(web.base_url, every, duration_s=max(5.0, duration_s), concurrency=clients,
                                  rate=rate)
                    continue
                for kind in kinds:
                    ts = targets[f][kind]
                    load.run_load(web.base_url, ts, duration_s=1, concurrency=clients, rate=rate)
                    res = load.run_load(web.base_url, ts, duration_s=duration_s, concurrency=clients, rate=rate,
                                        timeout=30)
                    ok = [x for x in res.records if x.ok]
                    seen[(f, kind)] += ok
                    per_round[(f, kind)].append((_pct([x.server_ms for x in ok], 50),
                                                 _pct([x.server_ms for x in ok], 95)))
                    errors[(f, kind)].update(f"HTTP {x.status}" if x.status else x.error for x in res.errors)
            if r:
                log(f"    round {r} of {rounds} done ({time.strftime('%H:%M:%S')}, load average "
                    f"{Path('/proc/loadavg').read_text().split()[0]})")
    out: dict[str, dict] = {}
    for f in factors:
        out[f] = {}
        for kind in kinds:
            rs = seen[(f, kind)]
            failed = errors[(f, kind)]
            out[f][kind] = {"requests": len(rs) + failed.total(), "errors": failed.total(),
                            "error_kinds": dict(failed.most_common()),
                            "app_p50_ms": _pct([x.server_ms for x in rs], 50),
                            "app_p95_ms": _pct([x.server_ms for x in rs], 95),
                            "client_p50_ms": _pct([x.latency_ms for x in rs], 50),
                            "client_p95_ms": _pct([x.latency_ms for x in rs], 95)}
            # Other work only ever adds time: the round with the lowest median is the closest to the
            # endpoint's own cost on this machine (its p50 and p95 are what the curves use).
            best = min((r for r in per_round[(f, kind)] if r[0] is not None), default=(None, None))
            out[f][kind].update(best_p50_ms=best[0], best_p95_ms=best[1], rounds=per_round[(f, kind)])
            x = out[f][kind]
            log(f"    {f}x {kind:<18} app p50/p95 {x['app_p50_ms']}/{x['app_p95_ms']} ms (best round "
                f"{x['best_p50_ms']}/{x['best_p95_ms']}), client p95 {x['client_p95_ms']} ms, {x['requests']} "
                f"requests, errors {x['errors']}" + (f" {x['error_kinds']}" if x["errors"] else ""))
    return out


def base_build(sample: int, log=print) -> dict:
    """A real warm build of the base (its step times: the part of a build outside the engine)."""
    env = harness.base_env(PEERSCOPE_OPENSEARCH_URL=SINGLE_URL)
    t0 = time.monotonic()
    proc = harness.peerscope(["index", "--sample", str(sample), "--fresh", "--prefix", BASE_PREFIX], env,
                             timeout=3600)
    out = {"sample": sample, "wall_s": round(time.monotonic() - t0, 1)}
    for line in proc.stdout.splitlines():
        if line.startswith("time per step: "):
            out["steps_s"] = {k.rsplit(" ", 2)[0]: float(k.rsplit(" ", 2)[1])
                              for k in line[len("time per step: "):].split(", ")}
        m = re.match(r"(works|researchers): read (\d+) = indexed (\d+)", line)
        if m:
            out[m.group(1)] = int(m.group(3))
    log(f"base build: {out}")
    return out


# ---------------------------------------------------------------- report


def table(results: dict) -> str:
    rows = ["| engine | factor | works | researchers | primary store MiB | total MiB | bytes/work | bytes/researcher "
            "| engine build s | engine CPU s | docs/s |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for engine, by_factor in results["runs"].items():
        for factor, r in by_factor.items():
            s = r["build"]["size"]
            prim = (s["works"]["primary_bytes"] + s["researchers"]["primary_bytes"]) / 2 ** 20
            tot = (s["works"]["total_bytes"] + s["researchers"]["total_bytes"]) / 2 ** 20
            rows.append(f"| {engine} | {factor}x | {s['works']['docs']:,} | {s['researchers']['docs']:,} | "
                        f"{prim:.1f} | {tot:.1f} | {s['works']['bytes_per_doc']:,} | "
                        f"{s['researchers']['bytes_per_doc']:,} | {r['build']['engine_build_s']} | "
                        f"{r['build'].get('engine_cpu_s', '')} | {r['build']['docs_per_s']} |")
    kinds = sorted({k for by_factor in results["runs"].values() for r in by_factor.values()
                    for k in r.get("latency", {})})
    if not kinds:
        return "\n".join(rows)
    rows += ["", "| endpoint (app ms, best round) | " + " | ".join(f"{e} {f}x p50 / p95" for e, bf in results["runs"].items()
                                                               for f in bf)
             + " |", "|---|" + "---|" * sum(len(bf) for bf in results["runs"].values())]
    for kind in kinds:
        cells = []
        for by_factor in results["runs"].values():
            for r in by_factor.values():
                x = r.get("latency", {}).get(kind, {})
                cells.append(f"{x.get('best_p50_ms')} / {x.get('best_p95_ms')}")
        rows.append(f"| {kind} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 5))
    styles = {"single": "-o", "cluster": "--s"}
    for engine, by_factor in results["runs"].items():
        fs = [int(f) for f in by_factor]
        works = [by_factor[f]["build"]["size"]["works"]["docs"] for f in by_factor]
        prim = [(r["build"]["size"]["works"]["primary_bytes"] + r["build"]["size"]["researchers"]["primary_bytes"])
                / 2 ** 20 for r in by_factor.values()]
        total = [(r["build"]["size"]["works"]["total_bytes"] + r["build"]["size"]["researchers"]["total_bytes"])
                 / 2 ** 20 for r in by_factor.values()]
        axes[0].plot(works, prim, styles[engine], label=f"{engine}: primaries")
        if engine == "cluster":
            axes[0].plot(works, total, ":s", label="cluster: with replicas")
        axes[1].plot(works, [r["build"]["engine_build_s"] for r in by_factor.values()], styles[engine],
                     label=f"{engine}: wall")
        cpu = results.get("build_cpu", {}).get(engine) or {
            f: r["build"]["engine_cpu_s"] for f, r in by_factor.items() if "engine_cpu_s" in r["build"]}
        if cpu:
            cw = [results.get("build_cpu_works", {}).get(engine, {}).get(f) or by_factor[f]["build"]["size"]["works"][
                "docs"] for f in cpu]
            axes[1].plot(cw, list(cpu.values()), ":" + styles[engine][-1], label=f"{engine}: engine CPU")
        colours = plt.get_cmap("tab10")
        for i, kind in enumerate(sorted(next(iter(by_factor.values())).get("latency", {}))):
            p50 = [r.get("latency", {}).get(kind, {}).get("best_p50_ms") for r in by_factor.values()]
            axes[2].plot(works, p50, styles[engine], color=colours(i % 10), markersize=3, linewidth=1,
                         label=kind if engine == next(iter(results["runs"])) else None)  # one label per endpoint
        del fs
    axes[0].set(title="index size", xlabel="works (researchers grow alike)", ylabel="MiB")
    axes[1].set(title="engine part of a warm build from empty", xlabel="works", ylabel="s")
    axes[2].set(title="API p50, app time (best of the interleaved rounds)\nsolid: one node, dashed: cluster",
                xlabel="works", ylabel="ms", yscale="log")
    thousands = matplotlib.ticker.FuncFormatter(lambda x, _: f"{x / 1000:,.0f}k" if x >= 1000 else f"{x:,.0f}")
    for ax in axes:
        ax.grid(True, alpha=0.3)
        ax.xaxis.set_major_formatter(thousands)
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=8)
    axes[2].legend(fontsize=6, ncol=2)
    fig.suptitle(f"Peerscope cost curves ({results['cpu']})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base-sample", type=int, default=2000)
    ap.add_argument("--skip-base-build", action="store_true", help="the base prefix is built already")
    ap.add_argument("--base-prefix", default=None,
                    help="take the base from this existing build (its aliases) instead of building a sample")
    ap.add_argument("--factors", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--cluster-factors", type=int, nargs="+", default=None,
                    help="factors on the cluster (default: --factors)")
    ap.add_argument("--engines", nargs="+", default=["single", "cluster"], choices=["single", "cluster"])
    ap.add_argument("--duration", type=float, default=4, help="seconds per endpoint, factor and round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--builds-only", action="store_true", help="sizes and build times, no latency")
    ap.add_argument("--rate", type=float, default=8)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--plot", type=Path, default=None)
    ap.add_argument("--from-json", type=Path, default=None, help="only print the table and plot of saved figures")
    args = ap.parse_args(argv)
    if args.from_json:
        results = json.loads(args.from_json.read_text())
        print(table(results))
        if args.plot:
            plot(results, args.plot)
        return 0
    if not 0 < args.base_sample <= 20000 or any(not 0 < f <= 8 for f in args.factors) or not 0 < args.duration <= 60:
        ap.error("--base-sample in (0, 20000], --factors in (0, 8], --duration in (0, 60]")
    from peerscope.config import load_settings
    from search import lifecycle
    from search.client import make_client

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups below when stopped
    say = lambda m: print(m, flush=True)  # noqa: E731
    results: dict = {"cpu": harness.cpu_features(), "base_sample": args.base_sample, "runs": {},
                     "clients": args.clients, "rate": args.rate, "duration_s": args.duration}
    say(f"cpu: {results['cpu']}")
    if args.engines.count("cluster") and not harness.LocalCluster().running():
        ap.error("the cluster is not running: `peerscope node start --nodes 3`")
    base_settings = replace(load_settings(), opensearch_url=SINGLE_URL, index_prefix=args.base_prefix or BASE_PREFIX)
    if args.base_prefix:
        results["base_prefix"] = args.base_prefix
    elif not args.skip_base_build:
        results["base_build"] = base_build(args.base_sample, log=say)
    works, researchers = read_base(make_client(base_settings, timeout=120), base_settings)
    results["base"] = {"works": len(works), "researchers": len(researchers)}
    say(f"base: {len(works)} works, {len(researchers)} researchers")
    copier = Copier(works, researchers)
    with tempfile.TemporaryDirectory(prefix="peerscope-scaling-") as tmp:
        for engine in args.engines:
            results["runs"][engine] = {}
            factors = (args.cluster_factors or args.factors) if engine == "cluster" else args.factors
            engine_settings = replace(load_settings(), opensearch_url=engine_url(engine),
                                      index_prefix=f"scale-{engine}-")
            built: dict[str, dict[str, str]] = {}
            try:
                for factor in factors:
                    settings = replace(engine_settings, index_prefix=f"scale-{engine}-{factor}x-")
                    say(f"{engine} {factor}x: building")
                    b = build(settings, copier, factor, log=say, pids=engine_pids(engine))
                    client = make_client(settings, timeout=60)
                    built[str(factor)] = {"prefix": settings.index_prefix, **{
                        n: lifecycle.indexes_behind(client, settings.alias(n))[0] for n in ("works", "researchers")}}
                    say(f"  build {b['engine_build_s']} s ({b['steps_s']}), {b['docs_per_s']} docs/s, "
                        f"sizes {json.dumps(b['size'])}")
                    results["runs"][engine][str(factor)] = {"build": b}
                if args.builds_only:
                    continue
                say(f"{engine}: latency, {args.rounds} interleaved rounds")
                lat = measure_interleaved(engine_settings, built, Path(tmp), clients=args.clients, rate=args.rate,
                                          duration_s=args.duration, rounds=args.rounds, log=say)
                for factor, by_kind in lat.items():
                    results["runs"][engine][factor]["latency"] = by_kind
            finally:
                client = make_client(engine_settings, timeout=60)
                for factor in factors:
                    lifecycle.drop_prefix(client, replace(engine_settings, index_prefix=f"scale-{engine}-{factor}x-"))
            if args.json:
                args.json.write_text(json.dumps(results, indent=1))
    print(table(results))
    if args.plot:
        plot(results, args.plot)
    errors = sum(x["errors"] for bf in results["runs"].values() for r in bf.values() for x in r["latency"].values())
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
