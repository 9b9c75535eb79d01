"""/api/graph: research-graph slices (nodes + edges) around a researcher, work, topic or institution.

Every node carries `expand`, the URL of its own slice, so a client grows the
graph by fetching the `expand` URL of the node a person opens and merging the
answer (nodes and edges have stable ids); `url` is the node's HTML page.
"""
from __future__ import annotations

from flask import Blueprint, url_for
from marshmallow import Schema, fields
from marshmallow.validate import Range

from search import graph
from web.api.common import endpoint, services
from web.pages.filters import node_url
from web.schemas import Args

bp = Blueprint("graph", __name__, url_prefix="/graph")
PLURAL = {"researchers": "researcher", "works": "work", "topics": "topic", "institutions": "institution"}
SINGULAR = {v: k for k, v in PLURAL.items()}


class GraphArgs(Args):
    limit = fields.Int(load_default=graph.DEFAULT_LIMIT, validate=Range(1, graph.MAX_LIMIT),
                       metadata={"description": "at most this many neighbours of each kind"})


class GraphNode(Schema):
    id = fields.Str(metadata={"description": "kind prefix and key, e.g. r:shengding-hu"})
    kind = fields.Str(metadata={"enum": list(SINGULAR)})
    key = fields.Str()
    label = fields.Str()
    year = fields.Int(allow_none=True)
    works_count = fields.Int(allow_none=True)
    url = fields.Str(metadata={"description": "the node's page"})
    expand = fields.Str(metadata={"description": "the node's own slice, to merge in"})


class GraphEdge(Schema):
    id = fields.Str()
    source = fields.Str()
    target = fields.Str()
    kind = fields.Str(metadata={"enum": ["authored", "co-author", "topic", "affiliation", "similar"]})
    weight = fields.Float()


class Graph(Schema):
    center = fields.Str()
    nodes = fields.List(fields.Nested(GraphNode))
    edges = fields.List(fields.Nested(GraphEdge))


def with_links(data: dict) -> dict:
    for node in data["nodes"]:
        node["url"] = node_url(node)
        node["expand"] = url_for("api.graph.slice", kind=SINGULAR[node["kind"]], key=node["key"])
    return data


@bp.get(f"/<any({', '.join(PLURAL)}):kind>/<path:key>")  # the kinds are in the OpenAPI description
@endpoint(Graph, args=GraphArgs)
def slice(kind: str, key: str, args: dict) -> dict:  # noqa: A001 - the endpoint's name
    """A slice of the research graph around one node."""
    s = services()
    return with_links(graph.build(s.opensearch, s.settings, PLURAL[kind], key, args["limit"]))
