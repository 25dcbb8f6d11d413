"""``cnht suggest``: the open needs a firm fits, with what it lacks (gaps) and the best upgrades.

Reads the service's database (``CNHT_DATABASE_URL``, default ``cnht.db``), or files when given
``--firms``/``--needs``/``--data``. Closed and past-deadline needs are left out unless
``--all`` asks for them; then each says what it is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api.cli.commands.match import Format, load_table

__all__ = ["register", "suggest_command"]


def suggest_command(
    firm_id: Annotated[str, typer.Option("--firm-id", help="The firm, e.g. F0001.")],
    data_dir: Annotated[Path | None, typer.Option("--data", help="Folder with firms.csv, buyers.csv, needs.csv to use instead of the database (e.g. data/demo).")] = None,
    firms: Annotated[Path | None, typer.Option("--firms", help="Firms CSV/XLSX (default: DATA/firms.csv, else the database).")] = None,
    needs: Annotated[Path | None, typer.Option("--needs", help="Needs CSV/XLSX (default: DATA/needs.csv, else the database).")] = None,
    include_all: Annotated[bool, typer.Option("--all", help="Also closed and past-deadline needs, marked as such.")] = False,
    top: Annotated[int, typer.Option("--top", min=1, max=100, help="How many needs to list.")] = 10,
    fmt: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    no_geocode: Annotated[bool, typer.Option("--no-geocode", help="Skip address geocoding of files (faster).")] = False,
) -> None:
    """Nhu cầu phù hợp với doanh nghiệp / The open needs a firm fits, with its gaps.

    ``cnht suggest --firm-id F0001`` lists the open needs of the database F0001 fits best, why,
    what it lacks for each, and the single upgrades that would open the most shortlists;
    ``--all`` adds closed and past-deadline needs (marked); ``--data data/demo`` reads files.
    """
    from contextlib import nullcontext

    from api.cli.database import database_session, fitted_on_database
    from features.columns import NEED_COLUMNS
    from features.exceptions import CnhtError
    from matching.matcher import SupplierMatcher
    from matching.need_state import STATE_LABELS, need_state
    from matching.needs import parse_needs

    use_files = data_dir is not None or firms is not None or needs is not None
    with database_session() if not use_files else nullcontext() as session:
        try:
            if use_files:
                folder = data_dir or (firms or needs).parent
                firms_table = load_table(firms or folder / "firms.csv", "firms")
                needs_table = load_table(needs or folder / "needs.csv", "needs")
                buyers_path = folder / "buyers.csv"
                buyers = load_table(buyers_path, "buyers") if buyers_path.exists() else None
                needs_table = needs_table[[c for c in needs_table.columns if c in NEED_COLUMNS]]
                matcher = SupplierMatcher(geocode=not no_geocode).fit(firms_table, buyers=buyers)
                records = needs_table.to_dict("records")
                queries = parse_needs(needs_table, taxonomy=matcher.taxonomy) if len(needs_table) else []
            else:
                from sqlalchemy import select

                from api.ranking import need_record, parse_stored_need
                from api.storage.models import Need

                matcher = fitted_on_database(session).matcher
                stored = list(session.scalars(select(Need).order_by(Need.need_id)))
                records = [need_record(need) for need in stored]
                queries = [parse_stored_need(need) for need in stored]
            states = {str(r["need_id"]): need_state(r.get("status"), r.get("deadline"), need_id=str(r["need_id"]))
                      for r in records}  # fmt: skip
            queries = [q for q in queries if include_all or states[q.need_id] == "open"]
            suggested = matcher.suggest_needs(firm_id, needs=queries, k=top)
            by_id = {q.need_id: q for q in queries}
            results = []
            for _, row in suggested.iterrows():
                gaps = matcher.gaps(firm_id, by_id[row["need_id"]])
                results.append({"rank": int(row["rank"]), "need_id": row["need_id"],
                                "state": states[row["need_id"]], "score": round(row["score"], 6),
                                "components": {c: round(float(row[c]), 6) for c in matcher.weights_},
                                "reasons": [r for r in row["reasons"]],
                                "gaps": [str(g) for g in gaps]})  # fmt: skip
            open_queries = [q for q in queries if states[q.need_id] == "open"]
            upgrades = matcher.best_upgrades(firm_id, needs=open_queries, top=5) if open_queries else None
        except CnhtError as error:
            raise typer.BadParameter(str(error)) from None
    if upgrades is None:
        import pandas as pd

        upgrades = pd.DataFrame(columns=["label_vi", "label_en", "new_shortlists", "needs"])
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
        mark = "" if r["state"] == "open" else "\n({} / {})".format(*STATE_LABELS[r["state"]])
        table.add_row(str(r["rank"]), r["need_id"] + mark, f"{r['score']:.3f}",
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
