"""Engines, sessions and migrations.

SQLite (the default) runs in WAL mode with foreign keys on and a busy timeout, so two
writers queue instead of failing; PostgreSQL is used when the URL says so, optionally in a
schema of its own (``search_path``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from api.settings import Settings

__all__ = [
    "make_engine",
    "make_sessionmaker",
    "migrate",
    "alembic_config",
    "transaction",
    "READ_ONLY",
]

# Execution option marking a read-only session (SQLite then begins without the write lock).
READ_ONLY = "cnht_read_only"


def make_engine(settings: Settings) -> Engine:
    """Create the engine described by ``settings``.

    Parameters
    ----------
    settings : Settings
        ``database_url`` and, for PostgreSQL, ``database_schema``.

    Returns
    -------
    sqlalchemy.Engine
    """
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no branch
            # Let SQLAlchemy issue BEGIN itself (the sqlite3 driver would defer it and
            # break "BEGIN IMMEDIATE" below).
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # Writers take the write lock at the start of their transaction, so two concurrent
            # writers queue on busy_timeout instead of failing on a lock upgrade; read-only
            # work (execution option READ_ONLY) begins deferred and never waits for a writer.
            if conn.get_execution_options().get(READ_ONLY):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    connect_args = {}
    if settings.database_schema:
        connect_args["options"] = f"-csearch_path={settings.database_schema}"
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` (objects stay readable after commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config() -> Config:
    """The Alembic configuration shipped inside the ``api`` package."""
    root = Path(__file__).resolve().parent.parent  # the installed api package
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database of ``engine`` to ``revision`` (``alembic upgrade``).

    Parameters
    ----------
    engine : sqlalchemy.Engine
    revision : str, default "head"
    """
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def has_tables(engine: Engine) -> bool:
    """True when the firms table exists (the database has been migrated)."""
    return inspect(engine).has_table("firms")


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with factory() as session, session.begin():
        yield session
