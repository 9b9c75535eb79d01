"""Bulk write rate of work documents into a fresh index, for a few ways of writing them.

    python bench/bulk_write.py [--n 15000] [--from-prefix peerscope-] [--repeats 2]

Reads --n work documents (with their vectors) from an existing index, then writes the same
documents into scratch indexes (prefix `bulkbench-`, deleted afterwards), variant after
variant, in rounds, so that a noisy machine affects every variant alike. Each write ends
with a refresh, so the time includes what the engine must do before the documents are
searchable (the HNSW graphs included). Prints the median docs/s per variant and its ratio
to the baseline measured in the same run.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indexer.write import bulk_index, vector_for_json  # noqa: E402
from peerscope.config import load_settings  # noqa: E402
import mappings  # noqa: E402
from search import lifecycle  # noqa: E402
from search.client import make_client  # noqa: E402


def read_docs(client, alias: str, n: int) -> list[dict]:
    docs, after = [], None
    while len(docs) < n:
        body = {"size": min(1000, n - len(docs)), "sort": [{"id": "asc"}], "query": {"match_all": {}}}
        if after:
            body["search_after"] = after
        hits = client.search(index=alias, body=body)["hits"]["hits"]
        if not hits:
            break
        docs += [h["_source"] for h in hits]
        after = hits[-1]["sort"]
    return docs


def full_precision(doc: dict) -> dict:
    """Vectors as Python floats of every float32 (about 19 characters a number in JSON)."""
    return {**doc, "embedding": [float(x) for x in doc["embedding"]]}


def as_written(doc: dict) -> dict:
    """What the indexer sends now (indexer.write.vector_for_json)."""
    return {**doc, "embedding": vector_for_json(doc["embedding"])}


def ef_construction(value: int):
    def patch(body: dict) -> None:
        body["mappings"]["properties"]["embedding"]["method"]["parameters"]["ef_construction"] = value
    return patch


def sync_translog(body: dict) -> None:
    body["settings"]["index"].update({"translog.durability": "request", "translog.flush_threshold_size": None})


def both(*patches):
    def patch(body: dict) -> None:
        for p in patches:
            p(body)
    return patch


# name: (document transform, patch of the index body as the indexer builds it today), in steps
# from how it was to how it is
VARIANTS = {
    "full floats, ef 128, sync translog": (full_precision, both(ef_construction(128), sync_translog)),
    "rounded vectors": (as_written, both(ef_construction(128), sync_translog)),
    "+ ef_construction 64": (as_written, sync_translog),
    "+ async translog (indexer now)": (as_written, None),
}


def write_once(client, settings, docs, transform, patch) -> float:
    body = mappings.load("works", settings.embedding_dims, mappings.latest_version("works"))
    body["settings"].setdefault("index", {}).update(lifecycle.BUILD_SETTINGS["index"])
    if patch:
        patch(body)
    index = lifecycle.physical_name(settings, "works", mappings.latest_version("works"))
    client.indices.create(index=index, body=body)
    try:
        t = time.perf_counter()
        bulk_index(client, index, (transform(d) for d in docs), on_reject=lambda rid, why: None)
        client.indices.refresh(index=index)
        return len(docs) / (time.perf_counter() - t)
    finally:
        client.indices.delete(index=index, ignore_unavailable=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=15000)
    ap.add_argument("--from-prefix", default="peerscope-")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    base = load_settings()
    client = make_client(base, timeout=300)
    docs = read_docs(client, f"{args.from_prefix}works", args.n)
    settings = replace(base, index_prefix="bulkbench-")
    print(f"{len(docs)} work documents from {args.from_prefix}works", flush=True)
    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for round_ in range(args.repeats):
        for name, (transform, patch) in VARIANTS.items():
            rates[name].append(write_once(client, settings, docs, transform, patch))
            print(f"round {round_ + 1}: {name}: {rates[name][-1]:.0f} docs/s", flush=True)
    baseline = statistics.median(next(iter(rates.values())))
    for name, values in rates.items():
        m = statistics.median(values)
        print(f"{name:<24} median {m:7.0f} docs/s  ratio {m / baseline:.2f}")


if __name__ == "__main__":
    main()
