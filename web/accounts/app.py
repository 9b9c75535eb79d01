"""Wiring into the Flask app: session cookie settings, CSRF, the database session's
lifetime, template globals, and the blueprint. Nothing connects here."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask

from web.accounts import context, profile
from web.accounts.csrf import csrf


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
    app.teardown_appcontext(context.close_session)
    app.add_template_global(profile.corrections_for, "corrections_for")
    app.add_template_global(profile.profile_panel, "profile_panel")
    app.add_template_global(context.current_user, "current_user")
    app.add_template_global(context.is_admin, "is_admin")
    app.register_blueprint(bp)
