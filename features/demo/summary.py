"""What the demo data look like, computed by the feature pipeline from the files.

Nothing here reads ``truth/``: sectors are resolved through the taxonomy and
certifications parsed by :mod:`features.certifications`, as for any imported file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from features import clock
from features.exceptions import CnhtError
from features.plan import FIRMS_TARGET, INTERNATIONAL_TARGET

__all__ = ["DemoSummary", "DemoFilesMissingError", "summarize", "PLAN_FIRMS", "PLAN_INTERNATIONAL"]

# The plan's targets, from the one place that holds them.
PLAN_FIRMS = FIRMS_TARGET
PLAN_INTERNATIONAL = INTERNATIONAL_TARGET


class DemoFilesMissingError(CnhtError):
    """The demo folder lacks one of the four CSV tables."""


@dataclass(frozen=True)
class DemoSummary:
    """Counts shown by ``cnht demo``.

    Attributes
    ----------
    firms_by_sector : pandas.Series
        Firms per sector code, largest first, by :func:`features.sectors.firm_sectors` (the
        rule of ``GET /kpi``: stated sectors and those the description, products and
        materials name; a firm with two sectors counts in both, one with none nowhere).
    n_firms : int
        Firms accepted by ingestion (duplicates and rows without identity left out).
    n_firm_rows, n_duplicates, n_unique_firm_ids : int
        Rows in the file, rows rejected as duplicates of another row, distinct firm ids.
    n_valid_international : int
        Firms with at least one international-standard certification valid on ``as_of``.
    buyers_by_country, needs_by_status, outcomes_by_final_status : pandas.Series
    as_of : date
    """

    firms_by_sector: pd.Series
    n_firms: int
    n_firm_rows: int
    n_duplicates: int
    n_unique_firm_ids: int
    n_valid_international: int
    buyers_by_country: pd.Series
    needs_by_status: pd.Series
    outcomes_by_final_status: pd.Series
    as_of: date


def _read(folder: Path, table: str) -> pd.DataFrame:
    path = folder / f"{table}.csv"
    if not path.is_file():
        raise DemoFilesMissingError(
            f"Expected {table}.csv in {folder}, found no such file. "
            "Generate the demo data with `cnht demo --generate` or pass the right folder."
        )
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def summarize(folder: Path, as_of: date | None = None) -> DemoSummary:
    """Summarise the demo tables in ``folder`` with the feature pipeline.

    Parameters
    ----------
    folder : Path
        Folder holding firms.csv, buyers.csv, needs.csv and outcomes.csv.
    as_of : date, optional
        Day on which certifications must be valid. Default: today in Hanoi (features.clock).

    Returns
    -------
    DemoSummary
    """
    from features.certifications import valid_codes
    from features.ingest import read_firms
    from features.sectors import firm_sectors, firms_by_sector

    as_of = as_of or clock.today()
    raw_firms = _read(folder, "firms")
    # The plan counts firms, not rows: ingestion drops the duplicate rows (and says so).
    ingested = read_firms(folder / "firms.csv")
    firms = ingested.data.astype(object).fillna("")
    rejected = ingested.duplicates[~ingested.duplicates["kept"]] if len(ingested.duplicates) else ingested.duplicates
    n_duplicates = int(rejected["row"].nunique())  # a branch with its own code is kept, not a duplicate
    buyers = _read(folder, "buyers")
    needs = _read(folder, "needs")
    outcomes = _read(folder, "outcomes")
    # The rule of every tool (features.sectors): stated sectors and those the texts name.
    by_sector = firms_by_sector(firm_sectors(firm) for firm in firms.to_dict("records"))
    international = firms["certifications"].map(
        lambda text: bool(valid_codes(text, as_of=as_of, international_only=True))
    )
    ordered = outcomes.assign(at=pd.to_datetime(outcomes["at"], utc=True)).sort_values(
        ["need_id", "firm_id", "at"], kind="stable"
    )
    final = ordered.groupby(["need_id", "firm_id"], sort=True)["status"].last()
    return DemoSummary(
        firms_by_sector=pd.Series(by_sector, dtype="int64").sort_values(ascending=False, kind="stable"),
        n_firms=len(firms),
        n_firm_rows=len(raw_firms),
        n_duplicates=n_duplicates,
        n_unique_firm_ids=int(raw_firms["firm_id"].nunique()),
        n_valid_international=int(international.sum()),
        buyers_by_country=buyers["country"].value_counts(),
        needs_by_status=needs["status"].value_counts(),
        outcomes_by_final_status=final.value_counts(),
        as_of=as_of,
    )
