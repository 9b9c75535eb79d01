"""Researcher pages: the profile, all works (paged), recommended collaborators.

The profile is one msearch: the researcher document and one page of their
newest works (never all of a prolific author's works). Collaborator
recommendations take several engine calls, so the profile loads them
afterwards from /researchers/<id>/recommended, which is also a page of its own.
Follow and claim are the accounts package's (its profile-actions partial).
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from domain.collaborators import closest
from search import documents, recommend, researchers
from search.errors import NotFound
from search.page import Page
from web.pages.common import page_arg, services, valid_id

bp = Blueprint("researchers", __name__, url_prefix="/researchers")

PROFILE_WORKS, WORKS_PAGE = 8, 25
CLOSE_COLLABORATORS = 12
RECOMMENDED = 6


def _load(researcher_id: str, works_page: int, works_size: int) -> tuple[dict, Page]:
    """(researcher, a page of their works) in one round trip."""
    if not valid_id(researcher_id):
        raise NotFound("researcher", researcher_id[:64])
    s = services()
    return researchers.profile_with_works(s.opensearch, s.settings, researcher_id, works_page, works_size)


def topics(doc: dict) -> list[dict]:
    ids = doc.get("topics") or []
    labels = doc.get("topic_labels") or []
    return [{"id": ids[i] if i < len(ids) else label, "label": label} for i, label in enumerate(labels)]


def work_links(doc: dict, works: Page) -> dict[str, dict]:
    """{work id: why it is on this profile} for the works the linker attached to the person:
    from the researcher's `linked_works`, else from the work's own mention of them."""
    linked = {lw["work_id"]: lw for lw in doc.get("linked_works") or [] if isinstance(lw, dict) and lw.get("work_id")}
    out = {}
    for w in works.results:
        link = linked.get(w["id"]) or next(
            (a["link"] for a in w.get("authors") or [] if a.get("id") == doc["id"] and a.get("link")), None)
        if link and link.get("method") != "kept apart":
            out[w["id"]] = link
    return out


def namesakes(doc: dict, works: Page) -> list[dict]:
    """The Anthology researchers this person's mentions (on the works shown) were kept apart
    from, once each, with the resolver's reason: [{"id", "name", "evidence"}] (names filled in
    by `profile`)."""
    out: dict[str, dict] = {}
    for w in works.results:
        for a in w.get("authors") or []:
            link = a.get("link") or {}
            if a.get("id") == doc["id"] and link.get("method") == "kept apart" and link.get("candidate"):
                out.setdefault(link["candidate"], {"id": link["candidate"], "evidence": link.get("evidence")})
    return list(out.values())


@bp.get("/<researcher_id>")
def profile(researcher_id: str):
    doc, works = _load(researcher_id, 1, PROFILE_WORKS)
    apart = namesakes(doc, works)
    if apart:
        s = services()
        names = documents.get_many(s.opensearch, s.settings, "researchers", [n["id"] for n in apart], ["name"])
        apart = [{**n, "name": names.get(n["id"], {}).get("name") or n["id"]} for n in apart]
    return render_template("researcher.html", r=doc, works=works, topics=topics(doc), links=work_links(doc, works),
                           collaborators=closest(doc.get("collaborators") or []), close=CLOSE_COLLABORATORS,
                           namesakes=apart)


@bp.get("/<researcher_id>/works")
def works_page(researcher_id: str):
    page = page_arg()
    doc, works = _load(researcher_id, page, WORKS_PAGE)
    if page > 1 and not works.results:
        abort(404)
    return render_template("researcher_works.html", r=doc, works=works, links=work_links(doc, works))


@bp.get("/<researcher_id>/recommended")
def recommended(researcher_id: str):
    if not valid_id(researcher_id):
        raise NotFound("researcher", researcher_id[:64])
    s = services()
    recs = recommend.recommend_collaborators(s.opensearch, s.settings, researcher_id,
                                             {"size": RECOMMENDED})
    fragment = request.args.get("fragment") == "1"
    return render_template("recommended_fragment.html" if fragment else "recommended.html",
                           recs=recs.results, seed=recs.seed, researcher_id=researcher_id)
