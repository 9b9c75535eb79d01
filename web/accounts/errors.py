"""Errors of the accounts feature, and how they reach people.

Domain code raises AccountError subclasses; views never build error responses
by hand. Under /api they become the API's JSON shape
{"error": {"code", "message"}}; elsewhere an HTML page with the same status
and a way forward (sign in, go back).
"""
from __future__ import annotations

import logging

from flask import Blueprint, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, ProgrammingError

from web.accounts.mail import MailError

log = logging.getLogger(__name__)


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


def mail_failed(exc: MailError):
    log.error("mail not sent on %s: %s", request.path, exc)
    return respond(StoreUnavailable("We could not send the e-mail just now; please try again in a few minutes."))


def store_failed(exc: Exception):
    log.error("accounts store failed on %s: %r", request.path, exc)
    return respond(StoreUnavailable("Accounts are not available right now. (Operators: is the database up, and "
                                    "has `peerscope accounts migrate` been run?)"))


def register(bp: Blueprint) -> None:
    bp.register_error_handler(AccountError, respond)
    bp.register_error_handler(CSRFError, csrf_failed)
    bp.register_error_handler(MailError, mail_failed)
    bp.register_error_handler(OperationalError, store_failed)
    bp.register_error_handler(ProgrammingError, store_failed)
