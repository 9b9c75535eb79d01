"""Claiming a researcher profile: the request, the admin review, and who owns what.

The rule (docs/ACCOUNTS.md): a signed-in user with a verified e-mail asks with
evidence (text, optionally an ORCID iD); an admin (an address listed in
PEERSCOPE_ADMIN_EMAILS) approves or rejects with the evidence in view. One
owner per profile, enforced by the database as well (a partial unique index).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from web.accounts.errors import Conflict, Invalid, Missing, NotAllowed
from web.accounts.jobs import record_sync
from web.accounts.models import Claim, SyncEvent, User, utcnow
from web.accounts.security import valid_orcid

EVIDENCE_MIN, EVIDENCE_MAX, NOTE_MAX = 20, 2000, 1000


def owner_claim(session: Session, researcher_id: str) -> Claim | None:
    return session.scalar(select(Claim).where(Claim.researcher_id == researcher_id, Claim.status == "approved"))


def owner_of(session: Session, researcher_id: str) -> User | None:
    claim = owner_claim(session, researcher_id)
    return claim.user if claim else None


def owns(session: Session, user: User | None, researcher_id: str) -> bool:
    claim = owner_claim(session, researcher_id) if user else None
    return claim is not None and claim.user_id == user.id


def require_owner(session: Session, user: User, researcher_id: str) -> None:
    if not owns(session, user, researcher_id):
        raise NotAllowed("Only the verified owner of this profile can change it.")


def owned_profiles(session: Session, user: User) -> list[str]:
    return list(session.scalars(select(Claim.researcher_id).where(Claim.user_id == user.id,
                                                                   Claim.status == "approved")))


def submit(session: Session, user: User, researcher_id: str, evidence: str, orcid: str | None) -> Claim:
    if not user.verified:
        raise NotAllowed("Verify your e-mail address before claiming a profile.")
    evidence = (evidence or "").strip()
    orcid = (orcid or "").strip().upper() or None
    if not EVIDENCE_MIN <= len(evidence) <= EVIDENCE_MAX:
        raise Invalid(f"Describe your evidence in {EVIDENCE_MIN} to {EVIDENCE_MAX} characters.")
    if orcid and not valid_orcid(orcid):
        raise Invalid("That is not a valid ORCID iD (like 0000-0002-1825-0097).")
    current = owner_claim(session, researcher_id)
    if current is not None:
        raise Conflict("You already own this profile." if current.user_id == user.id
                       else "This profile already has a verified owner.")
    claim = Claim(researcher_id=researcher_id, user_id=user.id, evidence=evidence, orcid=orcid)
    try:
        with session.begin_nested():
            session.add(claim)
    except IntegrityError:
        raise Conflict("You already asked to claim this profile; an admin will review it.") from None
    return claim


def pending(session: Session) -> list[Claim]:
    return list(session.scalars(select(Claim).where(Claim.status == "pending").order_by(Claim.id)))


def of_user(session: Session, user: User) -> list[Claim]:
    return list(session.scalars(select(Claim).where(Claim.user_id == user.id).order_by(Claim.id.desc())))


def _pending_claim(session: Session, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise Missing(f"There is no claim {claim_id}.")
    if claim.status != "pending":
        raise Conflict(f"Claim {claim_id} was already {claim.status}.")
    return claim


def approve(session: Session, claim_id: int, admin_email: str, note: str = "") -> tuple[Claim, SyncEvent]:
    """Make the claimant the owner; other pending claims of the profile are rejected."""
    claim = _pending_claim(session, claim_id)
    if owner_claim(session, claim.researcher_id) is not None:
        raise Conflict("This profile already has a verified owner.")
    now = utcnow()  # one time for the decision and the rivals it declines (rivals_of finds them by it)
    claim.status, claim.decided_at, claim.decided_by = "approved", now, admin_email
    claim.decision_note = note.strip()[:NOTE_MAX] or None
    try:
        session.flush()
    except IntegrityError:  # another admin approved a rival claim at the same moment
        raise Conflict("This profile already has a verified owner.") from None
    for other in session.scalars(select(Claim).where(Claim.researcher_id == claim.researcher_id,
                                                     Claim.status == "pending", Claim.id != claim.id)):
        other.status, other.decided_at, other.decided_by = "rejected", now, admin_email
        other.decision_note = "Another claim of this profile was approved."
    return claim, record_sync(session, claim.researcher_id, "claim-approved")


def rivals_of(session: Session, claim: Claim) -> list[Claim]:
    """The other claims of the profile that approving `claim` declined."""
    return list(session.scalars(select(Claim).where(
        Claim.researcher_id == claim.researcher_id, Claim.id != claim.id, Claim.status == "rejected",
        Claim.decided_at == claim.decided_at)))


def reject(session: Session, claim_id: int, admin_email: str, note: str) -> Claim:
    claim = _pending_claim(session, claim_id)
    claim.status, claim.decided_at, claim.decided_by = "rejected", utcnow(), admin_email
    claim.decision_note = note.strip()[:NOTE_MAX] or None
    return claim


def withdraw(session: Session, user: User, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None or claim.user_id != user.id:
        raise NotAllowed("You can only withdraw your own claims.")
    if claim.status != "pending":
        raise Conflict("Only a claim that is still waiting can be withdrawn.")
    claim.status, claim.decided_at = "withdrawn", utcnow()
    return claim
