"""Per-person mail settings: which kinds of mail to get, and how often a digest of new works."""
from __future__ import annotations

from sqlalchemy.orm import Session

from web.accounts.errors import Invalid
from web.accounts.models import DIGEST_FREQUENCIES, MailPreferences, User

KINDS = {"claim_decisions": "Decisions on my claims of a profile",
         "invitations": "Invitations to collaborate I receive, and a copy of those I send",
         "invitation_answers": "Answers to invitations, mine and the ones I give"}
DIGESTS = {"none": "No digest", "daily": "Daily", "weekly": "Weekly"}


def of(session: Session, user: User) -> MailPreferences:
    """The person's settings; the defaults (every kind on, no digest) when never saved."""
    row = session.get(MailPreferences, user.id)
    if row is None:
        row = MailPreferences(user_id=user.id, claim_decisions=True, invitations=True, invitation_answers=True,
                              digest="none")
    return row


def wants(session: Session, user: User, kind: str) -> bool:
    return user.deleted_at is None and bool(getattr(of(session, user), kind))


def update(session: Session, user: User, kinds: dict[str, bool], digest: str) -> MailPreferences:
    if digest not in DIGEST_FREQUENCIES:
        raise Invalid("Choose a digest: none, daily or weekly.")
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise Invalid(f"Unknown kind of mail: {', '.join(sorted(unknown))}.")
    row = session.get(MailPreferences, user.id)
    if row is None:
        row = of(session, user)
        session.add(row)
    for kind, on in kinds.items():
        setattr(row, kind, bool(on))
    row.digest = digest
    session.flush()
    return row


def as_dict(row: MailPreferences) -> dict:
    return {**{k: bool(getattr(row, k)) for k in KINDS}, "digest": row.digest,
            "last_digest_at": row.last_digest_at.isoformat() + "Z" if row.last_digest_at else None}
