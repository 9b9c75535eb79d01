"""The relational store of accounts: people who sign in and what they do.

Nothing here is searched; the search index only receives what search needs
(followers_count, claimed, trust, owner corrections), written by RQ jobs
(web/accounts/jobs.py). Times are naive UTC. Identifiers of researchers and
works are the index ids (strings), not foreign keys: the index is rebuilt
from the source data while these rows stay.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, MetaData, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

EMAIL_MAX, NAME_MAX, ID_MAX = 254, 80, 200

# Stable constraint names, so that migrations can address them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)  # stored lower-cased
    display_name: Mapped[str] = mapped_column(String(NAME_MAX))
    password_hash: Mapped[str] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # A new address waiting for its confirmation link; the old one stays in use until then.
    pending_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    # Set when the account was deleted: the row stays (nameless) so that the history of owner
    # edits can say "a deleted account"; nothing personal is left on it.
    deleted_at: Mapped[datetime | None]

    @property
    def verified(self) -> bool:
        return self.email_verified_at is not None and self.deleted_at is None

    # What Flask-Login asks of a user (web/accounts/context.py). The session keeps `get_id()`,
    # which carries a fingerprint of the password hash: a password change ends the other sessions.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.deleted_at is None

    def get_id(self) -> str:
        return f"{self.id}:{hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]}"  # = password_fingerprint


class Claim(Base):
    """A request to own a researcher profile; at most one approved claim per profile."""
    __tablename__ = "claims"
    __table_args__ = (
        Index("uq_claims_one_owner", "researcher_id", unique=True,
              sqlite_where=text("status = 'approved'"), postgresql_where=text("status = 'approved'")),
        Index("uq_claims_one_pending", "researcher_id", "user_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    researcher_id: Mapped[str] = mapped_column(String(ID_MAX), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    evidence: Mapped[str] = mapped_column(Text)
    orcid: Mapped[str | None] = mapped_column(String(19))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|approved|rejected|withdrawn|released
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    decision_note: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(lazy="joined")


class Correction(Base):
    """One owner edit of a profile: what, the value before, who and when; undone by setting reverted_at."""
    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    researcher_id: Mapped[str] = mapped_column(String(ID_MAX), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))  # open_to_collaborate|affiliation|hide_work|attach_work
    value: Mapped[Any] = mapped_column(JSON)
    previous: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reverted_at: Mapped[datetime | None]
    reverted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")


class ProfileRequest(Base):
    """An owner's request to split a profile or merge another one into it, for admin review."""
    __tablename__ = "profile_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    researcher_id: Mapped[str] = mapped_column(String(ID_MAX), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))  # split|merge
    other_researcher_id: Mapped[str | None] = mapped_column(String(ID_MAX))
    detail: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|resolved|rejected
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    decision_note: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(lazy="joined")


class Follow(Base):
    __tablename__ = "follows"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    researcher_id: Mapped[str] = mapped_column(String(ID_MAX), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invitation(Base):
    """A direct collaboration invitation from a signed-in user to the owner of a claimed profile."""
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    researcher_id: Mapped[str] = mapped_column(String(ID_MAX))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|accepted|declined
    answer_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]

    sender: Mapped[User] = relationship(foreign_keys=[sender_id], lazy="joined")
    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id], lazy="joined")


class Block(Base):
    """`owner` receives no more invitations from `blocked`."""
    __tablename__ = "blocks"

    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    blocked_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncEvent(Base):
    """A researcher whose index document must be brought in line with this store (an outbox row).

    Written in the same transaction as the change; the RQ job marks it done. Rows
    left pending (Redis was down) are enqueued again by `peerscope accounts resync`.
    """
    __tablename__ = "sync_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    researcher_id: Mapped[str] = mapped_column(String(ID_MAX), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


DIGEST_FREQUENCIES = ("none", "daily", "weekly")


class MailPreferences(Base):
    """What one person wants by mail; a person without a row gets the defaults (all on, no digest).

    Mail about the account itself (confirmation links, password reset, a change of address)
    is always sent."""
    __tablename__ = "mail_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    claim_decisions: Mapped[bool] = mapped_column(Boolean, default=True)
    invitations: Mapped[bool] = mapped_column(Boolean, default=True)  # received, and a copy of those sent
    invitation_answers: Mapped[bool] = mapped_column(Boolean, default=True)  # to both sides
    digest: Mapped[str] = mapped_column(String(8), default="none", index=True)  # none|daily|weekly
    last_digest_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KnownWork(Base):
    """A version id of a work that a follower must not be alerted to (again).

    `baseline`: on a followed profile when the follow began (not new to them); `sent`: in a
    digest. Every version id of a work is kept (its own id and e.g. "arxiv:<id>"), so a work
    that a later build merges, splits or re-attributes is still recognised."""
    __tablename__ = "known_works"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    version_id: Mapped[str] = mapped_column(String(ID_MAX), primary_key=True)
    reason: Mapped[str] = mapped_column(String(8))  # baseline|sent
    researcher_id: Mapped[str | None] = mapped_column(String(ID_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
