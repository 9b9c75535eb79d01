"""One page of results: the shape of every list a service returns (works and researcher
search, similar works, collaborators, typeahead, listings), the rule for offering a next page,
and the opaque cursors of cursor paging.

`as_dict()` is the JSON shape: results, total, page, size, next, then whichever of mode,
facets, seed the list has. The API turns `next` ({"page": n} or {"cursor": token}) into a URL.
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from search.params import MAX_PAGE

OPTIONAL = ("mode", "facets", "seed", "keyword_total")


@dataclass
class Page:
    results: list[dict]
    total: int
    page: int
    size: int
    next: dict | None = None  # {"page": n}, {"cursor": token} or None
    mode: str | None = None  # works search: the mode that ran (hybrid, keyword, vector)
    facets: dict[str, list[dict]] | None = None  # {name: [{"value", "count"}]}
    seed: dict | None = None  # similar works, collaborators: whom or what the list is like
    keyword_total: int | None = None  # works search with facets: how many works hold the words

    @classmethod
    def numbered(cls, results: list[dict], total: int, page: int, size: int, *,
                 last_page: int | None = MAX_PAGE, window: int | None = None, **extra: Any) -> Page:
        """Page `page` of a numbered list of `total`: a next page while more results exist, up
        to `last_page` and, for a fused list, within its `window` of results."""
        more = page * size < total and (last_page is None or page < last_page) \
            and (window is None or (page + 1) * size <= window)
        return cls(results, total, page, size, {"page": page + 1} if more else None, **extra)

    @classmethod
    def whole(cls, results: list[dict], size: int, **extra: Any) -> Page:
        """A list served in one piece (similar works, collaborators, typeahead)."""
        return cls(results, len(results), 1, size, None, **extra)

    def as_dict(self) -> dict:
        out = {"results": self.results, "total": self.total, "page": self.page, "size": self.size,
               "next": self.next}
        out.update({k: getattr(self, k) for k in OPTIONAL if getattr(self, k) is not None})
        return out


def encode_cursor(sort_values: Sequence[Any]) -> str:
    """An opaque cursor from a hit's `sort` values (for search_after)."""
    raw = json.dumps(list(sort_values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> list[Any]:
    """The sort values behind a cursor; ValueError if it was not made by encode_cursor."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValueError("invalid cursor") from exc
    if not isinstance(values, list) or not values or \
            not all(isinstance(v, (str, int, float)) or v is None for v in values):
        raise ValueError("invalid cursor")
    return values
