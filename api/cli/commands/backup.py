"""``cnht backup FILE`` and ``cnht restore FILE``: copies of a SQLite database, taken while it serves.

Both use SQLite's online backup API (:meth:`sqlite3.Connection.backup`): a backup is a
consistent copy even while the service writes (WAL included), and a restore replaces the
database's pages in one locked step. A PostgreSQL database is copied with ``pg_dump`` and
``pg_restore`` instead (README, "Backups"); these commands say so and stop.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from api.settings import get_settings

__all__ = ["register", "backup", "restore", "sqlite_path"]

_SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP = 'pg_dump --format=custom --file=cnht.dump "$DATABASE_URL"'
PG_RESTORE = 'pg_restore --clean --if-exists --no-owner --dbname="$DATABASE_URL" cnht.dump'


def sqlite_path(database_url: str) -> Path:
    """The file of a ``sqlite:///`` URL; exits with the PostgreSQL commands for any other URL."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        typer.echo(
            f"cnht backup/restore copy SQLite databases; CNHT_DATABASE_URL is "
            f"{url.get_backend_name()} ({url.render_as_string(hide_password=True)}). "
            f"For PostgreSQL use `{PG_DUMP}` and `{PG_RESTORE}` (README, section Backups; "
            "use the URL without '+psycopg').",
            err=True,
        )
        raise typer.Exit(code=2)
    if not url.database or url.database == ":memory:":
        typer.echo("CNHT_DATABASE_URL names an in-memory SQLite database: nothing to back up.", err=True)
        raise typer.Exit(code=2)
    return Path(url.database)


def _check_sqlite_file(path: Path, what: str) -> None:
    if not path.is_file():
        typer.echo(f"{what} {path} is not a file; give the path of a SQLite database.", err=True)
        raise typer.Exit(code=2)
    with path.open("rb") as handle:
        if handle.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
            typer.echo(f"{what} {path} is not a SQLite database (no 'SQLite format 3' header).", err=True)
            raise typer.Exit(code=2)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        typer.echo(f"{what} {path} is damaged (integrity_check: {result}); nothing was changed.", err=True)
        raise typer.Exit(code=1)


def _copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source, timeout=30) as src, sqlite3.connect(target, timeout=30) as dst:
        src.backup(dst)


def backup(
    file: Annotated[Path, typer.Argument(help="Where to write the copy (a new file)", dir_okay=False)],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace FILE if it exists")] = False,
) -> None:
    """Copy the service's SQLite database to FILE while it serves (online backup API)."""
    database = sqlite_path(get_settings().database_url)
    _check_sqlite_file(database, "Database")
    if file.exists() and not overwrite:
        typer.echo(f"{file} exists; choose a new file or pass --overwrite.", err=True)
        raise typer.Exit(code=2)
    if file.exists():
        file.unlink()
    _copy(database, file)
    _check_sqlite_file(file, "Backup")
    typer.echo(f"Backed up {database} to {file} ({file.stat().st_size:,} bytes).")


def restore(
    file: Annotated[Path, typer.Argument(help="A file written by `cnht backup`", dir_okay=False)],
) -> None:
    """Replace the service's SQLite database with the backup FILE (stop the service first).

    The backup is checked (SQLite header, integrity) before anything changes; the database is
    then overwritten page by page under SQLite's lock, so a reader sees the old or the new
    database, never a mix. Migrations newer than the backup run on the next ``cnht serve``.
    """
    database = sqlite_path(get_settings().database_url)
    _check_sqlite_file(file, "Backup")
    _copy(file, database)
    typer.echo(f"Restored {database} from {file}.")


def register(app: typer.Typer) -> None:
    """Add ``cnht backup`` and ``cnht restore`` to the CLI."""
    app.command("backup")(backup)
    app.command("restore")(restore)
