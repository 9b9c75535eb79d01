"""OpenAPI 3 description of /api, generated from the routes and their schemas.

Every view made with `web.api.common.endpoint` carries its request and
response schema classes; this module walks the app's URL map, so a new
endpoint is documented by existing, with no list to keep in sync.
"""
from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, jsonify
from marshmallow import Schema

from web.api.common import DOC_ATTR
from web.schemas import MAX_ID, Args, Error

bp = Blueprint("openapi", __name__)
_PATH_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_ERRORS = {"400": "Invalid arguments", "404": "Not found", "413": "Request body too large",
           "414": "Request line too long", "429": "Too many requests (see Retry-After)",
           "503": "Search engine unavailable"}


def _json(schema) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _nested_args(schema: type[Schema]) -> list[type[Schema]]:
    """The request schemas nested in `schema` (e.g. a body's filters), innermost first."""
    out: list[type[Schema]] = []
    for field in schema._declared_fields.values():
        inner = getattr(field, "nested", None)
        if isinstance(inner, type) and issubclass(inner, Args):
            out += [*_nested_args(inner), inner]
    return out


def _register(spec: APISpec, schema: type[Schema], done: set) -> dict:
    """A body schema as a component with its rules across fields (web.schemas RULES) stated as
    JSON Schema, nested request schemas first; returns its $ref."""
    for inner in _nested_args(schema):
        if inner not in done:
            _register(spec, inner, done)
    if schema not in done:
        rules = getattr(schema, "RULES", ())
        for rule in rules:
            if rule.name not in done:
                spec.components.schema(rule.name, component=rule.json_schema())
                done.add(rule.name)
        component = {"allOf": [_ref(rule.name) for rule in rules],
                     "description": "; ".join(rule.json_schema()["description"] for rule in rules)}
        spec.components.schema(schema.__name__, component=component if rules else None, schema=schema)
        done.add(schema)
    return _ref(schema.__name__)


def _no_null_in_queries(spec: dict) -> dict:
    """A query string has no null: an argument is given or left out (and takes its default)."""
    for operations in spec["paths"].values():
        for op in operations.values():
            for param in op.get("parameters", []):
                if param["in"] == "query":
                    param["schema"].pop("nullable", None)
                    if "default" in param["schema"] and param["schema"]["default"] is None:
                        del param["schema"]["default"]
    return spec


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _path_schema(rule: Any, name: str) -> dict:
    """A path argument: one of its values where the route lists them (`<any(a, b):name>`)."""
    items = getattr(rule._converters.get(name), "items", None)
    if items:
        return {"type": "string", "enum": sorted(items)}
    return {"type": "string", "minLength": 1, "maxLength": MAX_ID}


def build_spec(app: Flask) -> dict:
    spec = APISpec(title="Peerscope API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Search researchers and works, find similar work "
                                        "and collaborators."})
    spec.components.schema("Error", schema=Error)
    registered: set = set()
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        doc = getattr(app.view_functions.get(rule.endpoint), DOC_ATTR, None)
        if doc is None:
            continue
        path = _PATH_ARG.sub(r"{\1}", rule.rule)
        params = [{"in": "path", "name": name, "required": True, "schema": _path_schema(rule, name)}
                  for name in _PATH_ARG.findall(rule.rule)]
        if doc["args"] is not None:
            params.append({"in": "query", "schema": doc["args"]})
        op: dict = {"summary": doc["summary"], "operationId": rule.endpoint.replace(".", "_"),
                    "parameters": params,
                    "responses": {"200": {"description": "OK", **_json(doc["response"])},
                                  **{code: {"description": text, **_json("Error")}
                                     for code, text in _ERRORS.items()}}}
        if "researcher_id" in _PATH_ARG.findall(rule.rule):  # web.errors.on_moved: a merged-away profile
            op["responses"]["301"] = {"description": "The profile was merged into another: Location is the same "
                                                     "request under that profile's id",
                                      "headers": {"Location": {"schema": {"type": "string"}}}}
        if doc["body"] is not None:
            op["requestBody"] = {"required": True, **_json(_register(spec, doc["body"], registered))}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = op
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return _no_null_in_queries(spec.to_dict())


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI description, built once per process."""
    cached = current_app.extensions.get("peerscope_openapi")
    if cached is None:
        cached = current_app.extensions["peerscope_openapi"] = build_spec(current_app)
    return jsonify(cached)
