"""Engines, sessions and migrations.

SQLite (the default) runs in WAL mode with foreign keys on and a busy timeout, so two
writers queue instead of failing; PostgreSQL is used when the URL says so, optionally in a
schema of its own (``search_path``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from api.settings import Settings

__all__ = [
    "make_engine",
    "make_sessionmaker",
    "migrate",
    "alembic_config",
    "transaction",
    "READ_ONLY",
    "PROBE_TIMEOUT_SECONDS",
]

# Execution option marking a read-only session (SQLite then begins without the write lock).
READ_ONLY = "cnht_read_only"


# Overflow connections beyond ``database_pool_size`` for work outside requests (the matcher's
# warm-up, the CLI inside a served process, tests); requests never use them.
_POOL_OVERFLOW = 5
# Key of a pooled SQLite connection's info: it holds the process's writer lock.
_WRITER_HOLDS_LOCK = "cnht_writer_lock"
# Seconds a readiness probe may wait for the database before it reports it unreachable.
PROBE_TIMEOUT_SECONDS = 2


def make_engine(settings: Settings, *, probe: bool = False) -> Engine:
    """Create the engine described by ``settings``.

    Parameters
    ----------
    settings : Settings
        ``database_url``, for PostgreSQL ``database_schema``, and the pool's size
        (``database_pool_size``) and wait (``queue_wait_seconds``).
    probe : bool, default False
        An engine for readiness checks: no pool (a fresh connection per check, so a busy
        pool never delays it) and timeouts of :data:`PROBE_TIMEOUT_SECONDS`.

    Returns
    -------
    sqlalchemy.Engine
    """
    url = settings.database_url
    pooling: dict = {"poolclass": NullPool} if probe else {
        "pool_size": settings.database_pool_size, "max_overflow": _POOL_OVERFLOW,
        "pool_timeout": settings.queue_wait_seconds,
    }  # fmt: skip
    if url.startswith("sqlite"):
        busy_ms = PROBE_TIMEOUT_SECONDS * 1000 if probe else 30_000
        if ":memory:" in url:
            pooling = {}  # one shared in-memory database: SQLAlchemy's own pool for it
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy_ms / 1000}, **pooling
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no branch
            # Let SQLAlchemy issue BEGIN itself (the sqlite3 driver would defer it and
            # break "BEGIN IMMEDIATE" below).
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            if ":memory:" not in url:
                # WAL: readers never wait for the writer; the busy timeout makes a second
                # writer queue for the write lock instead of failing at once.
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            cursor.close()

        # Writers of this process queue in order on a lock of their own before asking SQLite
        # for its write lock: SQLite's busy handler polls with sleeps of up to 100 ms and no
        # order, so under load a writer could lose the race again and again for seconds.
        # Other processes (a second worker, `cnht import`) still queue on busy_timeout.
        writers = threading.Lock() if not probe and ":memory:" not in url else None

        def _release_writer(dbapi_conn, info) -> None:
            if writers is not None and info is not None and info.pop(_WRITER_HOLDS_LOCK, False):
                writers.release()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # Writers take the write lock at the start of their transaction, so two concurrent
            # writers queue on busy_timeout instead of failing on a lock upgrade; read-only
            # work (execution option READ_ONLY) begins deferred and never waits for a writer.
            if conn.get_execution_options().get(READ_ONLY):
                conn.exec_driver_sql("BEGIN")
                return
            info = conn.connection.info
            if writers is not None and not info.get(_WRITER_HOLDS_LOCK):
                # Past busy_timeout, go on without it: SQLite's own wait still applies.
                if writers.acquire(timeout=busy_ms / 1000):
                    info[_WRITER_HOLDS_LOCK] = True
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                _release_writer(None, info)
                raise

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _sqlite_end(conn):
            # Just before the COMMIT or ROLLBACK: the next writer's BEGIN IMMEDIATE then waits
            # on busy_timeout for at most the time this one takes to finish.
            _release_writer(None, conn.connection.info)

        # A connection returned or dropped mid-transaction (an error, a killed request) must
        # not keep the lock: the pool rolls it back without a "rollback" event.
        event.listen(engine, "checkin", lambda dbapi_conn, record: _release_writer(dbapi_conn, getattr(record, "info", None)))
        event.listen(engine, "invalidate", lambda dbapi_conn, record, _exc: _release_writer(dbapi_conn, getattr(record, "info", None)))

        @event.listens_for(engine, "reset")
        def _sqlite_reset(dbapi_connection, connection_record, reset_state):
            _release_writer(dbapi_connection, getattr(connection_record, "info", None))

        return engine
    connect_args: dict = {}
    if settings.database_schema:
        connect_args["options"] = f"-csearch_path={settings.database_schema}"
    if probe:
        connect_args["connect_timeout"] = PROBE_TIMEOUT_SECONDS
    return create_engine(url, connect_args=connect_args, pool_pre_ping=not probe, **pooling)


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
