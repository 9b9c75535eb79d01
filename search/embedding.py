"""Query embeddings for the web process.

The web app must not import indexer internals, so it embeds queries with
this small class: same model folder (`settings.model`), same normalisation
(unit vectors for the cosine space) as the indexer, loaded lazily once per
process and never from the hub. Queries are short, so plain fp32 torch is
fast enough here whatever backend the indexer uses for bulk encoding (its
int8 vectors agree with fp32 to cosine ~0.99).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from peerscope.config import Settings
from search.errors import EmbeddingUnavailable

QUERY_CACHE_SIZE = 2048


class Embedder:
    """`Embedder(settings).encode(texts) -> (n, dims) float32`, rows of unit length.

    Calling the instance with one text returns a plain list (for request
    bodies), memoised so repeated queries and paging do not re-encode.
    Thread-safe: the model is loaded under a lock; encode is read-only.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self._model = None
        self._lock = threading.Lock()
        self._cached = lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_tuple)

    def load(self):
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

    def _load(self):
        # models are loaded by path only; a hub lookup would hang offline
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(self.settings.model, device="cpu", local_files_only=True)
        model.max_seq_length = self.settings.embed_max_seq_length
        # renamed in sentence-transformers 6 (the old name warns)
        get_dims = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dims = get_dims()
        if dims != self.settings.embedding_dims:
            raise ValueError(f"model gives {dims}-d vectors, the indexes expect {self.settings.embedding_dims}")
        return model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.settings.embedding_dims), dtype=np.float32)
        vecs = self.load().encode(texts, batch_size=32, convert_to_numpy=True,
                                  normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)

    def _embed_tuple(self, text: str) -> tuple[float, ...]:
        return tuple(float(x) for x in self.encode([text])[0])

    def __call__(self, text: str) -> list[float]:
        return list(self._cached(text.strip()))
