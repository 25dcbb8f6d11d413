"""The database the CLI reads, the service's own (``CNHT_DATABASE_URL``, default ``cnht.db``).

``cnht match --need-id`` and ``cnht suggest`` work on what ``cnht import`` and the API wrote;
they read files only when given ``--firms``/``--needs``/``--data``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

__all__ = ["database_session", "fitted_on_database"]


@contextmanager
def database_session() -> Iterator[object]:
    """A read session on the service's database; a clear error when it has no data yet."""
    from api.settings import get_settings
    from api.storage.session import has_tables, make_engine, make_sessionmaker

    settings = get_settings()
    engine = make_engine(settings)
    try:
        if not has_tables(engine):
            raise typer.BadParameter(
                f"The database {engine.url.render_as_string(hide_password=True)} has no tables yet. "
                "Import data first (cnht import firms FILE, or cnht serve --demo), set "
                "CNHT_DATABASE_URL to the service's database, or give files with --firms/--needs."
            )
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


def fitted_on_database(session) -> object:
    """:func:`api.ranking.fit_matcher` on the database, its errors as CLI errors."""
    from api.ranking import RankingError, fit_matcher

    try:
        return fit_matcher(session)
    except RankingError as exc:
        raise typer.BadParameter(f"{exc} (database: CNHT_DATABASE_URL)") from None
