"""HTML pages, rendered on the server: home and search, researcher profiles, works, the graph explorer.

One parent blueprint with a child per area. Pages call the same search/
services as the JSON API (never the API over HTTP) and work without
JavaScript; the static scripts only add typeahead, lazy sections and the graph.
"""
from __future__ import annotations

from flask import Blueprint

from web.pages import errors, explore, filters, home, researchers, works

bp = Blueprint("pages", __name__)
bp.register_blueprint(home.bp)
bp.register_blueprint(researchers.bp)
bp.register_blueprint(works.bp)
bp.register_blueprint(explore.bp)
filters.register(bp)
errors.register(bp)
