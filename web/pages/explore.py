"""/explore?node=r:<id>: the research-graph explorer.

The server renders the node's neighbours as lists of links (the page works
without JavaScript); static/js/graph.js draws the same slice with cytoscape
and grows it when a node is opened, from the JSON at /api/graph/...
"""
from __future__ import annotations

from flask import Blueprint, render_template, url_for

from search import finder, graph
from web.pages.common import services, text_arg

bp = Blueprint("explore", __name__)
PLURAL = {"researcher": "researchers", "work": "works", "topic": "topics", "institution": "institutions"}


def api_url(kind: str, key: str) -> str:
    return url_for("api.graph.slice", kind=PLURAL[kind], key=key)


@bp.get("/explore")
def explore():
    s = services()
    raw = text_arg("node", 300)
    if not raw:
        return render_template("explore.html", data=None, popular=finder.popular_topics(s.opensearch, s.settings))
    try:
        kind, key = graph.parse_node(raw)
    except ValueError:
        return render_template("explore.html", data=None, popular=finder.popular_topics(s.opensearch, s.settings),
                               error="That is not a node of the graph."), 404
    data = graph.build(s.opensearch, s.settings, kind, key)
    center = next(n for n in data["nodes"] if n["id"] == data["center"])
    groups: dict[str, list[dict]] = {k: [] for k in PLURAL}
    for n in data["nodes"]:
        if n["id"] != data["center"]:
            groups[n["kind"]].append(n)
    return render_template("explore.html", data=data, center=center, groups=groups,
                           api=api_url(kind, key), popular=[])
