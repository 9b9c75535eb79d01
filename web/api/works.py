"""/api/works: works search, single works, similar works."""
from __future__ import annotations

from flask import Blueprint
from werkzeug.routing import BaseConverter

from search import similar, works
from search.page import Page
from web import schemas as S
from web.api.common import endpoint, services

bp = Blueprint("works", __name__, url_prefix="/works")


class WorkId(BaseConverter):
    """A work id: one path segment other than `similar`, which names the POST-only action on
    the collection (so /works/similar allows POST alone, and says so in Allow)."""

    regex = r"(?!similar$)[^/]+"
    part_isolating = True  # matched one segment at a time (werkzeug guesses False from the "/")


bp.record_once(lambda state: state.app.url_map.converters.setdefault("work_id", WorkId))


@bp.get("")
@endpoint(S.WorkList, args=S.WorkSearchArgs)
def search(args: dict) -> Page:
    """Search works: hybrid (default), keyword (with highlights) or vector."""
    s = services()
    embed = s.embed if args["mode"] != "keyword" and args["q"].strip() else None
    return works.search_works(s.opensearch, s.settings, args, embed)


@bp.post("/similar")
@endpoint(S.WorkList, body=S.SimilarSetBody)
def similar_to_set(body: dict) -> Page:
    """Works like the positive examples (and text), unlike the negative ones."""
    s = services()
    return similar.similar_to_set(s.opensearch, s.settings, body, s.embed if body.get("text") else None)


@bp.get("/<work_id:work_id>")
@endpoint(S.Work)
def work(work_id: str) -> dict:
    """One work with its abstract."""
    s = services()
    return works.get_work(s.opensearch, s.settings, work_id)


@bp.get("/<work_id:work_id>/similar")
@endpoint(S.WorkList, args=S.SimilarWorkArgs)
def similar_to_work(work_id: str, args: dict) -> Page:
    """Works similar to this one (never itself), optionally not by its authors."""
    s = services()
    return similar.similar_to_work(s.opensearch, s.settings, work_id, args)
