"""Query embeddings for the web process.

Queries are embedded by the same `TextEncoder` (model folder, backend,
max_seq_length) that the indexer uses for documents, so query and document
vectors live in one space; loaded lazily once per process, never from the hub,
without the on-disk cache (queries are memoised in memory).
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from embeddings.errors import EmbeddingUnavailable

if TYPE_CHECKING:  # pragma: no cover
    from embeddings.encoder import TextEncoder
    from peerscope.config import Settings

__all__ = ["QUERY_CACHE_SIZE", "QueryEmbedder"]

QUERY_CACHE_SIZE = 2048


class QueryEmbedder:
    """`QueryEmbedder(settings).encode(texts) -> (n, dims) float32`, rows of unit length.

    Calling the instance with one text returns a plain list (for request
    bodies), memoised so repeated queries and paging do not re-encode.
    Thread-safe: the model is loaded under a lock; encode is read-only.
    """

    def __init__(self, settings: "Settings"):
        self.settings = settings
        self._model = None
        self._lock = threading.Lock()
        self._cached = lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_tuple)

    def load(self) -> "TextEncoder":
        """The model, loaded on first use; EmbeddingUnavailable if it cannot be."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        self._model = self._load()
                    except Exception as exc:  # noqa: BLE001 - any load failure means no vectors
                        raise EmbeddingUnavailable(
                            f"cannot load the embedding model at {self.settings.model}: {exc}") from exc
        return self._model

    def _load(self) -> "TextEncoder":
        # The same TextEncoder class (model, backend, max_seq_length) that built the index vectors.
        from embeddings.encoder import TextEncoder

        # the settings' cache directory holds the one ONNX export the indexer made; queries
        # are encoded directly (encode, not encode_cached), so no vector is cached for them
        model = TextEncoder.from_settings(self.settings)
        model.load()
        if model.dims != self.settings.embedding_dims:
            raise ValueError(f"model gives {model.dims}-d vectors, the indexes expect {self.settings.embedding_dims}")
        return model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.settings.embedding_dims), dtype=np.float32)
        return self.load().encode(texts)

    def _embed_tuple(self, text: str) -> tuple[float, ...]:
        return tuple(float(x) for x in self.encode([text])[0])

    def __call__(self, text: str) -> list[float]:
        return list(self._cached(text.strip()))
