"""Accounts, claiming, following and direct collaboration (docs/ACCOUNTS.md).

`init_app(app)` wires it into create_app. The relational store (SQLAlchemy +
Alembic) holds people and what they do; the search index only receives what
search needs, written by RQ jobs (jobs.py) and applied again by every full
build (overrides.py). Importing this package stays cheap: no Flask views load
until init_app runs.
"""
from __future__ import annotations


def init_app(app) -> None:
    from web.accounts.app import init_app as _init

    _init(app)


def corrections_for(researcher_id: str) -> list[dict]:
    """The owner's active corrections of a profile (inside a request), newest first."""
    from web.accounts.profile import corrections_for as _corrections_for

    return _corrections_for(researcher_id)
