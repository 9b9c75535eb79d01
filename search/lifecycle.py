"""Index lifecycle: versioned physical indexes behind aliases.

Physical name: `{prefix}{alias}-v{N}-{stamp}`. Code reads and writes the alias
`{prefix}{alias}` only. A rebuild creates a new index with refresh off and no
replicas, bulk-loads it, restores the settings, swaps the alias in one
`update_aliases` call, then drops the previous index (warehouse's pattern).

Shards and replicas come from Settings (`shards_of(name)`, `index_replicas`); by default one
shard, and one replica as soon as the engine has a second data node to hold it
(`replicas_for`), so that on a cluster every served index survives the loss of a node.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

from opensearchpy import ConnectionTimeout, OpenSearch

import mappings
from peerscope.config import Settings
from search import freshness

log = logging.getLogger(__name__)

# While building: no refresh, no replica, and the translog fsynced in the background with
# fewer flushes (a failed build is deleted and rerun anyway). Measured with
# bench/bulk_write.py: the async translog alone writes about 12 % more documents per second.
BUILD_SETTINGS = {"index": {"refresh_interval": "-1", "number_of_replicas": 0,
                            "translog.durability": "async", "translog.flush_threshold_size": "1gb"}}
# None resets a setting to the engine's default; the replicas are set by `serve_settings`
SERVE_SETTINGS = {"index": {"refresh_interval": "1s", "number_of_replicas": 0,
                            "translog.durability": "request", "translog.flush_threshold_size": None}}
# How long a finished build waits for its replicas before the alias swap (then it swaps anyway:
# the primaries serve, the replicas follow).
REPLICAS_WAIT_S = 120
HEALTH_POLL_S = 10  # one health call's wait on the engine (wait_for_replicas)


def replicas_for(client: OpenSearch, settings: Settings) -> int:
    """Replicas of a served index: `settings.index_replicas`, else 1 when the engine has two or
    more data nodes (a copy of every shard on another node), else 0 (one node has nowhere to
    put a copy, and the index would stay yellow)."""
    if settings.index_replicas is not None:
        return settings.index_replicas
    data_nodes = client.cluster.health(request_timeout=30)["number_of_data_nodes"]
    return min(1, max(0, data_nodes - 1))


def serve_settings(replicas: int) -> dict:
    return {"index": {**SERVE_SETTINGS["index"], "number_of_replicas": replicas}}


def physical_name(settings: Settings, name: str, version: int, stamp: str | None = None) -> str:
    stamp = stamp or datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")
    return f"{settings.alias(name)}-v{version}-{stamp}"


def create_index(client: OpenSearch, settings: Settings, name: str, building: bool = True) -> str:
    """Create a new physical index for `name` from its latest mapping; returns its name."""
    version = mappings.latest_version(name)
    body = mappings.load(name, settings.embedding_dims, version)
    index_settings = body["settings"].setdefault("index", {})
    index_settings["number_of_shards"] = settings.shards_of(name)
    if building:
        index_settings.update(BUILD_SETTINGS["index"])
    else:
        index_settings["number_of_replicas"] = replicas_for(client, settings)
    index = physical_name(settings, name, version)
    client.indices.create(index=index, body=body)
    return index


def reusable_index(client: OpenSearch, settings: Settings, name: str) -> str | None:
    """The live physical index of `name` if a rebuild may start from a copy of it: the only
    index behind the alias, of the latest mapping version, fingerprinted the same way (the
    keys of the mapping's `_meta`; others, such as a ranking model kept with the index, are
    carried over by the copy) and with as many shards as new indexes get (a copy keeps its
    source's shards)."""
    live = indexes_behind(client, settings.alias(name))
    version = mappings.latest_version(name)
    if len(live) != 1 or not live[0].startswith(f"{settings.alias(name)}-v{version}-"):
        return None
    shards = client.indices.get_settings(index=live[0], name="index.number_of_shards", flat_settings=True)
    if int(shards[live[0]]["settings"]["index.number_of_shards"]) != settings.shards_of(name):
        return None
    meta = client.indices.get_mapping(index=live[0])[live[0]]["mappings"].get("_meta") or {}
    expected = mappings.load(name, settings.embedding_dims, version)["mappings"]["_meta"]
    return live[0] if {k: meta.get(k) for k in expected} == expected else None


def clone_index(client: OpenSearch, settings: Settings, name: str, source: str) -> str:
    """A new physical index for `name` holding a copy of `source` (hard-linked segments, so
    seconds, with the HNSW graphs). The source is write-blocked only while it is copied."""
    target = physical_name(settings, name, mappings.latest_version(name))
    client.indices.put_settings(index=source, body={"index": {"blocks.write": True}})
    try:
        client.indices.flush(index=source)
        client.indices.clone(index=source, target=target, body={"settings": {"index": {"blocks.write": False}}},
                             params={"wait_for_active_shards": "1"})
    finally:
        client.indices.put_settings(index=source, body={"index": {"blocks.write": None}})
    client.indices.put_settings(index=target, body=BUILD_SETTINGS)
    return target


def lift_write_blocks(client: OpenSearch, settings: Settings,
                      names: tuple[str, ...] = mappings.INDEXES) -> list[str]:
    """Lift the write block `clone_index` puts on a live index, if a build died while copying
    it (the block would otherwise stop incremental updates); returns the indexes unblocked."""
    lifted = []
    for name in names:
        for index in indexes_behind(client, settings.alias(name)):
            flat = client.indices.get_settings(index=index, name="index.blocks.write", flat_settings=True)
            if flat.get(index, {}).get("settings", {}).get("index.blocks.write") == "true":
                client.indices.put_settings(index=index, body={"index": {"blocks.write": None}})
                lifted.append(index)
    return lifted


def indexes_behind(client: OpenSearch, alias: str) -> list[str]:
    if not client.indices.exists_alias(name=alias):
        return []
    return sorted(client.indices.get_alias(name=alias).keys())


def swap_aliases(client: OpenSearch, settings: Settings, new: dict[str, str], drop_old: bool = True) -> list[str]:
    """Point each alias `name` at `new[name]` in ONE atomic call; returns the indexes it replaced."""
    actions, old = [], []
    for name, index in new.items():
        alias = settings.alias(name)
        for previous in indexes_behind(client, alias):
            if previous != index:
                actions.append({"remove": {"index": previous, "alias": alias}})
                old.append(previous)
        actions.append({"add": {"index": index, "alias": alias}})
    with freshness.changing(settings):  # answers kept from the old indexes are not given again
        client.indices.update_aliases(body={"actions": actions})
    if drop_old and old:
        client.indices.delete(index=",".join(old), ignore_unavailable=True)
    return old


def merge_segments(client: OpenSearch, index: str) -> None:
    """Merge `index` into one segment (why: `finish_build`); a build may start it early, beside
    other work, and `finish_build` then finds nothing left to merge."""
    client.indices.forcemerge(index=index, max_num_segments=1, request_timeout=3600)


def finish_build(client: OpenSearch, index: str, replicas: int = 0) -> None:
    """Merge a freshly built index into one segment, restore serving settings (with `replicas`)
    and make its documents visible. One segment: fuzzy and prefix name queries expand their
    terms once instead of once per segment, and k-NN walks one graph (researcher search p95 at
    40 req/s: 96.8 ms on 4 segments, 46.6 ms on one, bench/latency.py). A copy of an already
    merged index with nothing changed merges nothing. Replicas are added after the merge, so
    they are copied as the merged segment rather than built and merged again."""
    merge_segments(client, index)
    client.indices.put_settings(index=index, body=serve_settings(replicas))
    client.indices.refresh(index=index)


def wait_for_replicas(client: OpenSearch, indexes: list[str], timeout_s: float = REPLICAS_WAIT_S) -> bool:
    """Wait (bounded) until every copy of `indexes` is allocated and started; False if not in time.

    Asks in short waits: on a cluster the client gives a read that does not answer in time
    to another node with what is left of its budget, so one long wait on the engine outlasted
    the client's share and failed a build whose replicas were still being copied."""
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        wait = max(1, int(min(HEALTH_POLL_S, left)))
        try:
            health = client.cluster.health(index=",".join(indexes), wait_for_status="green", timeout=f"{wait}s",
                                           request_timeout=2 * wait + 30, ignore=408)  # 408: not green yet
        except ConnectionTimeout:
            continue
        if health.get("status") == "green" and not health.get("timed_out"):
            return True
    return False


@contextmanager
def building(client: OpenSearch, settings: Settings, names: tuple[str, ...],
             reuse: bool = False) -> Iterator[dict[str, str]]:
    """Create new physical indexes for `names`; on success swap all aliases at once.

    With `reuse`, a new index starts as a copy of the live one where `reusable_index`
    allows (the caller then writes only what changed, see indexer.write.Diff), else empty.
    On any error the half-built indexes are deleted and the error re-raised,
    so searches keep running on the old indexes throughout.
    """
    new: dict[str, str] = {}
    try:
        for name in names:
            source = reusable_index(client, settings, name) if reuse else None
            new[name] = clone_index(client, settings, name, source) if source \
                else create_index(client, settings, name)
        yield new
        replicas = replicas_for(client, settings)
        for index in new.values():
            finish_build(client, index, replicas)
        if replicas and not wait_for_replicas(client, list(new.values())):
            log.warning("the replicas of %s are not all allocated after %d s; swapping the aliases anyway (the "
                        "primaries serve, the replicas follow)", ", ".join(new.values()), REPLICAS_WAIT_S)
    except BaseException:
        if new:
            client.indices.delete(index=",".join(new.values()), ignore_unavailable=True)
        raise
    swap_aliases(client, settings, new)


def ensure_aliases(client: OpenSearch, settings: Settings, names: tuple[str, ...] = mappings.INDEXES) -> dict[str, str]:
    """Make sure each alias exists (an empty index if nothing was built yet); for incremental writes."""
    out = {}
    for name in names:
        existing = indexes_behind(client, settings.alias(name))
        if existing:
            out[name] = existing[-1]
        else:
            index = create_index(client, settings, name, building=False)
            client.indices.put_alias(index=index, name=settings.alias(name))
            out[name] = index
    return out


def orphans(client: OpenSearch, settings: Settings, names: tuple[str, ...] = mappings.INDEXES,
            older_than_s: float = 0) -> list[str]:
    """Physical indexes of this prefix that no alias points at (left by an interrupted build)."""
    found = []
    now = time.time()
    for name in names:
        pattern = f"{settings.alias(name)}-v*"
        info = client.indices.get(index=pattern, ignore_unavailable=True, allow_no_indices=True)
        for index, meta in info.items():
            if meta.get("aliases"):
                continue
            created = int(meta["settings"]["index"].get("creation_date", "0")) / 1000
            if now - created >= older_than_s:
                found.append(index)
    return sorted(found)


def drop_prefix(client: OpenSearch, settings: Settings) -> None:
    """Delete every index of this prefix (tests and evaluation clean up with this)."""
    client.indices.delete(index=f"{settings.index_prefix}*", ignore_unavailable=True, allow_no_indices=True)
