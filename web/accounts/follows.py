"""Following researchers. The count in the index is written by the sync job, not here."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from web.accounts.errors import NotAllowed
from web.accounts.jobs import record_sync
from web.accounts.models import Follow, SyncEvent, User

MAX_FOLLOWS = 1000


def is_following(session: Session, user: User | None, researcher_id: str) -> bool:
    return user is not None and session.get(Follow, (user.id, researcher_id)) is not None


def following(session: Session, user: User) -> list[str]:
    return list(session.scalars(select(Follow.researcher_id).where(Follow.user_id == user.id)
                                .order_by(Follow.created_at.desc(), Follow.researcher_id)))


def count(session: Session, researcher_id: str) -> int:
    return session.scalar(select(func.count()).select_from(Follow).where(Follow.researcher_id == researcher_id))


def follow(session: Session, user: User, researcher_id: str) -> SyncEvent | None:
    """Follow (idempotent); the sync event when something changed."""
    if is_following(session, user, researcher_id):
        return None
    if session.scalar(select(func.count()).select_from(Follow).where(Follow.user_id == user.id)) >= MAX_FOLLOWS:
        raise NotAllowed(f"You can follow at most {MAX_FOLLOWS} people; unfollow someone first.")
    try:
        with session.begin_nested():
            session.add(Follow(user_id=user.id, researcher_id=researcher_id))
    except IntegrityError:  # a double click landed twice
        return None
    return record_sync(session, researcher_id, "follow")


def unfollow(session: Session, user: User, researcher_id: str) -> SyncEvent | None:
    row = session.get(Follow, (user.id, researcher_id))
    if row is None:
        return None
    session.delete(row)
    session.flush()
    return record_sync(session, researcher_id, "unfollow")
