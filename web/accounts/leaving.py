"""Leaving: everything the store holds about one account, as JSON; deleting the account.

Deleting keeps a nameless row (so that the history of owner edits, which the profile shows,
says "a deleted account" instead of losing the edits or their order) and removes or
anonymises everything else: the claim of a profile is released (the sync job puts the
profile back to unclaimed), follows, pending invitations (sent and received), blocks, mail
settings and the record of digests go, the evidence of claims is blanked.
"""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from web.accounts import preferences, security
from web.accounts.errors import Invalid
from web.accounts.jobs import record_sync
from web.accounts.models import (Block, Claim, Correction, Follow, Invitation, KnownWork, MailPreferences,
                                 ProfileRequest, SyncEvent, User, utcnow)

DELETED_NAME = "a deleted account"


def _t(at: datetime | None) -> str | None:
    return at.isoformat() + "Z" if at else None


def export(session: Session, user: User) -> dict[str, Any]:
    """Everything about `user` in the store (the index holds nothing about people)."""
    def rows(model, *where, order=None):
        return list(session.scalars(select(model).where(*where).order_by(order)))

    invitations = rows(Invitation, or_(Invitation.sender_id == user.id, Invitation.recipient_id == user.id),
                       order=Invitation.id)
    known = rows(KnownWork, KnownWork.user_id == user.id, order=KnownWork.created_at)
    return {
        "format": "peerscope-account-export/1",
        "exported_at": _t(utcnow()),
        "account": {"id": user.id, "email": user.email, "pending_email": user.pending_email,
                    "display_name": user.display_name, "email_confirmed_at": _t(user.email_verified_at),
                    "created_at": _t(user.created_at), "last_login_at": _t(user.last_login_at)},
        "mail_settings": preferences.as_dict(preferences.of(session, user)),
        "claims": [{"id": c.id, "researcher_id": c.researcher_id, "status": c.status, "evidence": c.evidence,
                    "orcid": c.orcid, "created_at": _t(c.created_at), "decided_at": _t(c.decided_at),
                    "decision_note": c.decision_note}
                   for c in rows(Claim, Claim.user_id == user.id, order=Claim.id)],
        "profile_edits": [{"id": c.id, "researcher_id": c.researcher_id, "kind": c.kind, "value": c.value,
                           "previous": c.previous, "at": _t(c.created_at), "undone_at": _t(c.reverted_at)}
                          for c in rows(Correction, Correction.user_id == user.id, order=Correction.id)],
        "profile_requests": [{"id": r.id, "researcher_id": r.researcher_id, "kind": r.kind,
                              "other_researcher_id": r.other_researcher_id, "detail": r.detail, "status": r.status,
                              "created_at": _t(r.created_at), "decision_note": r.decision_note}
                             for r in rows(ProfileRequest, ProfileRequest.user_id == user.id, order=ProfileRequest.id)],
        "following": [{"researcher_id": f.researcher_id, "since": _t(f.created_at)}
                      for f in rows(Follow, Follow.user_id == user.id, order=Follow.created_at)],
        "invitations": [{"id": i.id, "direction": "sent" if i.sender_id == user.id else "received",
                         "researcher_id": i.researcher_id, "with": (i.recipient if i.sender_id == user.id
                                                                    else i.sender).display_name,
                         "message": i.message, "status": i.status, "answer_note": i.answer_note,
                         "created_at": _t(i.created_at), "answered_at": _t(i.answered_at)} for i in invitations],
        "blocked": [u.display_name for u in session.scalars(
            select(User).join(Block, Block.blocked_id == User.id).where(Block.owner_id == user.id))],
        "digests": {"works_sent": [{"id": k.version_id, "at": _t(k.created_at)} for k in known if k.reason == "sent"],
                    "works_known_when_following_began": sum(k.reason == "baseline" for k in known)},
    }


def delete_account(session: Session, user: User, password: str) -> list[SyncEvent]:
    """Delete `user` (their password confirms it); the sync events of the profiles it changes."""
    if not security.check_password(user.password_hash, password):
        raise Invalid("Your password is not right; the account was not deleted.")
    events: list[SyncEvent] = []
    for claim in session.scalars(select(Claim).where(Claim.user_id == user.id)):
        if claim.status == "approved":
            claim.status = "released"
            events.append(record_sync(session, claim.researcher_id, "owner-left"))
        elif claim.status == "pending":
            claim.status = "withdrawn"
        claim.decided_at = claim.decided_at or utcnow()
        claim.evidence, claim.orcid = "", None
    for f in session.scalars(select(Follow).where(Follow.user_id == user.id)):
        events.append(record_sync(session, f.researcher_id, "unfollow"))
    session.execute(delete(Follow).where(Follow.user_id == user.id))
    session.execute(delete(Invitation).where(Invitation.status == "pending",
                                             or_(Invitation.sender_id == user.id, Invitation.recipient_id == user.id)))
    for inv in session.scalars(select(Invitation).where(Invitation.sender_id == user.id)):
        inv.message = ""  # the other side keeps the record of an answered invitation, not the words
    session.execute(delete(Block).where(or_(Block.owner_id == user.id, Block.blocked_id == user.id)))
    session.execute(delete(MailPreferences).where(MailPreferences.user_id == user.id))
    session.execute(delete(KnownWork).where(KnownWork.user_id == user.id))
    for req in session.scalars(select(ProfileRequest).where(ProfileRequest.user_id == user.id)):
        req.detail = ""
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.pending_email = None
    user.display_name = DELETED_NAME
    user.password_hash = security.hash_password(secrets.token_urlsafe(32))  # ends every session
    user.deleted_at = utcnow()
    session.flush()
    return events
