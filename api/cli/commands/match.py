"""``cnht match``: rank firms against a need: those of the service's database (``CNHT_DATABASE_URL``),
or of any CSV/XLSX given with ``--firms`` (then no database is needed)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from features.demo import default_folder

DEMO_DIR = default_folder()  # the committed demo files, for --data

__all__ = ["register", "match_command", "load_table", "Format"]


class Format(StrEnum):
    """Output format of `cnht match` and `cnht suggest`."""

    table = "table"
    json = "json"
    csv = "csv"


def load_table(path: Path, kind: str):
    """Read a firms/needs/buyers table: ``features.ingest`` (rejects reported on stderr), else pandas."""
    import pandas as pd

    if not path.exists():
        raise typer.BadParameter(
            f"{kind} file {path} does not exist. Give an existing CSV/XLSX, or generate the demo data "
            "with `cnht demo --generate`."
        )
    try:
        from features import ingest
    except ImportError:  # ingestion is optional for ad-hoc use
        ingest = None
    if ingest is not None and hasattr(ingest, f"read_{kind}"):
        result = getattr(ingest, f"read_{kind}")(path)
        if result.rows_rejected:
            print(f"{path}: {result.rows_rejected} of {result.rows_read} rows rejected "
                  "(run `cnht import` for the report)", file=sys.stderr)
        return result.data.reset_index(drop=True)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return pd.read_excel(path, dtype=str)
    return pd.read_csv(path, dtype=str, keep_default_na=False).replace({"": None})


def load_adhoc_firms(path: Path, sheet: str | None = None):
    """Firms of a CSV/XLSX with at least ``firm_id``, ``name``, ``description`` columns.

    Read through :mod:`features.ingest` (encodings, Vietnamese headers, text normalised);
    the firms keep their own IDs (:func:`features.identity.normalize_id`); columns of the
    firms table are used (``province`` stands in for a missing address), other columns are
    named in one note on stderr and ignored; rejected rows are summarised on stderr. Raises ``typer.BadParameter`` saying what is
    missing when no usable row remains, instead of printing an empty list.
    """
    from features.exceptions import CnhtError
    from features.ingest import read_table

    if not path.exists():
        raise typer.BadParameter(f"{path} does not exist; give a CSV or XLSX of firms.", param_hint="--firms")
    if not path.is_file():
        raise typer.BadParameter(f"{path} is not a file; give a CSV or XLSX of firms.", param_hint="--firms")
    try:
        result = read_table("firms", path, sheet=sheet)
    except CnhtError as exc:
        raise typer.BadParameter(str(exc), param_hint="--firms") from None
    firms = result.data.reset_index(drop=True)
    if result.unknown_columns:  # extra columns of someone else's list: used by nobody, said once
        used = ", ".join(f"{written} → {column}" if written != column else column
                         for written, column in result.columns.items())
        print(f"{path}: ignored columns {', '.join(result.unknown_columns)} "
              f"(used: {used})", file=sys.stderr)
    row_problems = result.rejects[result.rejects["scope"] == "row"]
    problems = [
        f"row {r.row}, {r.column}: {r.reason}" for r in row_problems.head(3).itertuples(index=False)
    ]
    if result.rows_rejected:
        print(f"{path}: {result.rows_rejected} of {result.rows_read} rows rejected, e.g. "
              + "; ".join(problems) + " (`cnht import firms FILE --dry-run` lists them all)", file=sys.stderr)
    if firms.empty:
        raise typer.BadParameter(
            f"{path} has no usable firm row ({result.rows_read} read, all rejected: "
            + "; ".join(problems) + ").",
            param_hint="--firms",
        )
    if "description" not in firms.columns or firms["description"].isna().all():
        raise typer.BadParameter(
            f"{path} has no description column (or it is empty); ad-hoc matching needs firm_id, "
            "name and description (Mô tả năng lực), everything else is optional.",
            param_hint="--firms",
        )
    return firms


def _results(matcher, ranked, need, lang: str) -> list[dict]:
    from matching.explain import reason_lines

    names = dict(zip(matcher.firm_ids_, matcher.firms_.names, strict=True))
    components = list(matcher.weights_)
    out = []
    explanations = matcher.explain_many(need, ranked["firm_id"].tolist())
    for (_, row), explanation in zip(ranked.iterrows(), explanations, strict=True):
        out.append({
            "rank": int(row["rank"]),
            "firm_id": row["firm_id"],
            "name": names[row["firm_id"]],
            "score": round(float(row["score"]), 6),
            "components": {c: round(float(row[c]), 6) for c in components},
            "reasons": reason_lines(explanation.failed + explanation.reasons, lang),
        })
    return out


def _understood_lines(facts: dict) -> list[str]:
    """The short "Đã hiểu / Understood" block of the table format."""
    def codes(items: list[dict]) -> str:
        return ", ".join(f"{item['vi']} / {item['en']}" for item in items) or "—"

    lines = [f"Công đoạn / Processes: {codes(facts['processes'])}",
             f"Vật liệu / Materials: {codes(facts['materials'])}"]
    if facts["product_groups"]:
        lines.append(f"Sản phẩm / Products: {codes(facts['product_groups'])}")
    if facts["quantity"]:
        lines.append(f"Số lượng / Quantity: {facts['quantity']['per_month']:,.0f}/tháng (month)"
                     f" ← “{facts['quantity']['text']}”")
    if facts["place"]:
        place = facts["place"]
        lines.append(f"Địa điểm / Place: {place['name_vi'] or place['park_id']} / {place['name_en']}")
    certificates = facts["certifications"]
    if certificates["mandatory"] or certificates["preferred"]:
        lines.append("Chứng nhận / Certificates: bắt buộc (required) "
                     f"{', '.join(c['code'] for c in certificates['mandatory']) or '—'}; ưu tiên (preferred) "
                     f"{', '.join(c['code'] for c in certificates['preferred']) or '—'}")
    if facts["deadline"]:
        lines.append(f"Hạn / Deadline: {facts['deadline']}")
    return lines + [f"⚠ {warning}" for warning in facts["warnings"]]


def print_results(results: list[dict], fmt: Format, title: str, understood: dict | None = None) -> None:
    """Print match results as a rich table, JSON or CSV.

    ``understood`` (:func:`matching.need_facts.understood`) goes next to the results: the
    ``"understood"`` key of the JSON object (then ``"results"`` holds the list), a block
    before the table, its warnings on stderr with CSV.
    """
    if fmt is Format.json:
        payload = results if understood is None else {"understood": understood, "results": results}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if fmt is Format.csv:
        import pandas as pd

        from features.cells import safe_frame

        for warning in (understood or {}).get("warnings", []):
            print(f"warning: {warning}", file=sys.stderr)

        flat = [{"rank": r["rank"], "firm_id": r["firm_id"], "name": r["name"], "score": r["score"],
                 **r["components"], "reasons": " | ".join(r["reasons"])} for r in results]
        print(safe_frame(pd.DataFrame(flat)).to_csv(index=False), end="")
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    if understood is not None:
        Console(width=160).print("[bold]Đã hiểu / Understood[/]\n" + escape("\n".join(_understood_lines(understood))))

    table = Table(title=title, show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("Doanh nghiệp / Firm")
    table.add_column("Điểm / Score", justify="right")
    table.add_column("Lý do / Reasons")
    for r in results:
        top = sorted(r["components"].items(), key=lambda kv: -kv[1])[:3]
        parts = ", ".join(f"{name} {value:.2f}" for name, value in top if value > 0)
        table.add_row(str(r["rank"]), f"{r['firm_id']}\n{r['name']}", f"{r['score']:.3f}\n[dim]{parts}[/]",
                      "\n".join(f"• {line}" for line in r["reasons"][:6]))
    Console(width=160).print(table)


def match_command(
    need: Annotated[str | None, typer.Option("--need", help="The need as free text (vi/en/ja).")] = None,
    need_id: Annotated[str | None, typer.Option("--need-id", help="A need of the database (CNHT_DATABASE_URL, default cnht.db), or of --needs/--data files, e.g. N-0001.")] = None,
    firms: Annotated[Path | None, typer.Option("--firms", help="CSV/XLSX with at least firm_id (your own IDs), name, description; other columns are ignored with a note. Default: the firms of the database.")] = None,
    needs_file: Annotated[Path | None, typer.Option("--needs", help="Needs CSV/XLSX to take --need-id from (default: the database).")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data", help="Folder with firms.csv, buyers.csv, needs.csv to use instead of the database (e.g. data/demo).")] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="How many firms to list.")] = 10,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
    lang: Annotated[str, typer.Option("--lang", help="Reasons in vi, en or both.")] = "both",
    no_geocode: Annotated[bool, typer.Option("--no-geocode", help="Skip address geocoding of --firms files (faster).")] = False,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Sheet of an XLSX --firms file (default: the first).")] = None,
) -> None:
    """Xếp hạng doanh nghiệp cho một nhu cầu / Rank firms for a need, with reasons.

    Database (the service's, CNHT_DATABASE_URL, default cnht.db): ``cnht match --need-id N-0001``
    or ``cnht match --need "vỏ nhôm CNC"``: a need created through the API or imported is known.
    Files: ``cnht match --firms firms.csv --need "vỏ nhôm CNC cho camera, ISO 9001" --top 5``;
    ``cnht match --need-id N-0001 --data data/demo``.
    """
    from contextlib import nullcontext

    from features.exceptions import CnhtError
    from matching.matcher import SupplierMatcher
    from matching.need_facts import understood
    from matching.needs import parse_need

    if lang not in {"vi", "en", "both"}:
        raise typer.BadParameter(f"Expected --lang vi, en or both, got {lang!r}.")
    if (need is None) == (need_id is None):
        raise typer.BadParameter("Expected exactly one of --need TEXT or --need-id ID, got "
                                 + ("both." if need else "neither."))
    firms_from_db = firms is None and data_dir is None
    need_from_db = need_id is not None and needs_file is None and data_dir is None
    if firms is not None:
        firms_table = load_adhoc_firms(firms, sheet)
    elif data_dir is not None:
        firms_table = load_table(data_dir / "firms.csv", "firms")
    from api.cli.database import database_session, fitted_on_database

    with database_session() if (firms_from_db or need_from_db) else nullcontext() as session:
        buyers = None
        if need_id is not None and need_from_db:
            need_value, title, buyers = _database_need(session, need_id)
        elif need_id is not None:
            need_value, title = _file_need(needs_file or data_dir / "needs.csv", need_id)
            buyers_path = (data_dir or needs_file.parent) / "buyers.csv"
            buyers = load_table(buyers_path, "buyers") if buyers_path.exists() else None
        else:
            need_value, title = need, f"“{need}”"
        try:
            if firms_from_db:
                matcher = fitted_on_database(session).matcher
            else:
                matcher = SupplierMatcher(geocode=not no_geocode).fit(firms_table, buyers=buyers)
            ranked = matcher.rank(need_value, k=top)
            results = _results(matcher, ranked, need_value, lang)
            facts = understood(parse_need(need_value, taxonomy=matcher.taxonomy), matcher.taxonomy)
        except CnhtError as error:  # every domain error is the user's to fix: say so, no traceback
            raise typer.BadParameter(str(error)) from None
    print_results(results, fmt, title, understood=facts)


def _file_need(path: Path, need_id: str) -> tuple[dict, str]:
    needs = load_table(path, "needs")
    chosen = needs[needs["need_id"].astype(str) == need_id]
    if chosen.empty:
        example = f" (e.g. {needs['need_id'].iloc[0]})" if len(needs) else ""
        raise typer.BadParameter(f"Expected a need_id of {path}{example}, got {need_id!r}.")
    value = {k: v for k, v in chosen.iloc[0].to_dict().items() if k in _NEED_KEYS()}
    return value, f"{need_id}: {value.get('title') or ''}"


def _database_need(session, need_id: str):
    """The stored need as a record, its title line, and the database's buyers (to place it)."""
    from sqlalchemy import select

    from api.ranking import buyers_frame, need_record
    from api.storage import repository
    from api.storage.errors import NotFoundError
    from api.storage.models import Buyer

    try:
        stored = repository.get_need(session, need_id)
    except NotFoundError as exc:
        raise typer.BadParameter(
            f"{exc} The database is CNHT_DATABASE_URL (default cnht.db); give --needs FILE or --data "
            "FOLDER to take the need from files."
        ) from None
    buyers = buyers_frame(list(session.scalars(select(Buyer).order_by(Buyer.buyer_id))))
    return need_record(stored), f"{need_id}: {stored.title or ''}", buyers


def _NEED_KEYS() -> set[str]:
    from features.columns import NEED_COLUMNS

    return set(NEED_COLUMNS)


def register(app: typer.Typer) -> None:
    """Add ``cnht match`` to the CLI."""
    app.command("match")(match_command)
