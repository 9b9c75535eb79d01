"""Owner corrections of a claimed profile: each edit keeps who, when and the value before,
shows on the profile, survives a full reindex (overrides.py) and can be undone.

The views pass the documents they read from the index (the researcher, a
work) so that these rules need no engine; the sync job writes the result.

Links between arXiv author mentions and researchers are corrected the same way: hiding a
preprint the resolver linked to the profile undoes that link (`detach_link`: the mention
becomes a researcher of its own again), attaching a preprint whose mention was kept apart
links it (`attach_link`: the mention moves, it is not copied), and an approved merge request
gives every mention of the other profile to this one (`merge_profile`); an approved split
request naming a work takes it off (a link undone, or the work hidden).
"""
from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.corrections import ATTACH, DETACH, LINK_KINDS, MERGE, NOT_LINKED, WORK_KINDS
from domain.names import fold
from web.accounts.claims import NOTE_MAX, owner_claim, require_owner
from web.accounts.errors import Conflict, Invalid, Missing, NotAllowed
from web.accounts.jobs import record_sync
from web.accounts.models import Correction, ProfileRequest, SyncEvent, User, utcnow

AFFILIATION_MAX, DETAIL_MIN, DETAIL_MAX = 300, 10, 2000
LABELS = {"open_to_collaborate": "Open to collaborate", "affiliation": "Current affiliation",
          "hide_work": "Work hidden from this profile", "attach_work": "Work added to this profile",
          DETACH: "Link to a preprint undone", ATTACH: "Preprint mention linked to this profile",
          MERGE: "Profile merged into this one"}


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


def _is_preprint(work: dict) -> bool:
    """An arXiv-only work: its author mentions were linked by the resolver, not by the record."""
    return str(work.get("id", "")).startswith("arxiv:")


def linked_slot(work: dict, researcher_id: str) -> tuple[int, dict] | None:
    """The mention of a preprint linked to `researcher_id` (by the resolver or a correction)."""
    for i, a in enumerate(work.get("authors") or []):
        if a.get("id") == researcher_id and (a.get("link") or {}).get("method") not in NOT_LINKED:
            return i, a
    return None


def apart_slot(work: dict, doc: dict) -> tuple[int, dict] | None:
    """The mention of a preprint that is this researcher though not linked to them: the one kept
    apart from them, else one of their name that is a researcher of its own."""
    rid = doc["id"]
    free = [(i, a) for i, a in enumerate(work.get("authors") or [])
            if a.get("id") != rid and (a.get("link") or {}).get("method") in NOT_LINKED]
    for i, a in free:
        link = a.get("link") or {}
        if link.get("candidate") == rid or rid in (link.get("candidates") or ()):
            return i, a
    name = _name_key(doc.get("name") or "")
    return next(((i, a) for i, a in free if name and _name_key(a.get("name") or "") == name), None)


def _name_key(name: str) -> str:
    """A name folded without spaces, hyphens or dots: "Chan Young Park" is "Chanyoung Park"."""
    return "".join(c for c in fold(name) if c.isalnum())


def _slot_before(i: int, slot: dict) -> dict[str, Any]:
    return {"position": i, "id": slot.get("id"), "name": slot.get("name"), "link": slot.get("link")}


def _active_link(session: Session, researcher_id: str, kind: str, work_id: str) -> Correction | None:
    return next((c for c in active(session, researcher_id, kind) if c.value == work_id), None)


def detach_link(session: Session, user: User, doc: dict, work: dict, *, admin: bool = False,
                request: dict | None = None) -> tuple[Correction, SyncEvent]:
    """Undo the link of a preprint's mention to this profile: the mention is someone else."""
    if request is None:
        _require_owner_or_admin(session, user, doc["id"], admin)
    found = linked_slot(work, doc["id"]) if _is_preprint(work) else None
    if found is None:
        raise Invalid("No mention of that preprint is linked to this profile.")
    i, slot = found
    if (slot.get("link") or {}).get("corrected", {}).get("kind") == ATTACH:
        raise Invalid("That mention was linked by a correction; undo that correction instead.")
    if _active_link(session, doc["id"], DETACH, work["id"]):
        raise Conflict("That link is already undone.")
    return _record(session, user, doc["id"], DETACH, work["id"], {**_slot_before(i, slot), **(request or {})})


def attach_link(session: Session, user: User, doc: dict, work: dict, *, admin: bool = False,
                request: dict | None = None) -> tuple[Correction, SyncEvent]:
    """Link a preprint's mention that was kept apart (or made a researcher of its own) to this
    profile: the mention moves here and leaves the profile it was on."""
    if request is None:
        _require_owner_or_admin(session, user, doc["id"], admin)
    if doc["id"] in _author_ids(work):
        raise Conflict("That work is already on this profile.")
    found = apart_slot(work, doc) if _is_preprint(work) else None
    if found is None:
        raise Invalid("No mention of that preprint can be this profile's (none kept apart from it or of its name).")
    if _active_link(session, doc["id"], ATTACH, work["id"]):
        raise Conflict("That mention is already linked to this profile.")
    i, slot = found
    return _record(session, user, doc["id"], ATTACH, work["id"], {**_slot_before(i, slot), **(request or {})})


def hide_work(session: Session, user: User, doc: dict, work: dict, *,
              admin: bool = False) -> tuple[Correction, SyncEvent]:
    """Hide a work the record attributes to this profile (not theirs: a wrong link too). On a
    preprint whose mention the resolver linked here, the link is undone instead."""
    _require_owner_or_admin(session, user, doc["id"], admin)
    if _is_preprint(work) and linked_slot(work, doc["id"]) is not None:
        return detach_link(session, user, doc, work, admin=admin)
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
    if _is_preprint(work) and apart_slot(work, doc) is not None:
        return attach_link(session, user, doc, work, admin=admin)
    if _active_for_work(session, doc["id"], "attach_work", work["id"]):
        raise Conflict("That work is already attached to this profile.")
    return _record(session, user, doc["id"], "attach_work", work["id"], "not listed")


def undo(session: Session, user: User, correction_id: int, *, admin: bool = False) -> tuple[Correction, SyncEvent]:
    """Undo a correction (an admin may undo the work corrections of any profile)."""
    row = session.get(Correction, correction_id)
    if row is None:
        raise Missing(f"There is no correction {correction_id}.")
    _require_owner_or_admin(session, user, row.researcher_id, admin and row.kind in (*WORK_KINDS, *LINK_KINDS))
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
    previous = row.previous if isinstance(row.previous, dict) else {}
    return {"id": row.id, "kind": row.kind, "label": LABELS.get(row.kind, row.kind), "value": row.value,
            "previous": _before_text(row) if row.kind in LINK_KINDS else row.previous,
            "by": row.user.display_name, "at": row.created_at, "approved_by": previous.get("approved_by"),
            "undone": row.reverted_at is not None, "undone_at": row.reverted_at}


def _before_text(row: Correction) -> str:
    """What a link correction changed, in words: "linked by the resolver (co-authors)",
    "kept apart (arxiv:chanyoung-park)", "a profile of its own"."""
    previous = row.previous if isinstance(row.previous, dict) else {}
    if row.kind == MERGE:
        text = "a profile of its own"
    else:
        link = previous.get("link") or {}
        method = link.get("method") or "linked"
        text = (f"{method} ({previous.get('id')})" if method in NOT_LINKED
                else f"linked by the resolver ({method})")
    if previous.get("approved_by"):
        text += f"; request {previous.get('request')} approved by {previous['approved_by']}"
    return text


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


def decide_request(session: Session, request_id: int, admin_email: str, status: str, note: str,
                   find_work: Callable[[str], dict | None] | None = None
                   ) -> tuple[ProfileRequest, list[SyncEvent]]:
    """Resolve (apply) or reject a request; returns it and the index syncs to queue.

    Resolving a merge gives every mention of the other profile to this one; resolving a split
    that names a work (`find_work` reads it from the index) takes that work off the profile: a
    preprint's link is undone, another work hidden. The correction is the requesting owner's,
    approved by `admin_email`, and is undone like any other."""
    row = session.get(ProfileRequest, request_id)
    if row is None:
        raise Missing(f"There is no request {request_id}.")
    if status not in ("resolved", "rejected"):
        raise Invalid("Mark the request resolved or rejected.")
    if row.status != "open":
        raise Conflict(f"Request {request_id} was already {row.status}.")
    events: list[SyncEvent] = []
    if status == "resolved":
        events = _apply_request(session, row, admin_email, find_work)
    row.status, row.decided_at, row.decided_by = status, utcnow(), admin_email
    row.decision_note = note.strip()[:NOTE_MAX] or None
    return row, events


def _apply_request(session: Session, row: ProfileRequest, admin_email: str,
                   find_work: Callable[[str], dict | None] | None) -> list[SyncEvent]:
    approved = {"request": row.id, "approved_by": admin_email}
    owner = owner_claim(session, row.researcher_id)
    if owner is None or owner.user_id != row.user_id:
        raise Conflict("The one who asked no longer owns this profile.")
    other = row.other_researcher_id
    if not other:
        return []  # a split that names no work: the admin acts on the works themselves
    if row.kind == "merge":
        if any(c.value == other for c in active(session, row.researcher_id, MERGE)):
            raise Conflict("That profile is already merged into this one.")
        return [_record(session, row.user, row.researcher_id, MERGE, other, approved)[1]]
    work = find_work(other) if find_work is not None else None
    if work is None:
        raise Invalid(f"There is no work {other[:64]!r} to take off this profile.")
    doc = {"id": row.researcher_id}
    if _is_preprint(work) and linked_slot(work, row.researcher_id) is not None:
        return [detach_link(session, row.user, doc, work, request=approved)[1]]
    if row.researcher_id not in _author_ids(work):
        raise Invalid("That work is not on this profile.")
    if _active_for_work(session, row.researcher_id, "hide_work", work["id"]):
        raise Conflict("That work is already hidden from this profile.")
    return [_record(session, row.user, row.researcher_id, "hide_work", work["id"], "shown")[1]]


def requests_of(session: Session, user: User, researcher_id: str) -> list[ProfileRequest]:
    if user is None:
        raise NotAllowed("Sign in first.")
    return list(session.scalars(select(ProfileRequest).where(ProfileRequest.researcher_id == researcher_id,
                                                             ProfileRequest.user_id == user.id)
                                .order_by(ProfileRequest.id.desc())))
