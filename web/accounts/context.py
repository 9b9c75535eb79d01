"""What account views share: the request's database session, the signed-in user,
guards that raise 401/403, index look-ups, and queueing index syncs after a commit."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import current_app, g, request, session
from flask_login import current_user as signed_in
from flask_login import login_user, logout_user
from sqlalchemy.orm import Session

from search import documents
from web.accounts import db, jobs
from web.accounts.errors import AccountError, Missing, NotAllowed, NotSignedIn
from web.accounts.models import SyncEvent, User

ID_MAX = 200


def attempt(action: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    """Run a store action a form asked for: (its result, None), or (None, the message) when the
    store refuses the input (a 400, shown beside the form); any other refusal keeps its status."""
    try:
        return action(*args), None
    except AccountError as exc:
        if exc.status != 400:
            raise
        return None, exc.message


def services() -> Any:
    return current_app.extensions["peerscope"]


def settings():
    return services().settings


def dbs() -> Session:
    """One session per request, closed at teardown (see app.py)."""
    if "accounts_db" not in g:
        g.accounts_db = db.session_for(settings().accounts_database_url)
    return g.accounts_db


def close_session(_exc=None) -> None:
    s = g.pop("accounts_db", None)
    if s is not None:
        s.close()


def load_user(session_id: str) -> User | None:
    """Flask-Login's user loader: the user of `session_id` ("<id>:<password fingerprint>"), or
    None once the password has changed since that session signed in."""
    uid, _, _ = session_id.partition(":")
    user = dbs().get(User, int(uid)) if uid.isdigit() else None
    return user if user is not None and user.get_id() == session_id else None


def sign_in(user: User) -> None:
    session.clear()  # nothing from before signing in carries over
    login_user(user)
    session.permanent = True


def sign_out() -> None:
    session.clear()
    logout_user()


def current_user() -> User | None:
    return signed_in._get_current_object() if signed_in.is_authenticated else None


def is_admin(user: User | None) -> bool:
    return bool(user and user.verified and user.email in settings().admin_emails)


def require_user(verified: bool = False) -> User:
    user = current_user()
    if user is None:
        raise NotSignedIn("Sign in to do this.")
    if verified and not user.verified:
        raise NotAllowed("Verify your e-mail address first: open the link we sent you, or ask for a new one "
                         "on your account page.")
    return user


def require_admin() -> User:
    user = require_user(verified=True)
    if not is_admin(user):
        raise NotAllowed("Only an admin can review claims and profile requests.")
    return user


def _found(kind: str, doc_id: str, look_up) -> dict:
    doc = look_up(services().opensearch, settings(), doc_id) if doc_id and len(doc_id) <= ID_MAX else None
    if doc is None:
        raise Missing(f"There is no {kind} {doc_id[:64]!r}.")
    return doc


def researcher(researcher_id: str) -> dict:
    return _found("researcher", researcher_id, documents.researcher_summary)


def work(work_id: str) -> dict:
    return _found("work", work_id, documents.work_summary)


def work_or_none(work_id: str) -> dict | None:
    return documents.work_summary(services().opensearch, settings(), work_id) if work_id and len(work_id) <= ID_MAX \
        else None


def commit_and_sync(events: Iterable[SyncEvent | None] = ()) -> None:
    """Commit the request's transaction, then queue the index syncs it recorded."""
    pending = [jobs.event_key(e) for e in events if e is not None]
    dbs().commit()
    for event in pending:
        jobs.enqueue_sync(services().queue, settings().index_prefix, event)


def site() -> str:
    """The site's address for links in mail: PEERSCOPE_PUBLIC_URL, else the request's."""
    from web.accounts.notify import base_url

    return base_url(settings(), request.host_url)


def client_address() -> str:
    return request.remote_addr or "unknown"


def safe_next(target: str | None, default: str) -> str:
    """A same-site path to return to after signing in; anything else gives `default`."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and len(target) <= 500 and all(ord(c) > 32 for c in target):
        return target
    return default
