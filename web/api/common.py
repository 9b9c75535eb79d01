"""The glue every API view shares: validate, call, dump, and document itself.

`@endpoint(...)` loads query args / JSON body with a request schema (raising
ValidationError before any engine call), dumps the view's dict with the
response schema, turns `next` into a URL, and records the schemas on the view
so web/api/openapi.py can describe it without a hand-kept list.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any
from urllib.parse import urlencode

from flask import current_app, jsonify, request
from marshmallow import Schema, ValidationError

from search.page import Page
from web.schemas import MAX_ID

DOC_ATTR = "api_doc"


def services() -> Any:
    """The per-app Services (settings, opensearch, redis, queue, embed)."""
    return current_app.extensions["peerscope"]


def next_url(nxt: dict | None) -> str | None:
    """The current URL with page/cursor replaced by `nxt` ({"page": n} or {"cursor": t})."""
    if not nxt:
        return None
    params = {k: v for k, v in request.args.items() if k not in ("page", "cursor")}
    params.update(nxt)
    return f"{request.path}?{urlencode(params)}"


def _query_args() -> dict:
    repeated = {k: ["Give this argument once."] for k, v in request.args.lists() if len(v) > 1}
    if repeated:
        raise ValidationError(repeated)
    return request.args.to_dict(flat=True)


def _check_path(path: dict) -> None:
    bad = {k: [f"Longer than {MAX_ID} characters."] for k, v in path.items()
           if isinstance(v, str) and len(v) > MAX_ID}
    if bad:
        raise ValidationError(bad)


@lru_cache(maxsize=None)
def _schema(cls: type[Schema]) -> Schema:
    """One instance per schema class: building one copies all its fields, which cost more than
    loading the arguments (marshmallow schemas keep no state between load and dump calls)."""
    return cls()


def endpoint(response: type[Schema], *, args: type[Schema] | None = None,
             body: type[Schema] | None = None, summary: str = "") -> Callable:
    def deco(fn: Callable[..., dict | Page]) -> Callable:
        @wraps(fn)
        def view(**path: Any):
            _check_path(path)
            kwargs: dict[str, Any] = {}
            if args is not None:
                kwargs["args"] = _schema(args).load(_query_args())
            if body is not None:
                data = request.get_json(silent=True)
                if not isinstance(data, dict):
                    raise ValidationError({"_schema": ["Send a JSON object."]})
                kwargs["body"] = _schema(body).load(data)
            result = fn(**path, **kwargs)
            if isinstance(result, Page):
                result = result.as_dict()
            if isinstance(result.get("next"), dict):
                result = {**result, "next": next_url(result["next"])}
            return jsonify(_schema(response).dump(result))

        setattr(view, DOC_ATTR, {"response": response, "args": args, "body": body,
                                 "summary": summary or (fn.__doc__ or "").strip().split("\n")[0]})
        return view
    return deco
