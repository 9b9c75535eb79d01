"""What researcher pages show from the accounts store.

`corrections_for(researcher_id)` is the data source of the "corrected by the
owner" list; `profile_panel(researcher_id)` adds what the viewer may do
(follow, claim, edit, invite). Both are template globals (see app.py) and
degrade to "nothing known" when the accounts store is not set up, so a
profile page never fails because of accounts.
"""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import OperationalError, ProgrammingError

from web.accounts import claims, corrections, follows, jobs
from web.accounts import context as C

log = logging.getLogger(__name__)


def _store_failed(exc: Exception) -> None:
    log.warning("accounts store not readable for a profile page: %r", exc)
    C.dbs().rollback()


def corrections_for(researcher_id: str) -> list[dict[str, Any]]:
    """Active owner corrections, newest first: {id, kind, label, value, previous, by, at, undone}."""
    try:
        return corrections.history(C.dbs(), researcher_id)
    except (OperationalError, ProgrammingError) as exc:
        _store_failed(exc)
        return []


def profile_panel(researcher_id: str) -> dict[str, Any]:
    """{signed_in, following, claimed, is_owner, can_invite, syncing} for the viewer of a profile;
    `syncing`: a change made here (a claim approved, an edit, a follow) still waits for the job
    that writes it into the index, so the page says it updates within a minute."""
    user = None
    try:
        session = C.dbs()
        user = C.current_user()
        owner = claims.owner_claim(session, researcher_id)
        is_owner = owner is not None and user is not None and owner.user_id == user.id
        return {
            "signed_in": user is not None,
            "following": follows.is_following(session, user, researcher_id),
            "claimed": owner is not None,
            "is_owner": is_owner,
            "can_invite": (owner is not None and not is_owner
                           and corrections.open_to_collaborate(session, researcher_id)),
            "syncing": bool(jobs.waiting(session, [researcher_id])),
        }
    except (OperationalError, ProgrammingError) as exc:
        _store_failed(exc)
        return {"signed_in": False, "following": False, "claimed": False, "is_owner": False,
                "can_invite": False, "syncing": False}
