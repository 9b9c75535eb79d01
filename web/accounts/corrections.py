"""Owner corrections of a claimed profile: each edit keeps who, when and the value before,
shows on the profile, survives a full reindex (overrides.py) and can be undone.

The views pass the documents they read from the index (the researcher, a
work) so that these rules need no engine; the sync job writes the result.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.accounts.claims import NOTE_MAX, require_owner
from web.accounts.errors import Conflict, Invalid, Missing, NotAllowed
from web.accounts.jobs import record_sync
from web.accounts.models import Correction, ProfileRequest, SyncEvent, User, utcnow

AFFILIATION_MAX, DETAIL_MIN, DETAIL_MAX = 300, 10, 2000
LABELS = {"open_to_collaborate": "Open to collaborate", "affiliation": "Current affiliation",
          "hide_work": "Work hidden from this profile", "attach_work": "Work added to this profile"}


def active(session: Session, researcher_id: str, kind: str | None = None) -> list[Correction]:
    q = select(Correction).where(Correction.researcher_id == researcher_id, Correction.reverted_at.is_(None))
    if kind:
        q = q.where(Correction.kind == kind)
    return list(session.scalars(q.order_by(Correction.id)))


def open_to_collaborate(session: Session, researcher_id: str) -> bool:
    """The owner's latest word; a profile nobody marked is not open."""
    rows = active(session, researcher_id, "open_to_collaborate")
    return bool(rows[-1].value) if rows else False


def _record(session: Session, user: User, researcher_id: str, kind: str, value: Any,
            previous: Any) -> tuple[Correction, SyncEvent]:
    row = Correction(researcher_id=researcher_id, user_id=user.id, kind=kind, value=value, previous=previous)
    session.add(row)
    session.flush()
    return row, record_sync(session, researcher_id, kind)


def set_open(session: Session, user: User, doc: dict, value: bool) -> tuple[Correction, SyncEvent]:
    require_owner(session, user, doc["id"])
    before = open_to_collaborate(session, doc["id"])
    if before == value:
        raise Conflict("Nothing to change: the profile already says so.")
    return _record(session, user, doc["id"], "open_to_collaborate", bool(value), before)


def set_affiliation(session: Session, user: User, doc: dict, value: str) -> tuple[Correction, SyncEvent]:
    require_owner(session, user, doc["id"])
    value = " ".join((value or "").split())
    if len(value) > AFFILIATION_MAX:
        raise Invalid(f"Keep the affiliation under {AFFILIATION_MAX} characters.")
    rows = active(session, doc["id"], "affiliation")
    before = rows[-1].value if rows else doc.get("current_affiliation")
    if (before or "") == value:
        raise Conflict("Nothing to change: that is the current affiliation.")
    return _record(session, user, doc["id"], "affiliation", value or None, before)


def _require_owner_or_admin(session: Session, user: User, researcher_id: str, admin: bool) -> None:
    """Works on a profile (a wrong link taken off, a missing one attached) may also be corrected
    by an admin; the correction records the admin as its author like any other."""
    if not admin:
        require_owner(session, user, researcher_id)


def _author_ids(work: dict) -> set[str]:
    return {a.get("id") for a in work.get("authors") or []}


def _active_for_work(session: Session, researcher_id: str, kind: str, work_id: str) -> Correction | None:
    return next((c for c in active(session, researcher_id, kind) if c.value == work_id), None)


def hide_work(session: Session, user: User, doc: dict, work: dict, *,
              admin: bool = False) -> tuple[Correction, SyncEvent]:
    """Hide a work the record attributes to this profile (not theirs: a wrong link too)."""
    _require_owner_or_admin(session, user, doc["id"], admin)
    if doc["id"] not in _author_ids(work):
        raise Invalid("That work is not attributed to this profile in the record; "
                      "to take off a work you added, undo that correction.")
    if _active_for_work(session, doc["id"], "hide_work", work["id"]):
        raise Conflict("That work is already hidden from this profile.")
    return _record(session, user, doc["id"], "hide_work", work["id"], "shown")


def attach_work(session: Session, user: User, doc: dict, work: dict, *,
              admin: bool = False) -> tuple[Correction, SyncEvent]:
    """Attach a work the record does not attribute to this profile (it is theirs: a link the
    resolver missed too)."""
    _require_owner_or_admin(session, user, doc["id"], admin)
    if work.get("hidden"):
        raise Invalid("That work was removed or retracted by its publisher.")
    if doc["id"] in _author_ids(work):
        raise Conflict("That work is already on this profile.")
    if _active_for_work(session, doc["id"], "attach_work", work["id"]):
        raise Conflict("That work is already attached to this profile.")
    return _record(session, user, doc["id"], "attach_work", work["id"], "not listed")


def undo(session: Session, user: User, correction_id: int, *, admin: bool = False) -> tuple[Correction, SyncEvent]:
    """Undo a correction (an admin may undo the work corrections of any profile)."""
    row = session.get(Correction, correction_id)
    if row is None:
        raise Missing(f"There is no correction {correction_id}.")
    _require_owner_or_admin(session, user, row.researcher_id, admin and row.kind in ("hide_work", "attach_work"))
    if row.reverted_at is not None:
        raise Conflict("That correction was already undone.")
    if row.kind in ("open_to_collaborate", "affiliation"):
        later = [c for c in active(session, row.researcher_id, row.kind) if c.id > row.id]
        if later:
            raise Conflict("A later edit of the same field is in effect; undo that one first.")
    row.reverted_at, row.reverted_by_id = utcnow(), user.id
    return row, record_sync(session, row.researcher_id, f"undo-{row.kind}")


def describe(row: Correction) -> dict[str, Any]:
    """One correction as the profile and the owner's history show it."""
    return {"id": row.id, "kind": row.kind, "label": LABELS.get(row.kind, row.kind), "value": row.value,
            "previous": row.previous, "by": row.user.display_name, "at": row.created_at,
            "undone": row.reverted_at is not None, "undone_at": row.reverted_at}


def history(session: Session, researcher_id: str, include_undone: bool = False) -> list[dict[str, Any]]:
    q = select(Correction).where(Correction.researcher_id == researcher_id)
    if not include_undone:
        q = q.where(Correction.reverted_at.is_(None))
    return [describe(r) for r in session.scalars(q.order_by(Correction.id.desc()))]


# ---------------------------------------------------------------- split and merge requests

def request_change(session: Session, user: User, researcher_id: str, kind: str, other_id: str | None,
                   detail: str) -> ProfileRequest:
    require_owner(session, user, researcher_id)
    detail = (detail or "").strip()
    other_id = (other_id or "").strip() or None
    if kind not in ("split", "merge"):
        raise Invalid("Ask for a split or a merge.")
    if kind == "merge" and (not other_id or other_id == researcher_id):
        raise Invalid("Name the other profile (its id, from its address) to merge into this one.")
    if not DETAIL_MIN <= len(detail) <= DETAIL_MAX:
        raise Invalid(f"Explain the request in {DETAIL_MIN} to {DETAIL_MAX} characters.")
    row = ProfileRequest(researcher_id=researcher_id, user_id=user.id, kind=kind, other_researcher_id=other_id,
                         detail=detail)
    session.add(row)
    session.flush()
    return row


def open_requests(session: Session) -> list[ProfileRequest]:
    return list(session.scalars(select(ProfileRequest).where(ProfileRequest.status == "open")
                                .order_by(ProfileRequest.id)))


def decide_request(session: Session, request_id: int, admin_email: str, status: str, note: str) -> ProfileRequest:
    row = session.get(ProfileRequest, request_id)
    if row is None:
        raise Missing(f"There is no request {request_id}.")
    if status not in ("resolved", "rejected"):
        raise Invalid("Mark the request resolved or rejected.")
    if row.status != "open":
        raise Conflict(f"Request {request_id} was already {row.status}.")
    row.status, row.decided_at, row.decided_by = status, utcnow(), admin_email
    row.decision_note = note.strip()[:NOTE_MAX] or None
    return row


def requests_of(session: Session, user: User, researcher_id: str) -> list[ProfileRequest]:
    if user is None:
        raise NotAllowed("Sign in first.")
    return list(session.scalars(select(ProfileRequest).where(ProfileRequest.researcher_id == researcher_id,
                                                             ProfileRequest.user_id == user.id)
                                .order_by(ProfileRequest.id.desc())))
