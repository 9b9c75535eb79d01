"""/ (the search box and what Peerscope is) and /search (people and papers)."""
from __future__ import annotations

from flask import Blueprint, render_template

from search import finder
from search.params import SOURCES
from web.pages.common import page_arg, services, text_arg, year_arg

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    s = services()
    return render_template("home.html", popular=finder.popular_topics(s.opensearch, s.settings))


@bp.get("/search")
def search_page():
    tab = text_arg("tab")
    mode = text_arg("mode")
    query = finder.Query(
        q=text_arg("q"), tab=tab if tab in finder.TABS else "all", page=page_arg(),
        mode=mode if mode in finder.MODES else "hybrid", topic=text_arg("topic"),
        affiliation=text_arg("affiliation"), venue=text_arg("venue"), year=year_arg("year"),
        source=source if (source := text_arg("source")) in SOURCES else "")
    s = services()
    found = finder.find(s.opensearch, s.settings, query, s.embed)
    return render_template("search.html", query=query, found=found, q=query.q)
