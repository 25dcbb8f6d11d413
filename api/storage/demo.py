"""Seeding the embedded demo dataset (``data/demo/*.csv``) into an empty database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.storage.errors import ServiceError
from api.storage.imports import ImportCounts, import_result
from api.storage.models import Firm

__all__ = ["seed_demo", "DEMO_KINDS"]

# Buyers before needs (a need names its buyer), firms and needs before outcomes.
DEMO_KINDS: tuple[str, ...] = ("buyers", "firms", "needs", "outcomes")


class DemoDataError(ServiceError):
    """The demo folder lacks a table."""


def seed_demo(factory: sessionmaker[Session], folder: str | Path) -> dict[str, ImportCounts] | None:
    """Import the demo tables of ``folder`` when the database has no firm yet.

    Parameters
    ----------
    factory : sessionmaker
    folder : str or Path
        Holds ``buyers.csv``, ``firms.csv``, ``needs.csv`` and, optionally, ``outcomes.csv``.

    Returns
    -------
    dict or None
        Counts per table, or None when the database already had firms (nothing done). Each
        covers the whole file: rows rejected on reading (``read_rejected``: duplicates, rows
        without an identity) as well as on storing (``rejected``), and their ``rejects``.
    """
    from features.ingest import read_buyers, read_firms, read_needs, read_outcomes

    readers = {"buyers": read_buyers, "firms": read_firms, "needs": read_needs,
               "outcomes": read_outcomes}  # fmt: skip
    folder = Path(folder)
    with factory() as session, session.begin():
        if session.scalar(select(func.count()).select_from(Firm)):
            return None
        counts: dict[str, ImportCounts] = {}
        for kind in DEMO_KINDS:
            path = folder / f"{kind}.csv"
            if not path.is_file():
                if kind == "outcomes":
                    continue
                raise DemoDataError(
                    f"Expected the demo table {path.resolve()}, found no such file. Run the "
                    "command from the repository root (data/demo/ is part of the repository), "
                    "set CNHT_DEMO_FOLDER to the folder, or rebuild it with `cnht demo --generate`."
                )
            result = readers[kind](path)
            counts[kind] = import_result(session, result, "demo-seed")
        return counts
