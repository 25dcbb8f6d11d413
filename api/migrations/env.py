"""Alembic environment: migrates the connection handed over by :func:`api.storage.session.migrate`,
or the database named by the settings (``CNHT_DATABASE_URL``) when run from the command line."""

from __future__ import annotations

from alembic import context

from api.storage.models import Base

target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from api.settings import get_settings
    from api.storage.session import make_engine

    engine = make_engine(get_settings())
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


run_migrations_online()
