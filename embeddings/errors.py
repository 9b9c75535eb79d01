"""What goes wrong when vectors are asked for."""
from __future__ import annotations

__all__ = ["ModelNotFoundError"]


class ModelNotFoundError(FileNotFoundError):
    """The configured model folder does not exist or is not a sentence-transformers model."""
