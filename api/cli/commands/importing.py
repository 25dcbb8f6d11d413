"""``cnht import firms|buyers|needs|outcomes FILE``: read a table, report its quality, store it.

Without ``--dry-run`` the accepted rows are upserted into the database of
``CNHT_DATABASE_URL`` (default ``cnht.db``, migrated first) in ONE transaction with its import
job row, as ``POST /api/v1/imports/{kind}`` does: re-importing the same file changes nothing,
only the file's columns are written, and a rejected cell keeps the stored value.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy.exc import DBAPIError

from features.cells import safe_frame
from features.exceptions import CnhtError
from features.ingest import read_table

__all__ = ["register", "import_table", "default_rejects_path"]

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
        help="Chỉ kiểm tra: in báo cáo, ghi báo cáo lỗi (--rejects), không lưu / check only: "
        "print the report, write the problems (--rejects), store nothing.",
    ),
    lang: Lang = typer.Option(Lang.vi, "--lang", help="Ngôn ngữ báo cáo / report language."),
    rejects: Path | None = typer.Option(
        None, "--rejects", dir_okay=False,
        help="Nơi ghi báo cáo lỗi (CSV) / where to write the problems (CSV). Mặc định / default: "
        "<FILE>.rejects.csv beside the file, or in the temporary folder when the file is in the "
        "repository's data/ (its committed files stay as they are).",
    ),
) -> None:
    """Nhập một bảng (doanh nghiệp, bên mua, nhu cầu, kết quả) từ CSV/XLSX, báo cáo dòng lỗi.

    Import one table (firms, buyers, needs, outcomes) from CSV or XLSX into the database
    (CNHT_DATABASE_URL, default cnht.db) in one transaction. Every rejected row or cell is
    reported with its row, column, reason and fix (<FILE>.rejects.csv); good rows are never lost.
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

            from api.settings import get_settings

            # The service's import limits (CNHT_MAX_UPLOAD_ROWS, ...) apply here too.
            result = read_table(kind.value, file, sheet, progress=progress,
                                limits=get_settings().read_limits())  # fmt: skip
    except CnhtError as exc:
        console.print(f"[red]{'Lỗi' if vi else 'Error'}:[/red] {exc}")
        raise typer.Exit(code=2) from exc
    typer.echo(result.report(lang.value))
    rejects_path = rejects or default_rejects_path(file)
    rejects_path.parent.mkdir(parents=True, exist_ok=True)
    if dry_run:
        result.write_rejects(rejects_path)
        typer.echo(
            f"\nĐã ghi {len(result.rejects)} lỗi vào {rejects_path}" if vi else
            f"\nWrote {len(result.rejects)} problems to {rejects_path}"
        )
        return
    try:
        counts = _store(kind.value, file.name, result)
    except (CnhtError, DBAPIError) as exc:
        reason = str(exc.orig).splitlines()[0] if isinstance(exc, DBAPIError) and exc.orig else str(exc)
        console.print(
            f"[red]Lỗi:[/red] cơ sở dữ liệu từ chối tệp ({reason}); không có gì được lưu." if vi else
            f"[red]Error:[/red] the database refused the file ({reason}); nothing was stored."
        )
        raise typer.Exit(code=1) from exc
    typer.echo(
        f"\nĐã lưu: đọc {counts.read}, thêm {counts.inserted}, cập nhật {counts.updated}, "
        f"không đổi {counts.unchanged}, loại {counts.rows_rejected}, ô bị bỏ qua "
        f"{counts.cells_rejected}" if vi else
        f"\nStored: read {counts.read}, inserted {counts.inserted}, updated "
        f"{counts.updated}, unchanged {counts.unchanged}, rejected {counts.rows_rejected}, "
        f"cells rejected {counts.cells_rejected}"
    )
    problems = pd.DataFrame.from_records(
        counts.rejects, columns=["row", "column", "value", "reason", "fix", "scope"]
    )
    safe_frame(problems).to_csv(rejects_path, index=False, encoding="utf-8-sig")
    typer.echo(
        f"Đã ghi {len(problems)} lỗi vào {rejects_path}" if vi else
        f"Wrote {len(problems)} problems to {rejects_path}"
    )


def default_rejects_path(file: Path) -> Path:
    """``<FILE>.rejects.csv`` beside the file, unless the file is in the repository's ``data/``.

    The committed demo and template files are checked by the tests; a report written next to
    them (as the README's own ``--dry-run`` example did) would break them, so it goes to
    ``<temporary folder>/cnht-rejects/`` instead.
    """
    import tempfile

    from features.demo import default_folder

    name = f"{file.stem}.rejects.csv"
    data = default_folder().resolve().parent
    if file.resolve().is_relative_to(data):
        return Path(tempfile.gettempdir()) / "cnht-rejects" / name
    return file.with_name(name)


def _store(kind: str, filename: str, result):
    """Store the file's rows (only its columns) and the import job in one transaction."""
    from api.settings import get_settings
    from api.storage.imports import import_result
    from api.storage.models import ImportJob
    from api.storage.session import make_engine, make_sessionmaker, migrate, transaction

    engine = make_engine(get_settings())
    try:
        migrate(engine)
        with transaction(make_sessionmaker(engine)) as session:
            counts = import_result(session, result, "cli")
            session.add(ImportJob(
                kind=kind, filename=filename[:300], status="done", rows_read=counts.read,
                inserted=counts.inserted, updated=counts.updated, unchanged=counts.unchanged,
                rejected=counts.rows_rejected, rejects=counts.rejects, by="cli",
            ))  # fmt: skip
        return counts
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    """Add ``cnht import`` to the CLI."""
    app.command(
        "import",
        help=(
            "Nhập bảng firms|buyers|needs|outcomes từ CSV/XLSX vào cơ sở dữ liệu "
            "(CNHT_DATABASE_URL; --dry-run: chỉ kiểm tra).\n\n"
            "Import a firms|buyers|needs|outcomes table from CSV/XLSX into the database "
            "(CNHT_DATABASE_URL; --dry-run: check only)."
        ),
    )(import_table)
