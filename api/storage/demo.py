"""Seeding the embedded demo dataset (``data/demo/*.csv``) into an empty database.

The demo firms are dated as the field survey would have recorded them (:func:`survey_days`),
not all on the seeding day: the dashboard's "firms over time" chart then rises over the demo's
two years instead of jumping from 0 to 906 on its last day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.storage.errors import ServiceError
from api.storage.imports import ImportCounts, import_result
from api.storage.models import Firm, Need, Outcome
from features import clock

__all__ = ["seed_demo", "survey_days", "DEMO_KINDS"]

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
        _date_firms(session)
        return counts


def survey_days(firm_ids: Sequence[str], need_days: Iterable[dt.date],
                first_outcomes: Mapping[str, dt.date]) -> dict[str, dt.date]:  # fmt: skip
    """The day the field survey recorded each demo firm.

    The survey gave firm ids in the order it recorded firms, evenly from the demo's first
    need's day to its last; a firm that an outcome names earlier was recorded the day before
    its first outcome (nothing happens to a firm before it is recorded).

    Parameters
    ----------
    firm_ids : sequence of str
        Every firm; recorded in the order of the sorted ids.
    need_days : iterable of date
        The needs' ``created`` days: the survey's period is their first to their last.
    first_outcomes : mapping of str to date
        Firm id -> Hanoi day of its first outcome.

    Returns
    -------
    dict of str to date
        Empty when no need has a ``created`` day (the firms keep their seeding time).

    Examples
    --------
    >>> days = survey_days(["F2", "F1", "F3"], [dt.date(2025, 1, 1), dt.date(2025, 1, 11)],
    ...                    {"F3": dt.date(2025, 1, 4)})
    >>> [(firm, str(day)) for firm, day in sorted(days.items())]
    [('F1', '2025-01-01'), ('F2', '2025-01-06'), ('F3', '2025-01-03')]
    """
    need_days = sorted(need_days)
    if not need_days or not firm_ids:
        return {}
    first, span = need_days[0], (need_days[-1] - need_days[0]).days
    ordered = sorted(firm_ids)
    step = span / max(len(ordered) - 1, 1)
    days = {}
    for index, firm_id in enumerate(ordered):
        day = first + dt.timedelta(days=round(index * step))
        if firm_id in first_outcomes:
            day = min(day, first_outcomes[firm_id] - dt.timedelta(days=1))
        days[firm_id] = day
    return days


def _date_firms(session: Session) -> None:
    """Set each seeded firm's ``created_at`` to 09:00 Hanoi time on its :func:`survey_days` day
    (never after now, so the last point of the progress chart is still ``GET /kpi``'s figure)."""
    session.flush()
    first_outcomes = {firm_id: at.astimezone(clock.TIME_ZONE).date() for firm_id, at in session.execute(
        select(Outcome.firm_id, func.min(Outcome.at)).group_by(Outcome.firm_id))}  # fmt: skip
    need_days = session.scalars(select(Need.created).where(Need.created.is_not(None)))
    firms = {firm.firm_id: firm for firm in session.scalars(select(Firm))}
    now = dt.datetime.now(dt.UTC)
    for firm_id, day in survey_days(list(firms), need_days, first_outcomes).items():
        recorded = dt.datetime.combine(day, dt.time(9), tzinfo=clock.TIME_ZONE).astimezone(dt.UTC)
        firms[firm_id].created_at = min(recorded, now)
