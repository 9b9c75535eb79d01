"""Template filters and globals for the pages."""
from __future__ import annotations

from flask import Blueprint, request, url_for

from web.pages.common import safe_highlight, url_with

SIGNAL_NAMES = {
    "orcid": "ORCID iD", "publication_span": "Publication span", "works": "Works",
    "venues": "Venues", "coauthors": "Co-authors", "affiliation": "Affiliation",
    "claimed": "Claimed profile",
}


def points(value: float | int | None) -> str:
    """12.0 -> "12", 7.05 -> "7.05"."""
    v = float(value or 0)
    return f"{v:.2f}".rstrip("0").rstrip(".")


def plural(n: int | None, one: str, many: str | None = None) -> str:
    n = n or 0
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def year_span(first: int | None, last: int | None) -> str:
    if not first and not last:
        return ""
    if first == last or not last:
        return str(first)
    if not first:
        return str(last)
    return f"{first}–{last}"


def current_url(**changes) -> str:
    """This page's URL with some arguments changed (None removes one); page resets unless given."""
    changes.setdefault("page", None)
    return url_with(request.path, request.args.to_dict(flat=True), **changes)


def node_url(node: dict) -> str:
    """The page of a research-graph node."""
    kind, key = node["kind"], node["key"]
    if kind == "researcher":
        return url_for("pages.researchers.profile", researcher_id=key)
    if kind == "work":
        return url_for("pages.works.work", work_id=key)
    if kind == "topic":
        return url_for("pages.home.search_page", topic=node.get("label") or key)
    return url_for("pages.home.search_page", affiliation=key)


def register(bp: Blueprint) -> None:
    bp.add_app_template_filter(safe_highlight, "highlight")
    bp.add_app_template_filter(points, "points")
    bp.add_app_template_filter(plural, "plural")
    bp.add_app_template_global(year_span, "year_span")
    bp.add_app_template_global(current_url, "current_url")
    bp.add_app_template_global(SIGNAL_NAMES, "SIGNAL_NAMES")
    bp.add_app_template_global(node_url, "node_url")
