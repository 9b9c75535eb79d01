"""Errors the search layer raises; the web layer maps them to HTTP answers.

Besides its own, the engine's failures pass through under the names below, so that the web
layer's one handler needs no engine import.
"""
from __future__ import annotations

from opensearchpy.exceptions import ConnectionError as EngineUnreachable  # includes ConnectionTimeout
from opensearchpy.exceptions import NotFoundError as IndexMissing  # the alias or index itself
from opensearchpy.exceptions import RequestError as QueryRejected
from opensearchpy.exceptions import TransportError as EngineFailed  # base class: 429, 5xx ...

from embeddings.errors import EmbeddingUnavailable  # raised by the query embedder

__all__ = ["SearchError", "NotFound", "EmbeddingUnavailable", "EngineUnreachable", "IndexMissing",
           "QueryRejected", "EngineFailed"]


class SearchError(Exception):
    """Base class for errors about the request rather than the engine."""


class NotFound(SearchError):
    """A requested document (work, researcher, seed) does not exist or is hidden."""

    def __init__(self, kind: str, ids: list[str] | str):
        self.kind = kind
        self.ids = [ids] if isinstance(ids, str) else list(ids)
        super().__init__(f"{kind} not found: {', '.join(self.ids)}")
