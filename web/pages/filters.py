"""Template filters and globals for the pages."""
from __future__ import annotations

from flask import Blueprint, request, url_for

from web.pages.common import safe_highlight, url_with

SIGNAL_NAMES = {
    "orcid": "ORCID iD", "publication_span": "Publication span", "works": "Works",
    "venues": "Venues", "coauthors": "Co-authors", "affiliation": "Affiliation",
    "claimed": "Claimed profile",
}

SOURCE_NAMES = {"acl": "ACL Anthology", "arxiv": "arXiv"}
# venue ids shown as written rather than upper-cased
VENUE_LABELS = {"arxiv": "arXiv"}
KEPT_APART = "kept apart"


def venue_badge(venue_ids: list[str] | str | None) -> str:
    """["acl", "findings"] -> "ACL, FINDINGS"; ["arxiv"] -> "arXiv"."""
    ids = [venue_ids] if isinstance(venue_ids, str) else list(venue_ids or [])
    return ", ".join(VENUE_LABELS.get(v, v.upper()) for v in ids)


def other_versions(work: dict) -> list[dict]:
    """The versions of a merged work other than the one whose id it carries ([] for a work
    of one version)."""
    versions = [v for v in work.get("versions") or [] if isinstance(v, dict)]
    if len(versions) < 2:
        return []
    return [v for v in versions if v.get("id") != work.get("id")]


def version_label(version: dict) -> str:
    """{"venue": "arXiv", "year": 2025} -> "arXiv 2025"."""
    venue = version.get("venue") or SOURCE_NAMES.get(version.get("source") or "", version.get("source") or "")
    return " ".join(str(x) for x in (venue, version.get("year")) if x)


def link_why(link: dict | None) -> str:
    """A link's evidence as one sentence: "Linked by 3 shared co-authors (confidence 0.93)"."""
    if not link:
        return ""
    text = str(link.get("evidence") or "").strip() or f"linked by {link.get('method') or 'the resolver'}"
    if link.get("confidence") is not None:
        text += f" (confidence {float(link['confidence']):.2f})"
    return text[:1].upper() + text[1:]


def kept_apart(link: dict | None) -> bool:
    return bool(link) and link.get("method") == KEPT_APART


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
    filters = {"highlight": safe_highlight, "points": points, "plural": plural, "venue_badge": venue_badge,
               "version_label": version_label, "link_why": link_why}
    template_globals = {"year_span": year_span, "current_url": current_url, "SIGNAL_NAMES": SIGNAL_NAMES,
                        "node_url": node_url, "other_versions": other_versions, "kept_apart": kept_apart,
                        "SOURCE_NAMES": SOURCE_NAMES}
    for name, f in filters.items():
        bp.add_app_template_filter(f, name)
    for name, value in template_globals.items():
        bp.add_app_template_global(value, name)
