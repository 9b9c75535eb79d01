"""One JSON error shape and one handler for every failure.

{"error": {"code": "...", "message": "...", "fields": {...}}}; engine and
programming errors are logged with their trace but never sent to the user.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import quote

from flask import Flask, current_app, jsonify, redirect, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from search.errors import EmbeddingUnavailable, EngineFailed, EngineUnreachable, IndexMissing, QueryRejected
from search.errors import NotFound as SearchNotFound

log = logging.getLogger(__name__)


class ApiError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields


class BadRequest(ApiError):
    status, code = 400, "invalid_request"


class NotFound(ApiError):
    status, code = 404, "not_found"


class BadQuery(BadRequest):
    code = "bad_query"


class ServiceUnavailable(ApiError):
    status, code = 503, "search_unavailable"


class IndexUnavailable(ServiceUnavailable):
    code = "index_unavailable"


class ModelUnavailable(ServiceUnavailable):
    code = "embedding_unavailable"


def _body(status: int, code: str, message: str, fields: dict | None = None):
    err: dict = {"code": code, "message": message}
    if fields:
        err["fields"] = fields
    resp = jsonify({"error": err})
    resp.status_code = status
    return resp


def to_api_error(exc: Exception) -> ApiError | None:
    """The ApiError a known exception stands for; None for unexpected ones."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ValidationError):
        msgs = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return BadRequest("The request has invalid arguments.", msgs)
    if isinstance(exc, SearchNotFound):
        return NotFound(str(exc))
    if isinstance(exc, EmbeddingUnavailable):
        return ModelUnavailable("Semantic search is not available; try mode=keyword.")
    if isinstance(exc, EngineUnreachable):  # includes ConnectionTimeout
        return ServiceUnavailable("The search engine is not reachable; try again shortly.")
    if isinstance(exc, IndexMissing):  # the alias/index itself is missing
        return IndexUnavailable("The search index is not available yet.")
    if isinstance(exc, QueryRejected):
        return BadQuery("The search engine rejected this query.")
    if isinstance(exc, EngineFailed):  # 429 / 5xx from the engine
        return ServiceUnavailable("The search engine could not answer; try again shortly.")
    return None


MOVED = "peerscope.moved"  # app.extensions key: resolvers (kind, id) -> the id it now lives under, or None


def on_moved(app: Flask, resolver: Callable[[str, str], str | None]) -> None:
    """Let `resolver` say where a missing document went (a researcher profile merged into
    another): its address then answers with a permanent redirect instead of 404."""
    app.extensions.setdefault(MOVED, []).append(resolver)


def moved(exc: Exception):
    """A 301 to the same address under the id the missing document now has, if a resolver knows
    one (None for anything else: the error is answered as it is)."""
    if not isinstance(exc, SearchNotFound) or len(exc.ids) != 1 or f"/{exc.ids[0]}" not in request.path:
        return None
    old = exc.ids[0]
    for resolver in current_app.extensions.get(MOVED, ()):
        new = resolver(exc.kind, old)
        if new and new != old:
            target = request.path.replace(f"/{old}", "/" + quote(new, safe=":~"), 1)
            query = request.query_string.decode("latin-1")
            return redirect(target + (f"?{query}" if query else ""), 301)
    return None


def handle_error(exc: Exception):
    if (redirect_to := moved(exc)) is not None:
        return redirect_to
    if isinstance(exc, HTTPException):
        if not request.path.startswith("/api"):
            return exc  # HTML pages keep Flask's own error pages
        resp = _body(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"),
                     exc.description or exc.name)
        for name, value in exc.get_headers():  # e.g. Allow on a 405, Retry-After on a 429
            if name.lower() != "content-type":
                resp.headers[name] = value
        return resp
    api = to_api_error(exc)
    if api is None:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _body(500, "internal_error", "Something went wrong on our side.")
    if api.status >= 500 or isinstance(api, BadQuery):
        log.warning("%s on %s: %r", api.code, request.path, exc)
    return _body(api.status, api.code, api.message, api.fields)


def register(app: Flask) -> None:
    app.register_error_handler(Exception, handle_error)
