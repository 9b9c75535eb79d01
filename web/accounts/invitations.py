"""Direct collaboration: invitations to the owner of a claimed, open profile; answers; blocks.

Rate limits (Redis) are applied by the view before `send`; the rules here are
the ones a database can answer: who may write to whom, and who may read what.
"""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from web.accounts.claims import owner_of
from web.accounts.corrections import open_to_collaborate
from web.accounts.errors import Conflict, Invalid, Missing, NotAllowed
from web.accounts.models import Block, Invitation, User, utcnow

MESSAGE_MIN, MESSAGE_MAX, NOTE_MAX = 10, 1000, 500


def recipient_for(session: Session, sender: User, researcher_id: str) -> User:
    """The owner who would receive an invitation from `sender`, or why there is none."""
    owner = owner_of(session, researcher_id)
    if owner is None:
        raise NotAllowed("This profile is not claimed: nobody can receive messages through it.")
    if owner.id == sender.id:
        raise NotAllowed("This is your own profile.")
    if not open_to_collaborate(session, researcher_id):
        raise NotAllowed("This researcher is not open to collaboration invitations right now.")
    if session.get(Block, (owner.id, sender.id)) is not None:
        raise NotAllowed("This researcher does not accept invitations from you.")
    return owner


def send(session: Session, sender: User, researcher_id: str, message: str) -> Invitation:
    if not sender.verified:
        raise NotAllowed("Verify your e-mail address before sending invitations.")
    message = (message or "").strip()
    if not MESSAGE_MIN <= len(message) <= MESSAGE_MAX:
        raise Invalid(f"Write {MESSAGE_MIN} to {MESSAGE_MAX} characters.")
    owner = recipient_for(session, sender, researcher_id)
    waiting = session.scalar(select(Invitation.id).where(
        Invitation.sender_id == sender.id, Invitation.researcher_id == researcher_id,
        Invitation.status == "pending"))
    if waiting is not None:
        raise Conflict("Your earlier invitation to this researcher is still waiting for an answer.")
    inv = Invitation(sender_id=sender.id, recipient_id=owner.id, researcher_id=researcher_id, message=message)
    session.add(inv)
    session.flush()
    return inv


def get_for(session: Session, user: User, invitation_id: int) -> Invitation:
    """An invitation its sender or recipient may read; 403 for anyone else."""
    inv = session.get(Invitation, invitation_id)
    if inv is None:
        raise Missing(f"There is no invitation {invitation_id}.")
    if user.id not in (inv.sender_id, inv.recipient_id):
        raise NotAllowed("This invitation is between other people.")
    return inv


def _for_recipient(session: Session, user: User, invitation_id: int) -> Invitation:
    inv = get_for(session, user, invitation_id)
    if inv.recipient_id != user.id:
        raise NotAllowed("Only the person invited can answer or block.")
    return inv


def answer(session: Session, user: User, invitation_id: int, accept: bool, note: str = "") -> Invitation:
    inv = _for_recipient(session, user, invitation_id)
    if inv.status != "pending":
        raise Conflict(f"This invitation was already {inv.status}.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Invalid(f"Keep the note under {NOTE_MAX} characters.")
    inv.status, inv.answer_note, inv.answered_at = ("accepted" if accept else "declined"), note or None, utcnow()
    return inv


def block(session: Session, user: User, invitation_id: int) -> Invitation:
    """Block the sender of this invitation (declining it if it still waits)."""
    inv = _for_recipient(session, user, invitation_id)
    if session.get(Block, (user.id, inv.sender_id)) is None:
        session.add(Block(owner_id=user.id, blocked_id=inv.sender_id))
    if inv.status == "pending":
        inv.status, inv.answered_at = "declined", utcnow()
    session.flush()
    return inv


def unblock(session: Session, user: User, blocked_id: int) -> None:
    row = session.get(Block, (user.id, blocked_id))
    if row is not None:
        session.delete(row)


def blocked_users(session: Session, user: User) -> list[User]:
    return list(session.scalars(select(User).join(Block, Block.blocked_id == User.id)
                                .where(Block.owner_id == user.id).order_by(User.display_name)))


def listing(session: Session, user: User) -> dict[str, list[Invitation]]:
    rows = session.scalars(select(Invitation).where(or_(Invitation.sender_id == user.id,
                                                        Invitation.recipient_id == user.id))
                           .order_by(Invitation.id.desc()).limit(200))
    out: dict[str, list[Invitation]] = {"received": [], "sent": []}
    for inv in rows:
        out["received" if inv.recipient_id == user.id else "sent"].append(inv)
    return out
