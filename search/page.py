"""Paging: the opaque cursors of cursor paging."""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any


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
