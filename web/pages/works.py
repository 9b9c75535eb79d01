"""Work pages and their citation exports (/works/<id>.bib, .ris, .json)."""
from __future__ import annotations

import json
import re

from flask import Blueprint, Response, render_template

from search import works
from search.errors import NotFound
from web import exports
from web.pages.common import services, valid_id

bp = Blueprint("works", __name__, url_prefix="/works")
SIMILAR = 6
EXPORTS = {
    "bib": ("application/x-bibtex; charset=utf-8", exports.bibtex),
    "ris": ("application/x-research-info-systems; charset=utf-8", exports.ris),
    "json": ("application/vnd.citationstyles.csl+json; charset=utf-8",
             lambda w, n: json.dumps(exports.csl_json(w, n), ensure_ascii=False, indent=2) + "\n"),
}


def _valid(work_id: str) -> str:
    if not valid_id(work_id):
        raise NotFound("work", work_id[:64])
    return work_id


def _first(names: list[str], shown: int = 3) -> str:
    """"A, B, C" or "A, B, C and 2 more"."""
    rest = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {rest} more" if rest > 0 else "")


def why(seed: dict, other: dict) -> str:
    """A short reason a work is listed as similar to `seed`."""
    parts: list[str] = []
    shared = [a.get("name") for a in other.get("authors") or []
              if a.get("id") and a["id"] in {b.get("id") for b in seed.get("authors") or []}]
    if shared:
        parts.append("Same author" + ("s" if len(shared) > 1 else "") + ": " + _first(shared))
    topics = [t for t in other.get("topic_labels") or [] if t in set(seed.get("topic_labels") or [])]
    if topics:
        parts.append("Shared topic" + ("s" if len(topics) > 1 else "") + ": " + _first(topics))
    ranks = other.get("ranks") or {}
    if "knn" in ranks and "mlt" in ranks:
        parts.append("close in meaning and in wording")
    elif "knn" in ranks:
        parts.append("close in meaning")
    elif "mlt" in ranks:
        parts.append("uses many of the same distinctive terms")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] if text else "Related work"


def from_anthology(doc: dict) -> bool:
    """Whether the work has an Anthology version (a work without `sources` is the Anthology's)."""
    return "acl" in (doc.get("sources") or ["acl"])


def kept_apart(doc: dict, names: dict[str, str]) -> list[dict]:
    """The mentions the resolver kept apart from an Anthology researcher of the same name:
    [{"name", "candidate", "candidate_name", "evidence"}]."""
    out = []
    for a in doc.get("authors") or []:
        link = a.get("link") or {}
        if link.get("method") == "kept apart" and link.get("candidate"):
            out.append({"name": a.get("name"), "id": a.get("id"), "candidate": link["candidate"],
                        "candidate_name": names.get(link["candidate"]) or link["candidate"],
                        "evidence": link.get("evidence")})
    return out


@bp.get("/<work_id>")
def work(work_id: str):
    s = services()
    doc, near, names = works.work_page(s.opensearch, s.settings, _valid(work_id), SIMILAR)
    items = [{**w, "why": why(doc, w)} for w in near.results]
    return render_template("work.html", w=doc, similar=items, apart=kept_apart(doc, names),
                           anthology=exports.ANTHOLOGY.format(id=doc["id"]) if from_anthology(doc) else None)


@bp.get("/<work_id>.<any(bib, ris, json):fmt>")
def export(work_id: str, fmt: str):
    s = services()
    doc, names = works.work_with_author_names(s.opensearch, s.settings, _valid(work_id))
    mimetype, render = EXPORTS[fmt]
    body = render(doc, names)
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", doc["id"]) + f".{fmt}"
    return Response(body, headers={"Content-Type": mimetype,
                                   "Content-Disposition": f'inline; filename="{filename}"'})
