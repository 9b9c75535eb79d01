"""Wiring into the Flask app: session cookie settings, CSRF, sign-in sessions (Flask-Login),
the database session's lifetime, template globals, the blueprint, and the redirect of a merged-away
profile's address to the profile it was merged into. Nothing connects here."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask
from flask_login import LoginManager
from sqlalchemy.exc import SQLAlchemyError

from web import errors
from web.accounts import context, overrides, profile
from web.accounts.csrf import csrf

log = logging.getLogger(__name__)


def _login_manager() -> LoginManager:
    manager = LoginManager()
    manager.user_loader(context.load_user)
    # Sessions end with the password (the id's fingerprint), not when the client's address changes.
    manager.session_protection = None
    return manager


def init_app(app: Flask) -> None:
    from web.accounts.views import bp

    settings = app.extensions["peerscope"].settings
    # Flask ships defaults for these (SameSite None, not Secure), so they are set, not defaulted.
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=settings.session_cookie_secure,
                      PERMANENT_SESSION_LIFETIME=timedelta(days=14))
    # Only the accounts views check tokens (their blueprint calls csrf.protect()); the
    # public JSON API's POST /api/works/similar takes no cookie and needs none.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # tied to the session instead of a clock
    csrf.init_app(app)
    # `current_user()` below is the templates' way in (Flask-Login's own context variable would shadow it)
    _login_manager().init_app(app, add_context_processor=False)
    app.teardown_appcontext(context.close_session)
    app.add_template_global(profile.corrections_for, "corrections_for")
    app.add_template_global(profile.profile_panel, "profile_panel")
    app.add_template_global(context.current_user, "current_user")
    app.add_template_global(context.is_admin, "is_admin")
    app.register_blueprint(bp)
    errors.on_moved(app, _merged_profile)


def _merged_profile(kind: str, researcher_id: str) -> str | None:
    """Where a merged-away profile went (its address redirects there); None when the store
    knows nothing of it or cannot be read (the 404 stands)."""
    if kind != "researcher":
        return None
    try:
        return overrides.merged_profile(context.dbs(), researcher_id)
    except SQLAlchemyError:
        log.warning("accounts store not readable: %s answers 404 without looking for a merge", researcher_id)
        return None
