"""/api/researchers: people search, typeahead, profiles, collaborator recommendations."""
from __future__ import annotations

from flask import Blueprint

from search import recommend, researchers
from search.page import Page
from web import schemas as S
from web.api.common import endpoint, services

bp = Blueprint("researchers", __name__, url_prefix="/researchers")


@bp.get("")
@endpoint(S.ResearcherList, args=S.ResearcherSearchArgs)
def search(args: dict) -> Page:
    """Search researchers by name, affiliation or topic, with facets."""
    s = services()
    return researchers.search_researchers(s.opensearch, s.settings, args)


@bp.get("/autocomplete")
@endpoint(S.ResearcherList, args=S.AutocompleteArgs)
def autocomplete(args: dict) -> Page:
    """Typeahead on researcher names."""
    s = services()
    return researchers.autocomplete(s.opensearch, s.settings, args["q"], args["size"])


@bp.get("/<researcher_id>")
@endpoint(S.Researcher)
def profile(researcher_id: str) -> dict:
    """One researcher profile."""
    s = services()
    return researchers.get_researcher(s.opensearch, s.settings, researcher_id)


@bp.get("/<researcher_id>/collaborators")
@endpoint(S.CollaboratorList, args=S.CollaboratorArgs)
def collaborators(researcher_id: str, args: dict) -> Page:
    """Recommended new collaborators, each with the reasons why."""
    s = services()
    return recommend.recommend_collaborators(s.opensearch, s.settings, researcher_id, args)
