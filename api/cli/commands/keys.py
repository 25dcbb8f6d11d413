"""``cnht keys create|revoke|list``: API keys of the service (stored hashed)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.auth import create_key, list_keys, revoke_key
from api.settings import get_settings
from api.storage.errors import ServiceError
from api.storage.session import make_engine, make_sessionmaker, migrate

__all__ = ["register", "keys_app"]

keys_app = typer.Typer(
    help="Khóa API: tạo, thu hồi, liệt kê.\n\nAPI keys: create, revoke, list.",
    no_args_is_help=True,
)
_err = Console(stderr=True)


def _factory():
    engine = make_engine(get_settings())
    migrate(engine)
    return make_sessionmaker(engine)


@keys_app.command("create")
def create(
    role: Annotated[str, typer.Option(help="staff | analyst | firm | association")] = "staff",
    firm: Annotated[str | None, typer.Option("--firm", help="FIRM_ID of a firm key")] = None,
    label: Annotated[str | None, typer.Option(help="Who holds the key")] = None,
    association: Annotated[str | None, typer.Option("--association", help="ASSOCIATION_ID of an association key "
                                                    "(cnht support associations)")] = None,
) -> None:
    """Create a key and print it (its last line is the key alone; it is shown only once)."""
    try:
        with _factory()() as session, session.begin():
            row, key = create_key(session, role, firm, label, association_id=association)
            prefix = row.prefix
    except ServiceError as exc:
        _err.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=2) from exc
    owner = firm or association
    typer.echo(f"Created {role} key {prefix}{' for ' + owner if owner else ''}; keep it secret:")
    typer.echo(key)


@keys_app.command("revoke")
def revoke(prefix_or_key: Annotated[str, typer.Argument(help="Key prefix or whole key")]) -> None:
    """Revoke a key by its prefix (as `cnht keys list` shows it) or its value."""
    try:
        with _factory()() as session, session.begin():
            row = revoke_key(session, prefix_or_key)
            prefix = row.prefix
    except ServiceError as exc:
        _err.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=2) from exc
    typer.echo(f"Revoked key {prefix}.")


@keys_app.command("list")
def list_() -> None:
    """List keys: prefix, role, firm, created, revoked (never the keys themselves)."""
    table = Table("prefix", "role", "firm / association", "label", "created", "revoked")
    with _factory()() as session:
        for row in list_keys(session):
            table.add_row(row.prefix, row.role, row.firm_id or row.association_id or "", row.label or "",
                          f"{row.created_at:%Y-%m-%d %H:%M}",
                          f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "")  # fmt: skip
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``cnht keys`` to the CLI."""
    app.add_typer(keys_app, name="keys")
