"""The JSON API under /api: one parent blueprint, one child per resource."""
from __future__ import annotations

from flask import Blueprint

from web.api import graph, openapi, researchers, works

bp = Blueprint("api", __name__, url_prefix="/api")
bp.register_blueprint(researchers.bp)
bp.register_blueprint(works.bp)
bp.register_blueprint(graph.bp)
bp.register_blueprint(openapi.bp)
