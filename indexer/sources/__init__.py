"""The data sources a build reads, each behind the interface of base.py.

`available_sources` is the registry: the one place a source is listed. A new source is a
module here implementing `Source`, and one entry in `_REGISTRY`.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from indexer.sources.acl import AnthologySource
from indexer.sources.arxiv import ArxivSource
from indexer.sources.base import Source
from peerscope.config import Settings


def _anthology(settings: Settings) -> Source | str:
    if not (settings.data_dir / "xml").is_dir():
        return f"no xml/ folder in {settings.data_dir}; point PEERSCOPE_DATA_DIR at the Anthology's data/"
    return AnthologySource(settings.data_dir)


def _arxiv(settings: Settings) -> Source | str:
    if not settings.arxiv_dir.is_dir() or not ArxivSource(settings.arxiv_dir).paths():
        return f"no YYYY-MM-DD.jsonl listing files in {settings.arxiv_dir}; point PEERSCOPE_ARXIV_DIR at them"
    return ArxivSource(settings.arxiv_dir)


# name -> the source for these settings, or why its data is not there
_REGISTRY: dict[str, Callable[[Settings], Source | str]] = {
    "acl": _anthology,
    "arxiv": _arxiv,
}


def available_sources(settings: Settings, names: Sequence[str] | None = None) -> list[Source]:
    """The sources whose data is present (or exactly those `names`, each of which must be;
    `names` defaults to the `sources` setting).

    Raises FileNotFoundError, saying what is missing, when there is nothing to read."""
    names = names or settings.sources or None
    unknown = [n for n in names or () if n not in _REGISTRY]
    if unknown:
        raise ValueError(f"unknown sources {', '.join(unknown)}; known: {', '.join(_REGISTRY)}")
    found, missing = [], []
    for name in _REGISTRY if names is None else names:
        source = _REGISTRY[name](settings)
        (missing if isinstance(source, str) else found).append(source)
    if not found or (names is not None and missing):
        raise FileNotFoundError("; ".join(missing) or "no sources named")
    return found
