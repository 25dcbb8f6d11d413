"""Upserting an ingested table (:class:`features.ingest.IngestResult`) in one transaction.

Firms are matched by ``firm_id``, then by tax code (a file whose tax codes exist updates
those firms); buyers and needs by their ids; an outcome row is unchanged when the same
(need, firm, status, time) is stored, and otherwise must follow the pair's latest status.
Rows that cannot be stored for a reason of their own (a need of an unknown buyer, an
illegal outcome move) become rejects; a failure of the database aborts the whole batch.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.storage import repository as repo
from api.storage.errors import IllegalTransitionError, ServiceError, UploadInvalidError
from api.storage.models import Buyer, Firm, Need, Outcome
from api.storage.outcomes import check_transition
from features.certifications import parse_certifications

__all__ = ["ImportCounts", "upsert_table", "IMPORT_LOCK_ID"]

# PostgreSQL advisory lock taken by every import: concurrent imports queue instead of
# racing on the same ids (SQLite gets the same effect from BEGIN IMMEDIATE).
IMPORT_LOCK_ID = 4_204_2020
VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")


@dataclass
class ImportCounts:
    """What an upsert did; ``rejects`` are dicts with row, column, reason, fix."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, row: int | None, column: str | None, reason: str, fix: str) -> None:
        """Add a row-level reject of the upsert itself."""
        self.rejects.append({"row": row, "column": column, "reason": reason, "fix": fix})
        self.rejected += 1


def _clean(value: Any) -> Any:
    """Plain Python value of a DataFrame cell (NA → None, Timestamp → date, numpy → python)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return value


def _cell(column: str, value: Any) -> Any:
    value = _clean(value)
    # Only an outcome's "at" is a moment; every other date column is a calendar day.
    if isinstance(value, dt.datetime) and column != "at":
        return value.date()
    return value


def _records(frame: pd.DataFrame) -> list[tuple[int, dict[str, Any]]]:
    return [
        (int(row_number), {column: _cell(column, value) for column, value in row.items()})
        for row_number, row in zip(frame.index, frame.to_dict("records"), strict=True)
    ]


class _RowRejected(ServiceError):
    def __init__(self, column: str, reason: str, fix: str) -> None:
        super().__init__(reason)
        self.column, self.reason, self.fix = column, reason, fix


def _upsert_firm(session: Session, record: dict[str, Any], actor: str) -> str:
    values = {name: record[name] for name in repo.FIRM_FIELDS if name in record}
    if "certifications" in record:
        values["certifications_text"] = record["certifications"]
    values["is_demo"] = bool(record.get("is_demo") or False)
    certs = [
        {name: getattr(cert, name) for name in repo.CERTIFICATION_FIELDS}
        for cert in parse_certifications(record.get("certifications"))
    ]
    firm = session.scalar(select(Firm).where(Firm.firm_id == record["firm_id"]))
    if firm is None and record.get("tax_code"):
        firm = session.scalar(select(Firm).where(Firm.tax_code == record["tax_code"]))
    if firm is None:
        repo.create_firm(session, {"firm_id": record["firm_id"], **values}, certs, actor)
        return "inserted"
    holder = None
    if record.get("tax_code"):
        holder = session.scalar(select(Firm).where(Firm.tax_code == record["tax_code"]))
    if holder is not None and holder.id != firm.id:
        raise _RowRejected(
            "tax_code",
            f"Tax code {record['tax_code']} belongs to firm {holder.firm_id}, "
            f"not to {firm.firm_id}.",
            "Correct the tax code or the firm_id so that they name the same firm.",
        )
    # Staff verification survives a re-import of the same certificate.
    verified = {repo._certification_tuple(c)[:-2]: c.verified for c in firm.certifications}
    for cert in certs:
        cert["verified"] = verified.get(tuple(cert[n] for n in repo.CERTIFICATION_FIELDS)[:-2], False)
    changed = repo.update_firm(session, firm, values, certs, actor)
    return "updated" if changed else "unchanged"


def _upsert_buyer(session: Session, record: dict[str, Any], actor: str) -> str:
    values = {name: record[name] for name in repo.BUYER_FIELDS if name in record}
    values["is_demo"] = bool(record.get("is_demo") or False)
    buyer = session.scalar(select(Buyer).where(Buyer.buyer_id == record["buyer_id"]))
    if buyer is None:
        repo.create_buyer(session, {"buyer_id": record["buyer_id"], **values}, actor)
        return "inserted"
    return "updated" if repo.update_buyer(session, buyer, values, actor) else "unchanged"


def _upsert_need(session: Session, record: dict[str, Any], actor: str) -> str:
    values = {name: record[name] for name in repo.NEED_FIELDS if name in record}
    values["is_demo"] = bool(record.get("is_demo") or False)
    values["status"] = record.get("status") or "open"
    buyer_id = record.get("buyer_id")
    if not buyer_id or session.scalar(select(Buyer.id).where(Buyer.buyer_id == buyer_id)) is None:
        raise _RowRejected(
            "buyer_id",
            f"Buyer {buyer_id!r} of need {record['need_id']} is not in the database.",
            "Import the buyers file first, or correct the buyer_id.",
        )
    need = session.scalar(select(Need).where(Need.need_id == record["need_id"]))
    if need is None:
        repo.create_need(session, {"need_id": record["need_id"], **values}, actor)
        return "inserted"
    return "updated" if repo.update_need(session, need, values, actor) else "unchanged"


def _as_datetime(value: Any) -> dt.datetime | None:
    """UTC moment of an outcome time; naive times are Vietnam local time (UTC+7)."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = pd.Timestamp(value).to_pydatetime()
    if value.tzinfo is None:
        value = value.replace(tzinfo=VIETNAM)
    return value.astimezone(dt.UTC)


def _same_instant(stored: dt.datetime, at: dt.datetime) -> bool:
    # SQLite gives back naive UTC wall-clock values, PostgreSQL aware ones.
    if stored.tzinfo is None:
        stored = stored.replace(tzinfo=dt.UTC)
    return stored == at


class _OutcomeLog:
    """The stored outcome history, loaded once per import and kept up to date in memory.

    An event log has many rows per pair; asking the database for the pair's history on
    every row would make a demo-sized import take minutes.
    """

    def __init__(self, session: Session) -> None:
        self.need_ids = set(session.scalars(select(Need.need_id)))
        self.firm_ids = set(session.scalars(select(Firm.firm_id)))
        self.history: dict[tuple[str, str], list[tuple[str, dt.datetime]]] = {}
        rows = session.execute(
            select(Outcome.need_id, Outcome.firm_id, Outcome.status, Outcome.at)
            .order_by(Outcome.at, Outcome.id)
        )  # fmt: skip
        for need_id, firm_id, status, at in rows:
            self.history.setdefault((need_id, firm_id), []).append((status, at))

    def upsert(self, session: Session, record: dict[str, Any], actor: str) -> str:
        need_id, firm_id, status = record["need_id"], record["firm_id"], record["status"]
        for column, known in (("need_id", self.need_ids), ("firm_id", self.firm_ids)):
            if record[column] not in known:
                raise _RowRejected(
                    column,
                    f"{column} {record[column]!r} is not in the database.",
                    f"Import the {column.split('_')[0]}s file first, or correct the id.",
                )
        at = _as_datetime(record.get("at"))
        history = self.history.setdefault((need_id, firm_id), [])
        if any(s == status and (at is None or _same_instant(a, at)) for s, a in history):
            return "unchanged"
        try:
            check_transition(history[-1][0] if history else None, status, record.get("reason"))
        except IllegalTransitionError as exc:
            raise _RowRejected(
                "status", str(exc), "Order the file by time, or correct the status."
            ) from exc
        except ServiceError as exc:
            raise _RowRejected("status", str(exc), "Correct the status or add the reason.") from exc
        outcome = Outcome(
            need_id=need_id, firm_id=firm_id, status=status, reason=record.get("reason"),
            by=record.get("by") or actor, at=at or dt.datetime.now(dt.UTC),
        )  # fmt: skip
        session.add(outcome)
        history.append((status, outcome.at))
        repo.audit(session, actor, "import", "outcome", f"{need_id}/{firm_id}", None,
                   {"status": status, "at": outcome.at.isoformat(), "by": outcome.by})  # fmt: skip
        return "inserted"


_UPSERTS = {
    "firms": _upsert_firm,
    "buyers": _upsert_buyer,
    "needs": _upsert_need,
}


def upsert_table(session: Session, kind: str, frame: pd.DataFrame, actor: str) -> ImportCounts:
    """Insert or update the rows of ``frame`` (accepted rows of an ingest) in ``session``.

    Parameters
    ----------
    session : Session
        Open transaction; the caller commits (or rolls back on any exception, which leaves
        the database as before the import).
    kind : {"firms", "buyers", "needs", "outcomes"}
    frame : pandas.DataFrame
        Rows indexed by their spreadsheet row number (:attr:`IngestResult.data`).
    actor : str
        Who imports (audit log).

    Returns
    -------
    ImportCounts
        ``inserted + updated + unchanged + rejected`` equals the number of rows of ``frame``.

    Raises
    ------
    sqlalchemy.exc.DBAPIError
        When the database refuses a row; nothing of the batch is kept once rolled back.
    """
    if kind not in (*_UPSERTS, "outcomes"):
        raise UploadInvalidError(
            f"Expected a table kind among firms, buyers, needs, outcomes; got {kind!r}."
        )
    upsert = _UPSERTS.get(kind)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("select pg_advisory_xact_lock(:id)"), {"id": IMPORT_LOCK_ID})
    counts = ImportCounts(read=len(frame))
    if kind == "outcomes" and "at" in frame.columns:
        frame = frame.sort_values("at", kind="stable", na_position="first")
    if kind == "outcomes":
        # Every check happens before the insert: no savepoint per row needed.
        log = _OutcomeLog(session)
        for row_number, record in _records(frame):
            try:
                result = log.upsert(session, record, actor)
            except _RowRejected as exc:
                counts.reject(row_number, exc.column, exc.reason, exc.fix)
                continue
            setattr(counts, result, getattr(counts, result) + 1)
        session.flush()
        return counts
    for row_number, record in _records(frame):
        try:
            with session.begin_nested():
                outcome = upsert(session, record, actor)
        except _RowRejected as exc:
            counts.reject(row_number, exc.column, exc.reason, exc.fix)
            continue
        except ServiceError as exc:  # e.g. a tax code that moved between two firms
            counts.reject(row_number, None, str(exc), "Correct the row and import it again.")
            continue
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    return counts
