"""What goes wrong when vectors are asked for."""
from __future__ import annotations

__all__ = ["EmbeddingUnavailable", "ModelNotFoundError"]


class ModelNotFoundError(FileNotFoundError):
    """The configured model folder does not exist or is not a sentence-transformers model."""


class EmbeddingUnavailable(RuntimeError):
    """The query embedding model could not be loaded (missing or broken model folder)."""
