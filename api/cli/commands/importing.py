"""``cnht import firms|buyers|needs|outcomes FILE``: read a table, report its quality."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from features.exceptions import CnhtError
from features.ingest import read_table

__all__ = ["register", "import_table"]

_PROGRESS_FROM = 2000  # rows; smaller files finish before a bar would be readable


class Kind(StrEnum):
    firms = "firms"
    buyers = "buyers"
    needs = "needs"
    outcomes = "outcomes"


class Lang(StrEnum):
    vi = "vi"
    en = "en"


def import_table(
    kind: Kind = typer.Argument(..., help="Bảng / table: firms, buyers, needs, outcomes."),
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True,
        help="Tệp CSV hoặc XLSX / CSV or XLSX file.",
    ),
    sheet: str | None = typer.Option(
        None, "--sheet", help="Tên sheet của tệp XLSX (mặc định: sheet đầu) / XLSX sheet name."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run",
        help="Chỉ kiểm tra: in báo cáo, ghi <tệp>.rejects.csv, không lưu / check only: print "
        "the report, write <FILE>.rejects.csv, store nothing.",
    ),
    lang: Lang = typer.Option(Lang.vi, "--lang", help="Ngôn ngữ báo cáo / report language."),
) -> None:
    """Nhập một bảng (doanh nghiệp, bên mua, nhu cầu, kết quả) từ CSV/XLSX, báo cáo dòng lỗi.

    Import one table (firms, buyers, needs, outcomes) from CSV or XLSX. Every rejected row or
    cell is reported with its row, column, reason and fix; good rows are never lost.
    """
    console = Console(stderr=True)
    vi = lang is Lang.vi
    try:
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            console=console, transient=True,
        ) as bar:
            task = None

            def progress(done: int, total: int) -> None:
                nonlocal task
                if total < _PROGRESS_FROM:
                    return
                if task is None:
                    task = bar.add_task("Đang kiểm tra" if vi else "Checking", total=total)
                bar.update(task, completed=done)

            result = read_table(kind.value, file, sheet, progress=progress)
    except CnhtError as exc:
        console.print(f"[red]{'Lỗi' if vi else 'Error'}:[/red] {exc}")
        raise typer.Exit(code=2) from exc
    typer.echo(result.report(lang.value))
    if not dry_run:
        console.print(
            "Lưu vào cơ sở dữ liệu cần dịch vụ: chạy `cnht serve` rồi tải tệp lên, hoặc dùng "
            "--dry-run để chỉ kiểm tra. Chưa có gì được lưu." if vi else
            "Storing into the database needs the service: run `cnht serve` and upload the "
            "file, or use --dry-run to check only. Nothing was stored."
        )
        raise typer.Exit(code=1)
    rejects_path = file.with_name(f"{file.stem}.rejects.csv")
    result.write_rejects(rejects_path)
    typer.echo(
        f"\nĐã ghi {len(result.rejects)} lỗi vào {rejects_path}" if vi else
        f"\nWrote {len(result.rejects)} problems to {rejects_path}"
    )


def register(app: typer.Typer) -> None:
    """Add ``cnht import`` to the CLI."""
    app.command(
        "import",
        help=(
            "Nhập bảng firms|buyers|needs|outcomes từ CSV/XLSX (--dry-run: chỉ kiểm tra).\n\n"
            "Import a firms|buyers|needs|outcomes table from CSV/XLSX (--dry-run: check only)."
        ),
    )(import_table)
