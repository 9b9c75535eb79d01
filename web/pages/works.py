"""Work pages and their citation exports (/works/<id>.bib, .ris, .json)."""
from __future__ import annotations

import json
import re

from flask import Blueprint, Response, render_template

from search import results as R
from search import similar, works
from search.errors import NotFound
from search.queries import researchers as RQ
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


def _work(work_id: str) -> dict:
    if not valid_id(work_id):
        raise NotFound("work", work_id[:64])
    s = services()
    return works.get_work(s.opensearch, s.settings, work_id)


def why(seed: dict, other: dict) -> str:
    """A short reason a work is listed as similar to `seed`."""
    parts: list[str] = []
    shared = [a.get("name") for a in other.get("authors") or []
              if a.get("id") and a["id"] in {b.get("id") for b in seed.get("authors") or []}]
    if shared:
        parts.append("Same author" + ("s" if len(shared) > 1 else "") + ": " + ", ".join(shared[:3]))
    topics = [t for t in other.get("topic_labels") or [] if t in set(seed.get("topic_labels") or [])]
    if topics:
        parts.append("Shared topic" + ("s" if len(topics) > 1 else "") + ": " + ", ".join(topics[:3]))
    ranks = other.get("ranks") or {}
    if "knn" in ranks and "mlt" in ranks:
        parts.append("close in meaning and in wording")
    elif "knn" in ranks:
        parts.append("close in meaning")
    elif "mlt" in ranks:
        parts.append("uses many of the same distinctive terms")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] if text else "Related work"


@bp.get("/<work_id>")
def work(work_id: str):
    doc = _work(work_id)
    s = services()
    near = similar.similar_to_work(s.opensearch, s.settings, work_id, {"size": SIMILAR})
    items = [{**w, "why": why(doc, w)} for w in near.results]
    return render_template("work.html", w=doc, similar=items,
                           anthology=exports.ANTHOLOGY.format(id=doc["id"]))


def _names(doc: dict) -> dict[str, tuple[str, str]]:
    """(given, family) of authors whose profile name is the name printed on this work."""
    printed = {a["id"]: a.get("name") for a in doc.get("authors") or [] if a.get("id")}
    if not printed:
        return {}
    s = services()
    body = RQ.by_ids_body(list(printed), source=["id", "name", "first_name", "last_name"])
    out = {}
    for h in R.hits(s.opensearch.search(index=s.settings.alias("researchers"), body=body)):
        p = h["_source"]
        if p.get("last_name") and p.get("name") == printed.get(h["_id"]):
            out[h["_id"]] = (p.get("first_name") or "", p["last_name"])
    return out


@bp.get("/<work_id>.<any(bib, ris, json):fmt>")
def export(work_id: str, fmt: str):
    doc = _work(work_id)
    mimetype, render = EXPORTS[fmt]
    body = render(doc, _names(doc))
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", doc["id"]) + f".{fmt}"
    return Response(body, headers={"Content-Type": mimetype,
                                   "Content-Disposition": f'inline; filename="{filename}"'})
