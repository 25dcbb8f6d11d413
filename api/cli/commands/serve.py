"""``cnht serve``: migrate the database, optionally seed the demo data, serve the API."""

from __future__ import annotations

from typing import Annotated

import typer

from api.settings import get_settings

__all__ = ["register", "serve"]


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port", min=1, max=65535)] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="Seed data/demo/*.csv into an empty database")
    ] = False,
) -> None:
    """Migrate the database (alembic upgrade head), seed the demo on --demo, and serve."""
    import uvicorn

    from api.app import create_app
    from api.storage.demo import seed_demo
    from api.storage.errors import ServiceError

    settings = get_settings()
    app = create_app(settings)
    if demo:
        try:
            counts = seed_demo(app.state.sessionmaker, settings.demo_folder)
        except ServiceError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(code=2) from exc
        if counts is None:
            typer.echo("Database already has firms: demo data not seeded again.")
        else:
            for kind, c in counts.items():
                typer.echo(f"demo {kind}: {c.inserted} inserted, {c.rejected} rejected")
    url = f"http://{host}:{port}"
    typer.echo(f"cnht-match API on {url}/api/v1  (docs: {url}/docs)")
    typer.echo("Create a key: cnht keys create --role staff")
    uvicorn.run(app, host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    """Add ``cnht serve`` to the CLI."""
    app.command(
        "serve",
        help=(
            "Chạy dịch vụ API (di chuyển CSDL, --demo: nạp dữ liệu mẫu).\n\n"
            "Serve the API (migrates the database; --demo seeds the demo data)."
        ),
    )(serve)
