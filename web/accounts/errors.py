"""Errors of the accounts feature, and how they reach people.

Domain code raises AccountError subclasses; views never build error responses
by hand. Under /api they become the API's JSON shape
{"error": {"code", "message"}}; elsewhere an HTML page with the same status
and a way forward (sign in, go back).
"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_wtf.csrf import CSRFError


class AccountError(Exception):
    status = 400
    code = "invalid_request"

    def __init__(self, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class Invalid(AccountError):
    status, code = 400, "invalid_request"


class NotSignedIn(AccountError):
    status, code = 401, "not_signed_in"


class NotAllowed(AccountError):
    status, code = 403, "forbidden"


class Missing(AccountError):
    status, code = 404, "not_found"


class Conflict(AccountError):
    status, code = 409, "conflict"


class RateLimited(AccountError):
    status, code = 429, "rate_limited"


class StoreUnavailable(AccountError):
    status, code = 503, "accounts_unavailable"


TITLES = {400: "This request could not be used", 401: "Please sign in", 403: "Not allowed",
          404: "Not found", 409: "Already done", 429: "Too many attempts", 503: "Accounts are resting"}


def respond(exc: AccountError):
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
    if request.path.startswith("/api"):
        resp = jsonify({"error": {"code": exc.code, "message": exc.message}})
        resp.status_code = exc.status
        resp.headers.update(headers)
        return resp
    body = render_template("accounts/error.html", status=exc.status, title=TITLES.get(exc.status, "Error"),
                           message=exc.message, signin=exc.status == 401)
    return body, exc.status, headers


def csrf_failed(exc: CSRFError):
    return respond(Invalid("The form expired or did not come from this site; reload the page and try again. "
                           f"({exc.description})"))


def register(bp: Blueprint) -> None:
    bp.register_error_handler(AccountError, respond)
    bp.register_error_handler(CSRFError, csrf_failed)
