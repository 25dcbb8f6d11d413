"""The ``cnht`` command line.

Each command lives in its own module under :mod:`api.cli.commands` and exposes
``register(app: typer.Typer) -> None``; this module finds and registers them all, so
adding a command never means editing a shared file.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

app = typer.Typer(
    name="cnht",
    help=(
        "cnht-match: supplier matching for Hanoi's supporting industries "
        "(công nghiệp hỗ trợ).\n\n"
        "Kết nối doanh nghiệp CNHT Hà Nội với nhu cầu linh kiện của các nhà đầu tư nước ngoài."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
)


@app.callback()
def _root() -> None:
    """cnht-match: supplier matching for Hanoi's supporting industries.

    Ghép nối doanh nghiệp công nghiệp hỗ trợ Hà Nội với nhu cầu linh kiện của các nhà máy FDI.
    Run `cnht COMMAND --help` for each command; `make run` starts the service on the demo data.
    """


def _register_all() -> None:
    from api.cli import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"api.cli.commands.{info.name}")
        module.register(app)


_register_all()


def main() -> None:
    """Entry point of the ``cnht`` console script."""
    app()


__all__ = ["app", "main"]
