"""Friendly HTML error pages for everything outside /api (the API keeps its JSON errors).

Two hooks: a blueprint handler for failures inside page views (missing
researcher or work -> 404, engine down -> 503), and an app-wide handler for
HTTP errors such as an unknown URL, which no blueprint owns; that one hands
/api paths back to the JSON handler in web/errors.py.
"""
from __future__ import annotations

import logging

from flask import Blueprint, render_template, request
from werkzeug.exceptions import HTTPException

from web import errors as api_errors

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("This request could not be understood", "Check the address or go back and try again."),
    404: ("Page not found", "We could not find that page. It may have moved, or the address may be mistyped."),
    405: ("Not allowed", "That page cannot be used this way."),
    500: ("Something went wrong", "Something went wrong on our side. Please try again."),
    503: ("Search is resting", "The search engine is not reachable right now. Please try again in a moment."),
}


def render_error(status: int, title: str | None = None, message: str | None = None,
                 headers: dict[str, str] | None = None):
    default_title, default_message = MESSAGES.get(status, MESSAGES[500])
    body = render_template("error.html", status=status, title=title or default_title,
                           message=message or default_message, q=request.args.get("q", "")[:256])
    headers = {**({"Retry-After": "30"} if status == 503 else {}), **(headers or {})}
    return body, status, headers


def page_error(exc: Exception):
    """Any exception raised inside a page view."""
    if isinstance(exc, HTTPException):
        return http_error(exc)
    if (redirect_to := api_errors.moved(exc)) is not None:  # a profile merged into another
        return redirect_to
    api = api_errors.to_api_error(exc)
    if api is None:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)
    if api.status == 404:
        return render_error(404, "Not found", _not_found_message(str(exc)))
    if api.status >= 500:
        log.warning("%s on %s: %r", api.code, request.path, exc)
        return render_error(503)
    return render_error(400)


def http_error(exc: HTTPException):
    """App-wide: HTTP errors on pages as HTML, on /api as the API's JSON."""
    if request.path.startswith("/api"):
        return api_errors.handle_error(exc)
    status = exc.code or 500
    status = status if status in MESSAGES else 500 if status >= 500 else 400
    # the exception's own headers (Allow on a 405) when its status is the one answered
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"} if status == exc.code else {}
    return render_error(status, headers=headers)


def _not_found_message(text: str) -> str:
    kind = text.split(" not found", 1)[0] if " not found" in text else ""
    if kind == "researcher":
        return "There is no researcher profile at this address. Try searching for the name instead."
    if kind == "work":
        return "There is no paper at this address. Try searching for its title instead."
    return MESSAGES[404][1]


def register(bp: Blueprint) -> None:
    bp.register_error_handler(Exception, page_error)
    bp.app_errorhandler(HTTPException)(http_error)
