"""The accounts blueprint: one parent (CSRF on every write, one error handling), a child per area."""
from __future__ import annotations

from flask import Blueprint, request

from web.accounts import errors
from web.accounts.context import current_user
from web.accounts.csrf import csrf
from web.accounts.errors import NotSignedIn
from web.accounts.views import api, auth, claims, follows, invitations, leaving, owner

bp = Blueprint("accounts", __name__, static_folder="../static", static_url_path="/accounts-static")
for child in (auth, claims, owner, follows, invitations, leaving, api):
    bp.register_blueprint(child.bp)
errors.register(bp)


# Writes that need no session (everything else answers 401 without one).
ANONYMOUS_WRITES = {"accounts.auth.signup", "accounts.auth.login", "accounts.auth.logout", "accounts.auth.forgot",
                    "accounts.auth.reset"}


@bp.before_request
def guard_writes() -> None:
    """Every POST/PUT/PATCH/DELETE needs a session (401 first: without one there is nothing
    to forge) and then the session's CSRF token (a form field, or the X-CSRFToken header)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.endpoint not in ANONYMOUS_WRITES and current_user() is None:
        raise NotSignedIn("Sign in to do this.")
    csrf.protect()
