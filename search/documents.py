"""Researcher and work documents by id, as stored, and partial writes of them.

For the accounts side: whether a researcher or work exists (with what its pages show), the
people someone follows, and the owner sync job, which reads a profile and the works its
corrections touch and writes back the changed fields. Reads go by id through the aliases and,
unlike the search services, see hidden works too (an owner undoes a hide on one).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError

from peerscope.config import Settings
from search import freshness

RESEARCHER_SUMMARY = ["id", "name", "current_affiliation", "works_count", "followers_count", "claimed",
                      "open_to_collaborate", "trust.score", "trust.level", "orcid", "first_year", "last_year"]
WORK_SUMMARY = ["id", "title", "year", "authors.id", "authors.name", "authors.link", "hidden", "venue_names"]
RESEARCHER_CARD = ["id", "name", "current_affiliation", "works_count"]


def get(client: OpenSearch, settings: Settings, kind: str, doc_id: str, fields: Sequence[str]) -> dict | None:
    """The `fields` of one document of `kind` (researchers, works), or None if there is none."""
    try:
        found = client.get(index=settings.alias(kind), id=doc_id, _source_includes=list(fields))
    except NotFoundError:
        return None
    return found["_source"]


def get_many(client: OpenSearch, settings: Settings, kind: str, ids: Sequence[str],
             fields: Sequence[str]) -> dict[str, dict]:
    """{id: the `fields`} of the documents of `kind` that exist among `ids`, in one round trip."""
    if not ids:
        return {}
    found = client.mget(index=settings.alias(kind), body={"ids": list(ids)}, _source_includes=list(fields))
    return {d["_id"]: d["_source"] for d in found["docs"] if d.get("found")}


def update(client: OpenSearch, settings: Settings, kind: str, doc_id: str, partial: Mapping[str, Any]) -> None:
    """Write `partial` fields into one document (retried on a version conflict); answers the
    web app kept are not given again once it shows (search/freshness.py)."""
    with freshness.changing(settings):
        client.update(index=settings.alias(kind), id=doc_id, body={"doc": dict(partial)}, retry_on_conflict=3)


def create(client: OpenSearch, settings: Settings, kind: str, doc: Mapping[str, Any]) -> None:
    """Write a whole new document (a researcher of their own that a link correction made)."""
    with freshness.changing(settings):
        client.index(index=settings.alias(kind), id=doc["id"], body=dict(doc), op_type="create")


def delete(client: OpenSearch, settings: Settings, kind: str, doc_id: str) -> None:
    """Remove a document (a profile left with no works by a link correction), if it is there."""
    with freshness.changing(settings):
        client.delete(index=settings.alias(kind), id=doc_id, ignore=[404])


def researcher_summary(client: OpenSearch, settings: Settings, researcher_id: str) -> dict | None:
    """What account pages show of a researcher, with its id; None if there is no such researcher."""
    doc = get(client, settings, "researchers", researcher_id, RESEARCHER_SUMMARY)
    if doc is not None:
        doc.setdefault("id", researcher_id)
    return doc


def work_summary(client: OpenSearch, settings: Settings, work_id: str) -> dict | None:
    """What account pages show of a work (hidden or not), with its id; None if there is none."""
    doc = get(client, settings, "works", work_id, WORK_SUMMARY)
    if doc is not None:
        doc.setdefault("id", work_id)
    return doc


def researcher_cards(client: OpenSearch, settings: Settings, ids: Sequence[str]) -> list[dict]:
    """Name, affiliation and works count of each of `ids`, in their order (just the id for one
    that is not in the index)."""
    if not ids:
        return []
    found = client.mget(index=settings.alias("researchers"), body={"ids": list(ids)},
                        _source_includes=RESEARCHER_CARD)
    return [{"id": d["_id"], **(d.get("_source") or {})} for d in found["docs"]]
