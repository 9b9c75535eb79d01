"""Text embeddings for works, profiles and queries, one model for both sides.

    TextEncoder     the model (torch, ONNX or int8 ONNX) with the on-disk vector cache;
                    the indexer encodes documents through it (`encode_cached`).
    QueryEmbedder   the web process's query side: the same TextEncoder, loaded on first
                    use, queries memoised in memory.
The text a work is embedded from is `domain.text.work_text`. Modules: cpu (vector
features, int8 preset), cache (vectors by content hash), runners (torch / ONNX Runtime,
pooling), export (ONNX export, quantisation, checks), encoder, query.
"""
from __future__ import annotations

from embeddings.cache import EmbeddingCache
from embeddings.cpu import cpu_flags, quantization_config_for_cpu
from embeddings.encoder import BACKENDS, TextEncoder
from embeddings.errors import EmbeddingUnavailable, ModelNotFoundError
from embeddings.query import QueryEmbedder

__all__ = [
    "BACKENDS",
    "EmbeddingCache",
    "EmbeddingUnavailable",
    "ModelNotFoundError",
    "QueryEmbedder",
    "TextEncoder",
    "cpu_flags",
    "quantization_config_for_cpu",
]
