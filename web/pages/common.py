"""What the page views share: services, lenient argument reading, safe highlights.

Pages read query arguments leniently (a bad page number becomes 1, an
over-long query is cut) because a person following a link should get a page,
not a validation error; the JSON API stays strict.
"""
from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

from flask import current_app, request
from markupsafe import Markup, escape

from search.params import MAX_PAGE, YEARS
from web.schemas import MAX_ID, MAX_Q


def services() -> Any:
    """The per-app Services (settings, opensearch, redis, queue, embed)."""
    return current_app.extensions["peerscope"]


def text_arg(name: str, maximum: int = MAX_Q) -> str:
    """A stripped string argument, cut to `maximum` characters ('' when absent)."""
    return (request.args.get(name) or "").strip()[:maximum]


def int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    """An integer argument within [low, high]; anything else gives `default`."""
    raw = request.args.get(name, "")
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if low <= value <= high else default


def page_arg(name: str = "page") -> int:
    return int_arg(name, 1, 1, MAX_PAGE) or 1


def year_arg(name: str) -> int | None:
    return int_arg(name, None, *YEARS)


def valid_id(value: str) -> bool:
    return 0 < len(value) <= MAX_ID


def url_with(path: str, params: dict[str, Any], **changes: Any) -> str:
    """`path` with `params` updated by `changes`; None or '' drops a parameter."""
    merged = {**params, **changes}
    clean = {k: v for k, v in merged.items() if v not in (None, "")}
    return f"{path}?{urlencode(clean)}" if clean else path


_TAG = re.compile(r"(</?(?:em|mark)>)", re.IGNORECASE)


def safe_highlight(fragment: str | None) -> Markup:
    """An engine highlight fragment as safe HTML: only <mark> survives.

    The engine html-encodes the text around its tags (and <em> is accepted
    too); everything between tags is decoded and escaped again, tags are
    re-inserted as balanced <mark>…</mark>, and nothing else can get through.
    """
    out: list[str] = []
    open_ = False
    for part in _TAG.split(fragment or ""):
        low = part.lower()
        if low in ("<em>", "<mark>"):
            if not open_:
                out.append("<mark>")
                open_ = True
        elif low in ("</em>", "</mark>"):
            if open_:
                out.append("</mark>")
                open_ = False
        elif part:
            out.append(str(escape(html.unescape(part))))
    if open_:
        out.append("</mark>")
    return Markup("".join(out))
