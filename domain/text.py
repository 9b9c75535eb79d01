"""The text a work is embedded from.

One rule for the indexer (document vectors, the embedding cache key), the evaluation, the
benchmarks and the tests: change it here and every vector changes with it.
"""
from __future__ import annotations

import re

__all__ = ["work_text"]

_WS = re.compile(r"\s+")


def work_text(title: str | None, abstract: str | None = None) -> str:
    """The text embedded for a work: "Title. Abstract", or the title alone.

    Whitespace is collapsed so that layout changes in the source do not
    change the cache key; a period is added after the title only when it does
    not already end a sentence.
    """
    title = _WS.sub(" ", title or "").strip()
    abstract = _WS.sub(" ", abstract or "").strip()
    if not abstract:
        return title
    if not title:
        return abstract
    sep = " " if title[-1] in ".?!:" else ". "
    return f"{title}{sep}{abstract}"
