"""Engines, sessions and migrations of the accounts store (SQLAlchemy 2 + Alembic).

SQLite by default (a file in the state folder, WAL, foreign keys on), PostgreSQL
by URL. One engine per URL per process; nothing connects until first use. The
schema is only ever created by the Alembic migrations (`peerscope accounts
migrate`), never by `create_all`, so that every store has the same history.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

_engines: dict[str, Engine] = {}
_makers: dict[str, sessionmaker[Session]] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # Let SQLAlchemy, not the sqlite3 module, open transactions, so that SAVEPOINTs work
    # (the recipe from SQLAlchemy's SQLite dialect documentation); see `_sqlite_begin`.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN")


def engine_for(url: str) -> Engine:
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            _ensure_sqlite_folder(url)
            engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
                event.listen(engine, "begin", _sqlite_begin)
            _engines[url] = engine
            _makers[url] = sessionmaker(engine, expire_on_commit=False)
        return engine


def session_for(url: str) -> Session:
    engine_for(url)
    return _makers[url]()


@contextmanager
def transaction(url: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on error (CLI, jobs)."""
    with session_for(url) as session, session.begin():
        yield session


def dispose(url: str) -> None:
    """Close the pooled connections of `url` (tests that delete their database file)."""
    with _lock:
        engine = _engines.pop(url, None)
        _makers.pop(url, None)
    if engine is not None:
        engine.dispose()


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = url  # not through the ini parser: '%' in passwords stays intact
    return cfg


def _ensure_sqlite_folder(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def upgrade(url: str, revision: str = "head") -> None:
    _ensure_sqlite_folder(url)  # a fresh checkout has no state folder yet
    from alembic import command

    command.upgrade(_alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(_alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine_for(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_ready(url: str) -> bool:
    """True when the schema exists (the migrations have run)."""
    return inspect(engine_for(url)).has_table("users")
