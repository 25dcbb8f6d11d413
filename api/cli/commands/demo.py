"""``cnht demo``: where the demo data are and what they hold; ``--generate`` rebuilds them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from features.demo import default_folder

DEMO_DIR = default_folder()


def demo_command(
    generate: Annotated[
        bool, typer.Option("--generate", help="Regenerate the demo files (CSV, XLSX, templates, truth/).")
    ] = False,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Random seed (>= 0); the same seed gives byte-identical files.")
    ] = 2025,
    out: Annotated[Path, typer.Option("--out", help="Folder of the demo files.")] = DEMO_DIR,
) -> None:
    """Dữ liệu mẫu / The embedded demo dataset.

    Without options: prints where the demo files are and a summary computed by the feature
    pipeline from the files (never from truth/): firms by sector (resolved through the
    taxonomy), firms with an international-standard certification valid today against the
    plan's 400 of 900, buyers by country, needs open/closed, outcomes by final status.

    With --generate: writes firms, buyers, needs and outcomes (.csv with English headers,
    .xlsx with Vietnamese headers), empty import templates in templates/, and the
    generator's hidden state in truth/ (for measuring the pipeline; never for matching).
    """
    from rich.console import Console
    from rich.table import Table

    from features.demo.summary import PLAN_FIRMS, PLAN_INTERNATIONAL, summarize

    console = Console()
    if out.exists() and not out.is_dir():
        raise typer.BadParameter(f"{out} is a file; give a folder (it is created if missing).", param_hint="--out")
    if generate:
        from features.demo import generate as generate_demo

        data = generate_demo(seed=seed, out=out)
        console.print(
            f"Wrote {len(data.firms)} firm rows, {len(data.buyers)} buyers, {len(data.needs)} needs, "
            f"{len(data.outcomes)} outcome events (seed {seed}) to {out}/"
        )
    try:
        summary = summarize(out)
    except Exception as exc:  # a CnhtError says what is missing and how to fix it
        from features.exceptions import CnhtError

        if isinstance(exc, CnhtError):
            raise typer.BadParameter(str(exc), param_hint="--out") from exc
        raise
    console.print(f"Demo data / Dữ liệu mẫu: {out.resolve()}")
    console.print(
        f"Firms / Doanh nghiệp: [bold]{summary.n_firms}[/bold] (plan / kế hoạch: {PLAN_FIRMS}) — "
        f"{summary.n_firm_rows} rows in firms.csv, {summary.n_duplicates} duplicate rows left out."
    )
    share = summary.n_valid_international / max(summary.n_firms, 1)
    console.print(
        f"Valid international-standard certification on {summary.as_of.isoformat()} / "
        f"Có chứng chỉ tiêu chuẩn quốc tế còn hiệu lực: [bold]{summary.n_valid_international}[/bold] "
        f"of {summary.n_firms} ({share:.0%}) — plan: {PLAN_INTERNATIONAL} of {PLAN_FIRMS}"
    )
    from features.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    sectors = summary.firms_by_sector.rename(
        index=lambda code: f"{taxonomy.get(code).label_vi} / {taxonomy.get(code).label_en} ({code})"
        if code in taxonomy
        else code
    )
    for title, series, label in (
        ("Firms by sector / Doanh nghiệp theo ngành", sectors, "sector / ngành"),
        ("Buyers by country / Bên mua theo quốc gia", summary.buyers_by_country, "country"),
        ("Needs / Nhu cầu", summary.needs_by_status, "status"),
        ("Outcomes by final status / Kết quả", summary.outcomes_by_final_status, "final status"),
    ):
        table = Table(title=title)
        table.add_column(label)
        table.add_column("count", justify="right")
        for key, count in series.items():
            table.add_row(str(key), str(int(count)))
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``cnht demo`` to the CLI."""
    app.command("demo")(demo_command)
