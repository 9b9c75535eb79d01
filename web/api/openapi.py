"""OpenAPI 3 description of /api, generated from the routes and their schemas.

Every view made with `web.api.common.endpoint` carries its request and
response schema classes; this module walks the app's URL map, so a new
endpoint is documented by existing, with no list to keep in sync.
"""
from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, jsonify

from web.api.common import DOC_ATTR
from web.schemas import Error

bp = Blueprint("openapi", __name__)
_PATH_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_ERRORS = {"400": "Invalid arguments", "404": "Not found", "413": "Request body too large",
           "429": "Too many requests (see Retry-After)", "503": "Search engine unavailable"}


def _json(schema) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def build_spec(app: Flask) -> dict:
    spec = APISpec(title="Peerscope API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Search researchers and works, find similar work "
                                        "and collaborators."})
    spec.components.schema("Error", schema=Error)
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        doc = getattr(app.view_functions.get(rule.endpoint), DOC_ATTR, None)
        if doc is None:
            continue
        path = _PATH_ARG.sub(r"{\1}", rule.rule)
        params = [{"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                  for name in _PATH_ARG.findall(rule.rule)]
        if doc["args"] is not None:
            params.append({"in": "query", "schema": doc["args"]})
        op: dict = {"summary": doc["summary"], "operationId": rule.endpoint.replace(".", "_"),
                    "parameters": params,
                    "responses": {"200": {"description": "OK", **_json(doc["response"])},
                                  **{code: {"description": text, **_json("Error")}
                                     for code, text in _ERRORS.items()}}}
        if doc["body"] is not None:
            op["requestBody"] = {"required": True, **_json(doc["body"])}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = op
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI description, built once per process."""
    cached = current_app.extensions.get("peerscope_openapi")
    if cached is None:
        cached = current_app.extensions["peerscope_openapi"] = build_spec(current_app)
    return jsonify(cached)
