"""Collaborator ordering: who of a researcher's co-authors is closest.

Most shared works first, then the most recently active, then by id so that the order is the
same on every run. The indexer stores `collaborators` in this order; graph slices and profile
pages cut the closest few from it.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def rank(count: int | None, last_year: int | None, collaborator_id: str) -> tuple[int, int, str]:
    """The sort key of one co-author: smaller is closer."""
    return -(count or 0), -(last_year or 0), collaborator_id


def closest(collaborators: Iterable[Mapping[str, Any]], limit: int | None = None) -> list[Mapping[str, Any]]:
    """Collaborator entries ({"id", "count", "last_year", ...}) that have an id, closest first,
    at most `limit` (all if None)."""
    ordered = sorted((c for c in collaborators if c.get("id")),
                     key=lambda c: rank(c.get("count"), c.get("last_year"), c["id"]))
    return ordered if limit is None else ordered[:limit]
