"""``cnht serve``: migrate the database, optionally seed the demo data, serve the API."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.settings import get_settings

if TYPE_CHECKING:
    from api.storage.imports import ImportCounts

__all__ = ["register", "serve", "demo_summary", "cnht_command"]

_REJECTS_SHOWN = 5  # per table; the rest is one `cnht import --dry-run` away


def demo_summary(counts: Mapping[str, ImportCounts]) -> list[str]:
    """Lines telling what seeding each demo table did, rejects on reading included.

    Parameters
    ----------
    counts : mapping of str to ImportCounts
        From :func:`api.storage.demo.seed_demo`.

    Returns
    -------
    list of str
        Per table ``demo {kind}: {inserted} inserted, ...`` with the rows rejected on reading
        (duplicates, no identity) and on storing, the cells left out, and the first rejects.
    """
    lines = []
    for kind, c in counts.items():
        lines.append(
            f"demo {kind}: {c.inserted} inserted, {c.updated} updated, {c.unchanged} unchanged "
            f"of {c.read} rows read; {c.rows_rejected} rows rejected ({c.read_rejected} on "
            f"reading, {c.rejected} on storing), {c.cells_rejected} cells left out"
        )
        problems = [r for r in c.rejects if r.get("scope") in ("row", "field")]
        for reject in problems[:_REJECTS_SHOWN]:
            where = f"row {reject['row']}" + (f", {reject['column']}" if reject.get("column") else "")
            lines.append(f"  {where}: {reject['reason']}")
        if len(problems) > _REJECTS_SHOWN:
            lines.append(
                f"  ... and {len(problems) - _REJECTS_SHOWN} more: "
                f"`{cnht_command()} import {kind} FILE --dry-run` lists them all"
            )
    return lines


def cnht_command() -> str:
    """How to call ``cnht`` from here: ``cnht`` when it is on PATH, else the installed script
    (``.venv/bin/cnht`` from the repository root)."""
    script = Path(sys.executable).parent / ("cnht.exe" if sys.platform == "win32" else "cnht")
    on_path = shutil.which("cnht")
    if not script.exists() or (on_path is not None and Path(on_path) == script):
        return "cnht"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port", min=1, max=65535)] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="Seed data/demo/*.csv into an empty database, and the demo support programme once")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=32,
            help="Worker processes (each fits its own matcher before serving). Several suit "
            "PostgreSQL; on SQLite their writes queue for the one database file.",
        ),
    ] = 1,
) -> None:
    """Migrate the database (alembic upgrade head), seed the demo on --demo, and serve."""
    import uvicorn

    from api.app import create_app
    from api.request_context import configure_logging
    from api.storage.demo import seed_demo
    from api.storage.errors import ServiceError

    settings = get_settings()
    settings.apply_thread_switch()
    if workers > 1 and settings.database_url.startswith("sqlite") and ":memory:" in settings.database_url:
        typer.echo("--workers above 1 needs a database the processes share; an in-memory "
                   "SQLite database exists in one process only. Use --workers 1 or a file.",
                   err=True)  # fmt: skip
        raise typer.Exit(code=2)
    app = create_app(settings)
    app.state.ranking.freeze_after_fit = True  # a serving process: see MatcherCache
    if demo:
        try:
            counts = seed_demo(app.state.sessionmaker, settings.demo_folder)
        except ServiceError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(code=2) from exc
        if counts is None:
            typer.echo("Database already has firms: demo data not seeded again.")
        else:
            for line in demo_summary(counts):
                typer.echo(line)
        from api.storage.support_demo import seed_support_demo_folder

        typer.echo(seed_support_demo_folder(app.state.sessionmaker, settings.demo_folder)[1])  # once: then nothing
    url = f"http://{host}:{port}"
    typer.echo(f"cnht-match API on {url}/api/v1  (docs: {url}/docs)")
    typer.echo(f"Create a key: {cnht_command()} keys create --role staff")
    # key=value lines with the request ID; one line per request comes from api.request_context.
    configure_logging()
    if workers == 1:
        from api.workers import UVICORN_OPTIONS

        uvicorn.run(app, host=host, port=port, **UVICORN_OPTIONS)
        return
    # The database is migrated (and seeded, interrupted imports failed) once, above; each
    # worker builds its own app without doing it again (api.app.create_worker_app).
    app.state.engine.dispose()
    app.state.probe_engine.dispose()
    typer.echo(f"{workers} worker processes")
    from api.workers import serve_workers

    try:
        serve_workers("api.app:create_worker_app", host=host, port=port, workers=workers)
    except OSError as exc:
        typer.echo(f"Cannot listen on {host}:{port} ({exc.strerror or exc}): stop the program "
                   "using it or choose another --port.", err=True)  # fmt: skip
        raise typer.Exit(code=1) from exc


def register(app: typer.Typer) -> None:
    """Add ``cnht serve`` to the CLI."""
    app.command(
        "serve",
        help=(
            "Chạy dịch vụ API (di chuyển CSDL, --demo: nạp dữ liệu mẫu).\n\n"
            "Serve the API (migrates the database; --demo seeds the demo data)."
        ),
    )(serve)
