"""Reading the owners' corrections from the accounts store (the state itself: domain/corrections.py).

`read_overrides(session, ...)` gives the sync job the state of a few researchers;
`load_overrides(settings)` gives a full build everything, and is the loader the composition
root hands the indexer. No Flask here: RQ workers import this module.
"""
from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from domain.corrections import LINK_KINDS, MERGE, LinkFix, Overrides, OwnerState, fold_corrections, merged_into
from peerscope.config import Settings
from web.accounts import db
from web.accounts.models import Claim, Correction, Follow

log = logging.getLogger(__name__)


def read_overrides(session, researcher_ids: list[str] | None = None, live: bool = False) -> Overrides:
    """Owner state of `researcher_ids` (None: everyone the store knows) from an open session."""
    def only(q, column):
        return q if researcher_ids is None else q.where(column.in_(researcher_ids))

    states: dict[str, OwnerState] = {}
    for rid, n in session.execute(only(select(Follow.researcher_id, func.count()), Follow.researcher_id)
                                  .group_by(Follow.researcher_id)):
        states.setdefault(rid, OwnerState()).followers = n
    owners = owner_users(session)
    for rid in owners if researcher_ids is None else [r for r in researcher_ids if r in owners]:
        states.setdefault(rid, OwnerState()).claimed = True
    by_researcher: dict[str, list[Correction]] = {}
    links: list[LinkFix] = []
    for c in session.scalars(only(select(Correction), Correction.researcher_id).order_by(Correction.id)):
        if c.kind in LINK_KINDS:
            if c.reverted_at is None:
                links.append(link_fix(c, owners))
            continue
        by_researcher.setdefault(c.researcher_id, []).append(c)
    for rid, rows in by_researcher.items():
        fold_corrections(states.setdefault(rid, OwnerState()), rows, live)
    if researcher_ids is not None:  # a synced profile that lost its last follower or claim
        for rid in researcher_ids:
            states.setdefault(rid, OwnerState())
    return Overrides.of(states, links)


def owner_users(session) -> dict[str, int]:
    """Researcher id -> the user id of its approved owner."""
    return dict(session.execute(select(Claim.researcher_id, Claim.user_id).where(Claim.status == "approved")).all())


def link_fix(c: Correction, owners: dict[str, int]) -> LinkFix:
    """A link correction row as the build and the sync job apply it: who is "the owner" when
    the profile's owner made it (or asked for it), else "an admin"."""
    previous = c.previous if isinstance(c.previous, dict) else {}
    position = previous.get("position")
    return LinkFix(kind=c.kind, researcher_id=c.researcher_id, value=str(c.value),
                   position=position if isinstance(position, int) else None,
                   by="the owner" if owners.get(c.researcher_id) == c.user_id else "an admin",
                   at=c.created_at.date().isoformat(), correction_id=c.id,
                   approved=bool(previous.get("request")))


def merged_profile(session, researcher_id: str) -> str | None:
    """The profile `researcher_id` was merged into by an approved merge request still in force
    (following chains), or None."""
    rows = session.scalars(select(Correction).where(Correction.kind == MERGE, Correction.reverted_at.is_(None))
                           .order_by(Correction.id))
    return merged_into([link_fix(c, {}) for c in rows], researcher_id)


def load_overrides(settings: Settings) -> Overrides:
    """Everything the store holds for a full build. An accounts store never set up gives nothing;
    a configured store that cannot be reached fails the build (it would erase owners' work)."""
    url = settings.accounts_database_url
    if url.startswith("sqlite:///") and not _sqlite_file_exists(url):
        return Overrides()
    try:
        if not db.is_ready(url):
            return Overrides()
        with db.session_for(url) as session:
            overrides = read_overrides(session)
    except (OperationalError, ProgrammingError) as exc:
        if url.startswith("sqlite"):
            log.warning("accounts store %s not readable (%s): building without owner state", url, exc)
            return Overrides()
        raise
    log.info("owner state for %d researchers and %d works, %d link corrections", len(overrides.researchers_state),
             len(overrides.works_change), len(overrides.links))
    return overrides


def _sqlite_file_exists(url: str) -> bool:
    from pathlib import Path

    path = url.removeprefix("sqlite:///")
    return path == ":memory:" or Path(path).exists()
