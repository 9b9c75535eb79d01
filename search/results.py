"""Running bodies and shaping engine answers into plain dicts.

Shared by the service modules (researchers, works, similar, recommend).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import HTTP_EXCEPTIONS, TransportError

from search.errors import NotFound
from search.params import version_id

# never sent to a client: large and useless for display
HEAVY_FIELDS = ["embedding", "content_hash"]
def ids_only(*fields: str) -> dict:
    """Body keys for a list that only ranks: no stored fields, the `id` doc value (and any
    other `fields` from doc values). A stored-fields read decompresses a whole block of
    large documents per hit, which was half of a k-NN search's time (4 -> 2 ms for 30
    profiles); documents are read for the chosen few."""
    return {"stored_fields": "_none_", "docvalue_fields": ["id", *fields]}


def hit_id(hit: Mapping[str, Any]) -> str:
    """The id of a hit, from `_id` or, for `ids_only` bodies, the `id` doc value."""
    return hit.get("_id") or hit["fields"]["id"][0]


def msearch(client: OpenSearch, index: str, bodies: Sequence[dict]) -> list[dict]:
    """One round trip for several searches of one index."""
    return multi_search(client, [(index, body) for body in bodies])


def multi_search(client: OpenSearch, requests: Sequence[tuple[str, dict]]) -> list[dict]:
    """One round trip for (index, body) pairs; a failed item raises like a failed search."""
    if not requests:
        return []
    lines: list[dict] = []
    for index, body in requests:
        lines += [{"index": index}, body]
    responses = client.msearch(body=lines)["responses"]
    for r in responses:
        if "error" in r:
            status = int(r.get("status") or 500)
            err = r["error"]
            kind = err.get("type", "error") if isinstance(err, dict) else str(err)
            raise HTTP_EXCEPTIONS.get(status, TransportError)(status, kind, r)
    return responses


def hits(response: Mapping[str, Any]) -> list[dict]:
    return list(response.get("hits", {}).get("hits", []))


def total(response: Mapping[str, Any]) -> int:
    t = response.get("hits", {}).get("total", 0)
    return int(t["value"] if isinstance(t, dict) else t)


def to_result(hit: Mapping[str, Any], drop: Sequence[str] = HEAVY_FIELDS) -> dict:
    """A hit as a result dict: its _source, `id` and `score` (+ highlight if any)."""
    out = {k: v for k, v in (hit.get("_source") or {}).items() if k not in drop}
    out["id"] = hit["_id"]
    out["score"] = hit.get("_score")
    if hit.get("highlight"):
        out["highlight"] = hit["highlight"]
    return out


def fetch_one(client: OpenSearch, index: str, kind: str, doc_id: str, body: dict) -> dict:
    """The single hit of an ids query `body` for `doc_id`, or NotFound.

    A search (not GET) so that the same visibility filters apply as in lists.
    """
    found = [h for h in hits(client.search(index=index, body=body)) if h["_id"] == doc_id]
    if not found:
        raise NotFound(kind, doc_id)
    return found[0]


def fetch_version(client: OpenSearch, index: str, kind: str, doc_id: str, body: dict) -> dict:
    """The hit of a `by_version_body` search for `doc_id`: the work of that id, else the work
    that has a version of that id; NotFound if neither is visible."""
    return fetch_versions(client, index, kind, [doc_id], body)[doc_id]


def fetch_versions(client: OpenSearch, index: str, kind: str, doc_ids: Sequence[str],
                   body: dict) -> dict[str, dict]:
    """{id: hit} of a `by_versions_body` search (its `_source` holding `version_ids`, or the
    whole document): for each id (as `params.version_id` reads it) the work of that id, else
    the work that has a version of that id; NotFound naming the ids that neither is visible for."""
    found = hits(client.search(index=index, body=body))
    own = {h["_id"]: h for h in found}
    by_version = {v: h for h in found for v in (h.get("_source") or {}).get("version_ids") or ()}
    out = {i: own.get(version_id(i)) or by_version.get(version_id(i)) for i in doc_ids}
    missing = [i for i, h in out.items() if h is None]
    if missing:
        raise NotFound(kind, missing[0] if len(missing) == 1 else missing)
    return out


def facets(response: Mapping[str, Any]) -> dict[str, list[dict]]:
    """terms aggregations as {name: [{"value", "count"}]} (booleans as true/false); a terms
    aggregation inside a filter aggregation of its own name counts as that name."""
    out: dict[str, list[dict]] = {}
    for name, agg in (response.get("aggregations") or {}).items():
        agg = agg.get(name, agg) if "buckets" not in agg else agg
        if "buckets" not in agg:
            continue
        buckets = []
        for b in agg.get("buckets", []):
            value = b["key"]
            if b.get("key_as_string") in ("true", "false"):
                value = b["key_as_string"] == "true"
            buckets.append({"value": value, "count": b["doc_count"]})
        out[name] = buckets
    return out
