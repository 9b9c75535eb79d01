"""Errors the search layer raises; the web layer maps them to HTTP answers."""
from __future__ import annotations


class SearchError(Exception):
    """Base class for errors about the request rather than the engine."""


class NotFound(SearchError):
    """A requested document (work, researcher, seed) does not exist or is hidden."""

    def __init__(self, kind: str, ids: list[str] | str):
        self.kind = kind
        self.ids = [ids] if isinstance(ids, str) else list(ids)
        super().__init__(f"{kind} not found: {', '.join(self.ids)}")


class EmbeddingUnavailable(SearchError):
    """The query embedding model could not be loaded (missing or broken model folder)."""
