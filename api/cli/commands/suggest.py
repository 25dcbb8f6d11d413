"""``cnht suggest``: the open needs a firm fits, with what it lacks (gaps) and the best upgrades."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.cli.commands.match import DEMO_DIR, Format, load_table

__all__ = ["register", "suggest_command"]


def suggest_command(
    firm_id: Annotated[str, typer.Option("--firm-id", help="The firm, e.g. F0001.")],
    data_dir: Annotated[Path, typer.Option("--data", help="Folder with firms.csv, buyers.csv, needs.csv.")] = DEMO_DIR,
    firms: Annotated[Path | None, typer.Option("--firms", help="Firms CSV/XLSX (default: DATA/firms.csv).")] = None,
    needs: Annotated[Path | None, typer.Option("--needs", help="Needs CSV/XLSX (default: DATA/needs.csv).")] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=100, help="How many needs to list.")] = 10,
    fmt: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    no_geocode: Annotated[bool, typer.Option("--no-geocode", help="Skip address geocoding (faster).")] = False,
) -> None:
    """Nhu cầu phù hợp với doanh nghiệp / The open needs a firm fits, with its gaps.

    ``cnht suggest --firm-id F0001`` lists the demo needs F0001 fits best, why, what it lacks
    for each, and the single upgrades that would open the most shortlists.
    """
    from matching.exceptions import MatchingError
    from matching.matcher import SupplierMatcher

    firms_table = load_table(firms or data_dir / "firms.csv", "firms")
    needs_table = load_table(needs or data_dir / "needs.csv", "needs")
    buyers_path = data_dir / "buyers.csv"
    buyers = load_table(buyers_path, "buyers") if buyers_path.exists() else None
    from features.columns import NEED_COLUMNS

    needs_table = needs_table[[c for c in needs_table.columns if c in NEED_COLUMNS]]
    try:
        matcher = SupplierMatcher(geocode=not no_geocode).fit(firms_table, buyers=buyers, needs=needs_table)
        suggested = matcher.suggest_needs(firm_id, k=top)
        by_id = {q.need_id: q for q in matcher.needs_}
        results = []
        for _, row in suggested.iterrows():
            gaps = matcher.gaps(firm_id, by_id[row["need_id"]])
            results.append({"rank": int(row["rank"]), "need_id": row["need_id"], "score": round(row["score"], 6),
                            "components": {c: round(float(row[c]), 6) for c in matcher.weights_},
                            "reasons": [r for r in row["reasons"]],
                            "gaps": [str(g) for g in gaps]})
        upgrades = matcher.best_upgrades(firm_id, top=5)
    except MatchingError as error:
        raise typer.BadParameter(str(error)) from None
    if fmt is Format.json:
        print(json.dumps({"firm_id": firm_id, "needs": results,
                          "best_upgrades": upgrades.to_dict("records")}, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{firm_id}: nhu cầu phù hợp / needs it fits", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("Nhu cầu / Need")
    table.add_column("Điểm / Score", justify="right")
    table.add_column("Lý do / Reasons")
    table.add_column("Còn thiếu / Gaps")
    for r in results:
        table.add_row(str(r["rank"]), r["need_id"], f"{r['score']:.3f}",
                      "\n".join(f"• {x}" for x in r["reasons"] if not x.startswith("không") )[:600],
                      "\n".join(f"• {g}" for g in r["gaps"]) or "—")
    console = Console(width=160)
    console.print(table)
    if len(upgrades):
        console.print("[bold]Nâng cấp đáng giá nhất / Best single upgrades[/]")
        for _, u in upgrades.iterrows():
            console.print(f"• {u['label_vi']} / {u['label_en']}: +{u['new_shortlists']} "
                          f"danh sách / shortlists ({', '.join(u['needs'])})")


def register(app: typer.Typer) -> None:
    """Add ``cnht suggest`` to the CLI."""
    app.command("suggest")(suggest_command)
