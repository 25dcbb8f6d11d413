"""Upserting an ingested table (:class:`features.ingest.IngestResult`) in one transaction.

Firms are matched by ``firm_id``, then by tax code (a file whose tax codes exist updates
those firms); buyers and needs by their ids; an outcome row is unchanged when the same
(need, firm, status, time) is stored, and otherwise must follow the pair's latest status.

An import never loses stored data it was not asked to change:

* only the columns the file has are written (a ``firm_id,name`` file leaves the tax code,
  certificates, description and ``is_demo`` alone; a needs file without ``status`` neither
  reopens nor closes a need);
* a cell rejected on reading (``01-0234`` as a tax code) or too long for its database
  column leaves the stored value alone; on a new record the field stays empty. Such cells
  are counted as ``cells_rejected`` and listed with their row and column;
* a row the database refuses as data (a value of the wrong size or type) becomes a row
  reject; any other failure of the database aborts the whole batch.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import os
import socket
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Integer, String, or_, select, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.storage import repository as repo
from api.storage.errors import IllegalTransitionError, ServiceError, UploadInvalidError
from api.storage.models import Buyer, Firm, FirmCertification, ImportJob, Need, Outcome
from api.storage.outcomes import OUTCOME_IMPORT_LOCK_ID, RECORDED_ORDER, check_transition
from api.storage.repository import firms as repo_firms
from features.certifications import parse_certifications
from features.geo import geocode
from features.sectors import capability_codes

if TYPE_CHECKING:
    from features.ingest import IngestResult

__all__ = [
    "ImportCounts",
    "upsert_table",
    "import_result",
    "count_rejected_cells",
    "reject_records",
    "IMPORT_LOCK_ID",
    "start_job",
    "set_stage",
    "finish_job",
    "fail_job",
    "fail_interrupted_jobs",
    "this_runner",
]

# PostgreSQL advisory lock taken by every import: concurrent imports queue instead of
# racing on the same ids (SQLite gets the same effect from BEGIN IMMEDIATE).
IMPORT_LOCK_ID = 4_204_2020
VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")
# How far ahead of the server's clock an outcome's time may be (time zones, clock skew).
FUTURE_TOLERANCE = dt.timedelta(days=1)
_INT32 = 2**31 - 1  # PostgreSQL's integer; SQLite would take more, the results must agree
_MODELS = {"firms": Firm, "buyers": Buyer, "needs": Need, "outcomes": Outcome}
# Columns without which a row cannot be stored: a bad value there rejects the row.
_REQUIRED = {
    "firms": ("firm_id", "name"),
    "buyers": ("buyer_id", "name"),
    "needs": ("need_id", "buyer_id", "title"),
    "outcomes": ("need_id", "firm_id", "status", "by"),
}
# File column -> model attribute, where they differ.
_ATTRIBUTE = {"certifications": "certifications_text"}


def count_rejected_cells(rejects: Iterable[dict[str, Any]]) -> int:
    """Cells left out of rows that were kept: distinct (row, column) of ``field`` rejects
    whose row has no ``row`` reject.

    Parameters
    ----------
    rejects : iterable of dict
        With ``row``, ``column`` and ``scope`` (``field``, ``row`` or ``header``).

    Returns
    -------
    int

    Examples
    --------
    >>> count_rejected_cells([
    ...     {"row": 2, "column": "employees", "scope": "field"},
    ...     {"row": 3, "column": "tax_code", "scope": "field"},
    ...     {"row": 3, "column": "name", "scope": "row"},
    ... ])
    1
    """
    rejects = list(rejects)
    rejected_rows = {r.get("row") for r in rejects if r.get("scope") == "row"}
    return len({
        (r.get("row"), r.get("column")) for r in rejects
        if r.get("scope") == "field" and r.get("row") not in rejected_rows
    })  # fmt: skip


@dataclass
class ImportCounts:
    """What an import did.

    Attributes
    ----------
    read : int
        Data rows read (of the file with :func:`import_result`, else of the frame).
    inserted, updated, unchanged : int
        Rows stored as new, changed, or already stored as they are.
    rejected : int
        Rows refused while storing (an unknown buyer, an illegal outcome move, a name too
        long for the database).
    read_rejected : int
        Rows refused on reading (no identity, duplicates); 0 from :func:`upsert_table`.
    rejects : list of dict
        ``row``, ``column``, ``reason``, ``fix`` and ``scope`` (``row``: the row was not
        stored; ``field``: the cell was left out and the row kept; ``header``).

    ``inserted + updated + unchanged + rejected + read_rejected == read``.
    """

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    read_rejected: int = 0
    rejects: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        """Rows not stored, on reading or on storing."""
        return self.rejected + self.read_rejected

    @property
    def cells_rejected(self) -> int:
        """Cells left out of stored rows (see :func:`count_rejected_cells`)."""
        return count_rejected_cells(self.rejects)

    def reject(self, row: int | None, column: str | None, reason: str, fix: str) -> None:
        """Add a row-level reject of the upsert itself."""
        self.rejects.append(
            {"row": row, "column": column, "reason": reason, "fix": fix, "scope": "row"}
        )
        self.rejected += 1

    def reject_cell(self, row: int | None, column: str, reason: str, fix: str) -> None:
        """Add a cell left out of a stored row."""
        self.rejects.append(
            {"row": row, "column": column, "reason": reason, "fix": fix, "scope": "field"}
        )


def reject_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rejects of an ingest (:attr:`IngestResult.rejects`) as JSON-ready dicts."""
    out = []
    for item in frame.to_dict("records"):
        row = item.get("row")
        out.append({
            "row": None if row is None or row != row else int(row),
            "column": item.get("column") or None,
            "value": item.get("value") or None,
            "reason": str(item.get("reason") or ""),
            "fix": item.get("fix") or None,
            "scope": item.get("scope") or None,
            "reason_vi": item.get("reason_vi") or None,
            "fix_vi": item.get("fix_vi") or None,
        })  # fmt: skip
    return out


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
    def __init__(self, column: str | None, reason: str, fix: str) -> None:
        super().__init__(reason)
        self.column, self.reason, self.fix = column, reason, fix


def _column_limits(model: type) -> tuple[dict[str, int], set[str]]:
    """Longest text per String column, and the Integer columns, of ``model``."""
    lengths, integers = {}, set()
    for column in model.__table__.columns:
        if column.primary_key:
            continue
        if isinstance(column.type, String) and column.type.length:
            lengths[column.key] = column.type.length
        elif isinstance(column.type, Integer):
            integers.add(column.key)
    return lengths, integers


_LIMITS = {kind: _column_limits(model) for kind, model in _MODELS.items()}
_CERTIFICATE_LENGTHS = _column_limits(FirmCertification)[0]


def _too_big(kind: str, column: str, value: Any) -> str | None:
    """Why ``value`` does not fit the database column of ``column``, or None."""
    if value is None:
        return None
    lengths, integers = _LIMITS[kind]
    attribute = _ATTRIBUTE.get(column, column)
    if attribute in lengths and isinstance(value, str) and len(value) > lengths[attribute]:
        return (f"{len(value)} characters; the column holds at most {lengths[attribute]}")
    if attribute in integers and isinstance(value, int) and abs(value) > _INT32:
        return f"{value:,} is beyond the largest storable number ({_INT32:,})"
    return None


def _oversized(kind: str, record: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(column, reason, fix) of each cell of ``record`` that does not fit its column."""
    problems = []
    for column, value in record.items():
        why = _too_big(kind, column, value)
        if why is not None:
            problems.append((
                column, f"Column {column!r}: value too long or too large ({why}).",
                "Shorten the cell (or correct the number) and import the row again.",
            ))  # fmt: skip
    if kind == "firms" and record.get("certifications"):
        for cert in _parsed_certificates(record["certifications"]):
            for name, limit in _CERTIFICATE_LENGTHS.items():
                value = getattr(cert, name, None)
                if isinstance(value, str) and len(value) > limit:
                    problems.append((
                        "certifications",
                        f"Column 'certifications': the certificate's {name} {value[:40]!r}... "
                        f"has {len(value)} characters; at most {limit} are stored.",
                        "Separate the certificates with ';' and shorten the long part.",
                    ))  # fmt: skip
    return problems


@dataclass
class _Row:
    """One row to store: its values, the file's columns, and cells to leave out."""

    number: int
    record: dict[str, Any]
    columns: Collection[str]
    skipped: set[str]

    def updates(self, fields: Iterable[str]) -> dict[str, Any]:
        """Values for an existing record: only the file's columns, without skipped cells."""
        return {
            name: self.record[name] for name in fields
            if name in self.record and name in self.columns and name not in self.skipped
        }  # fmt: skip

    def inserts(self, fields: Iterable[str]) -> dict[str, Any]:
        """Values for a new record: every known field (skipped cells empty)."""
        return {name: self.record[name] for name in fields if name in self.record}

    def writes(self, column: str) -> bool:
        return column in self.columns and column not in self.skipped


def _certificates(row: _Row) -> list[dict[str, Any]]:
    # Only certificates the firm holds are stored; "không có ISO 9001", "đang xây dựng
    # IATF 16949" or an undated "đã hết hạn" stay in the firm's certification text, which
    # keeps what was written, and never count as held (KPIs, mandatory constraints).
    text = row.record.get("certifications")
    return [
        {name: getattr(cert, name) for name in repo.CERTIFICATION_FIELDS}
        for cert in (_parsed_certificates(text) if isinstance(text, str) and text else parse_certifications(text))
        if cert.status == "held"
    ]


class _FirmWrites:
    """How a row's firm is looked up and written: row by row, in the database (autoflush keeps
    each lookup current with the rows stored before it)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def by_id(self, firm_id: str) -> Firm | None:
        return self.session.scalar(select(Firm).where(Firm.firm_id == firm_id))

    def by_tax_code(self, tax_code: str) -> Firm | None:
        return self.session.scalar(select(Firm).where(Firm.tax_code == tax_code))

    def create(self, values: dict[str, Any], certs: list[dict[str, Any]], actor: str) -> None:
        # Both looked up by the caller, in this transaction: not looked up again.
        repo.create_firm(self.session, values, certs, actor, checked=True)

    def update(self, firm: Firm, values: dict[str, Any], certs: list[dict[str, Any]] | None,
               actor: str) -> bool:
        # The tax code was checked by the caller (its holder): not looked up again.
        return repo.update_firm(self.session, firm, values, certs, actor, checked=True)


class _ChunkFirmWrites(_FirmWrites):
    """A chunk's firms: looked up in one query, written in a few multi-row statements.

    The firms the chunk's rows name, by id or by tax code, are loaded at once (their
    certificates in one more query) and kept current as the rows are stored, so each row finds
    what a lookup after storing the rows before it would find. Changes wait for the chunk's
    flush; new firms, their certificates and every audit row of the chunk (in the rows' order)
    are then inserted in one statement each (:meth:`write`).

    A row naming a firm created earlier in the same chunk, or two firms claiming one tax code,
    raises :class:`_ChunkProblem`: the chunk is then stored row by row.
    """

    def __init__(self, session: Session, records: Iterable[dict[str, Any]]) -> None:
        super().__init__(session)
        records = list(records)
        ids = sorted({r["firm_id"] for r in records})
        codes = sorted({r["tax_code"] for r in records if r.get("tax_code")})
        where = Firm.firm_id.in_(ids)
        if codes:
            where = or_(where, Firm.tax_code.in_(codes))
        self.ids: dict[str, Firm] = {}
        self.codes: dict[str, Firm] = {}
        self.new: list[repo_firms.NewFirm] = []
        self.audit_rows: list[dict[str, Any]] = []
        for firm in session.scalars(select(Firm).where(where)):
            self.ids[firm.firm_id] = firm
            if firm.tax_code:
                self.codes[firm.tax_code] = firm

    def _found(self, firm: Firm | None) -> Firm | None:
        if firm is _CREATED:  # a firm this chunk creates: the row-by-row path decides
            raise _ChunkProblem
        return firm

    def by_id(self, firm_id: str) -> Firm | None:
        return self._found(self.ids.get(firm_id))

    def by_tax_code(self, tax_code: str) -> Firm | None:
        return self._found(self.codes.get(tax_code))

    def create(self, values: dict[str, Any], certs: list[dict[str, Any]], actor: str) -> None:
        firm = repo_firms.new_firm(values, certs)
        self.ids[values["firm_id"]] = _CREATED
        if firm.row["tax_code"]:
            self.codes[firm.row["tax_code"]] = _CREATED  # looked up just before: free
        self.new.append(firm)
        self.audit_rows.append(repo_firms.audit_row(actor, "create", "firm", values["firm_id"], None,
                                                    firm.snapshot))  # fmt: skip

    def update(self, firm: Firm, values: dict[str, Any], certs: list[dict[str, Any]] | None,
               actor: str) -> bool:
        old_tax_code = firm.tax_code
        changed = repo.update_firm(self.session, firm, values, certs, actor, checked=True,
                                   audit_rows=self.audit_rows)  # fmt: skip
        if firm.tax_code != old_tax_code:
            if old_tax_code and self.codes.get(old_tax_code) is firm:
                del self.codes[old_tax_code]
            if firm.tax_code and self.codes.setdefault(firm.tax_code, firm) is not firm:
                raise _ChunkProblem  # two firms, one tax code: the row-by-row path decides
        return changed

    def write(self) -> None:
        """Flush the chunk's changes, then insert its new firms and its audit rows."""
        # Changes first: a tax code a changed firm gave up may be a new firm's.
        self.session.flush()
        repo_firms.insert_firms(self.session, self.new)
        repo_firms.insert_audit_rows(self.session, self.audit_rows)


# Marks, in a chunk's lookup, a firm id or tax code that a row of the chunk creates.
_CREATED: Any = object()


def _upsert_firm(session: Session, row: _Row, actor: str, firms: _FirmWrites | None = None) -> str:
    record = row.record
    firms = firms or _FirmWrites(session)
    firm = firms.by_id(record["firm_id"])
    if firm is None and record.get("tax_code"):
        firm = firms.by_tax_code(record["tax_code"])
    if firm is None:
        values = row.inserts(repo.FIRM_FIELDS)
        values["certifications_text"] = record.get("certifications")
        values["is_demo"] = bool(record.get("is_demo") or False)
        firms.create({"firm_id": record["firm_id"], **values}, _certificates(row), actor)
        return "inserted"
    holder = None
    if record.get("tax_code") and row.writes("tax_code"):
        holder = firms.by_tax_code(record["tax_code"])
    if holder is not None and holder is not firm:
        raise _RowRejected(
            "tax_code",
            f"Tax code {record['tax_code']} belongs to firm {holder.firm_id}, "
            f"not to {firm.firm_id}.",
            "Correct the tax code or the firm_id so that they name the same firm.",
        )
    values = row.updates(repo.FIRM_FIELDS)
    if "is_demo" in values:
        values["is_demo"] = bool(values["is_demo"])
    certs = None  # certificates are replaced only by a file that has them
    if row.writes("certifications"):
        values["certifications_text"] = record.get("certifications")
        certs = _certificates(row)
        # Staff verification survives a re-import of the same certificate.
        verified = {repo.certification_tuple(c)[:-2]: c.verified for c in firm.certifications}
        for cert in certs:
            key = tuple(cert[n] for n in repo.CERTIFICATION_FIELDS)[:-2]
            cert["verified"] = verified.get(key, False)
    return "updated" if firms.update(firm, values, certs, actor) else "unchanged"


def _upsert_buyer(session: Session, row: _Row, actor: str) -> str:
    record = row.record
    buyer = session.scalar(select(Buyer).where(Buyer.buyer_id == record["buyer_id"]))
    if buyer is None:
        values = row.inserts(repo.BUYER_FIELDS)
        values["is_demo"] = bool(record.get("is_demo") or False)
        repo.create_buyer(session, {"buyer_id": record["buyer_id"], **values}, actor)
        return "inserted"
    values = row.updates(repo.BUYER_FIELDS)
    if "is_demo" in values:
        values["is_demo"] = bool(values["is_demo"])
    return "updated" if repo.update_buyer(session, buyer, values, actor) else "unchanged"


def _upsert_need(session: Session, row: _Row, actor: str) -> str:
    record = row.record
    buyer_id = record.get("buyer_id")
    if not buyer_id or session.scalar(select(Buyer.id).where(Buyer.buyer_id == buyer_id)) is None:
        raise _RowRejected(
            "buyer_id",
            f"Buyer {buyer_id!r} of need {record['need_id']} is not in the database.",
            "Import the buyers file first, or correct the buyer_id.",
        )
    need = session.scalar(select(Need).where(Need.need_id == record["need_id"]))
    if need is None:
        values = row.inserts(repo.NEED_FIELDS)
        values["is_demo"] = bool(record.get("is_demo") or False)
        values["status"] = record.get("status") or "open"
        repo.create_need(session, {"need_id": record["need_id"], **values}, actor)
        return "inserted"
    # A file without a status column (or with a rejected status) keeps the need's status.
    values = row.updates(repo.NEED_FIELDS)
    if "is_demo" in values:
        values["is_demo"] = bool(values["is_demo"])
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
        if session.get_bind().dialect.name == "postgresql":
            # No move may be recorded between loading the history and committing the import
            # (moves take this lock shared; SQLite's write lock already excludes them).
            session.execute(text("select pg_advisory_xact_lock(:id)"),
                            {"id": OUTCOME_IMPORT_LOCK_ID})  # fmt: skip
        self.now = dt.datetime.now(dt.UTC)
        self.need_ids = set(session.scalars(select(Need.need_id)))
        self.firm_ids = set(session.scalars(select(Firm.firm_id)))
        self.history: dict[tuple[str, str], list[tuple[str, dt.datetime]]] = {}
        rows = session.execute(
            select(Outcome.need_id, Outcome.firm_id, Outcome.status, Outcome.at)
            .order_by(*RECORDED_ORDER)
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
        if at is not None and at > self.now + FUTURE_TOLERANCE:
            raise _RowRejected(
                "at",
                f"The event is dated {at:%Y-%m-%d %H:%M} UTC, in the future: an outcome is "
                "recorded after it happens.",
                "Correct the date (dd/mm/yyyy) or leave it empty for today.",
            )
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


def _first_line(exc: DataError) -> str:
    return (str(exc.orig) if exc.orig is not None else str(exc)).splitlines()[0]


def upsert_table(
    session: Session,
    kind: str,
    frame: pd.DataFrame,
    actor: str,
    *,
    columns: Collection[str] | None = None,
    rejected_cells: Iterable[tuple[int, str]] = (),
) -> ImportCounts:
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
    columns : collection of str, optional
        Canonical columns the file has (``IngestResult.columns.values()``); an existing
        record's other fields are left alone. Default: every column of ``frame``.
    rejected_cells : iterable of (row, column), default ()
        Cells rejected on reading: an existing record keeps its stored value there.

    Returns
    -------
    ImportCounts
        ``inserted + updated + unchanged + rejected`` equals the number of rows of ``frame``.

    Raises
    ------
    sqlalchemy.exc.DBAPIError
        When the database fails other than by refusing one row's data; nothing of the batch
        is kept once rolled back.
    """
    if kind not in (*_UPSERTS, "outcomes"):
        raise UploadInvalidError(
            f"Expected a table kind among firms, buyers, needs, outcomes; got {kind!r}.",
            vi=f"Loại bảng phải là một trong firms, buyers, needs, outcomes; nhận được {kind!r}.",
        )
    upsert = _UPSERTS.get(kind)
    columns = set(frame.columns if columns is None else columns)
    skipped: dict[int, set[str]] = {}
    for row_number, column in rejected_cells:
        skipped.setdefault(int(row_number), set()).add(column)
    counts = ImportCounts(read=len(frame))
    if kind == "outcomes" and "at" in frame.columns:
        frame = frame.sort_values("at", kind="stable", na_position="first")
    # The rows' cells, and those too big for their columns, read before the first statement
    # (SQLite's write lock is taken there, PostgreSQL's import lock just below).
    records = [(n, record, _oversized(kind, record)) for n, record in _records(frame)]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("select pg_advisory_xact_lock(:id)"), {"id": IMPORT_LOCK_ID})
        # A chunk looks its rows up with hundreds of parameters (IN): planned for their values
        # every time. The generic plan that psycopg's prepared statements come to (from the
        # sixth run) compares every row of the table with every parameter: 0.8 s a chunk at
        # 20,000 firms instead of 2 ms. Until the end of this transaction only.
        session.execute(text("set local plan_cache_mode = force_custom_plan"))
    with _old_objects_not_scanned():
        _store_rows(session, kind, upsert, records, columns, skipped, actor, counts)
    return counts


def _store_rows(session: Session, kind: str, upsert: Any, records: list[tuple[int, dict[str, Any], list]],
                columns: set[str], skipped: dict[int, set[str]], actor: str, counts: ImportCounts) -> None:
    log = _OutcomeLog(session) if kind == "outcomes" else None
    if log is None:
        # Rows in chunks, each chunk in one savepoint: when every row of a chunk stores
        # cleanly (the usual case) it costs no savepoint per row; a chunk with any problem is
        # rolled back whole and stored row by row below, each row in its own savepoint.
        clean: list[tuple[int, dict[str, Any], list]] = []
        for start in range(0, len(records), _CHUNK_ROWS):
            chunk = records[start : start + _CHUNK_ROWS]
            if not _store_chunk(session, kind, upsert, chunk, columns, skipped, actor, counts):
                clean.extend(chunk)
        records = clean
    for row_number, record, too_big in records:
        fatal = [p for p in too_big if p[0] in _REQUIRED[kind]]
        if fatal:
            counts.reject(row_number, *fatal[0])
            continue
        for column, reason, fix in too_big:
            counts.reject_cell(row_number, column, reason, fix)
            record[column] = None
        row = _Row(row_number, record, columns,
                   skipped.get(row_number, set()) | {p[0] for p in too_big})  # fmt: skip
        try:
            if log is not None:
                # Every check happens before the insert: no savepoint per row needed.
                result = log.upsert(session, record, actor)
            else:
                with session.begin_nested():
                    result = upsert(session, row, actor)
        except _RowRejected as exc:
            counts.reject(row_number, exc.column, exc.reason, exc.fix)
            continue
        except ServiceError as exc:  # e.g. a tax code that moved between two firms
            counts.reject(row_number, None, str(exc), "Correct the row and import it again.")
            continue
        except DataError as exc:  # the database refused this row's values; the savepoint is gone
            counts.reject(
                row_number, None, f"The database refused the row: {_first_line(exc)}.",
                "Correct the row's values (length, number range) and import it again.",
            )  # fmt: skip
            continue
        setattr(counts, result, getattr(counts, result) + 1)
    if log is not None:
        session.flush()


@contextmanager
def _old_objects_not_scanned() -> Iterator[None]:
    """While an import writes its rows, Python's cyclic garbage collector leaves alone the
    objects that existed before (:func:`gc.freeze`), and scans only the import's own.

    A 20,000-row import allocates enough to set off several full collections, and each would
    walk every object of the process (taxonomy, caches, the rows read) while the database's
    write lock is held: about a second each on a busy 2-core machine. Nothing is lost:
    :func:`gc.unfreeze` hands the objects back to the collector afterwards. A process that
    froze objects of its own (``gc.get_freeze_count()``) is left as it is.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def read_ahead(kind: str, frame: pd.DataFrame) -> None:
    """Read what the repository derives from each row's texts, ahead of writing it.

    A firm's or need's taxonomy codes (:func:`features.sectors.capability_codes`), a firm's
    place (:func:`features.geo.geocode`) and certificates are kept by those functions once
    read, so a 20,000-row import spends its transaction writing rows, not scanning texts while
    the database is locked. Rows whose stored fields will be merged with the file's (updates)
    are read again at write time, as before.
    """
    if kind not in ("firms", "needs"):
        return
    for _, record in _records(frame):
        if kind == "firms":
            capability_codes(record.get("description"), record.get("products"), record.get("materials"),
                             sector_cells=(record.get("sectors"),))  # fmt: skip
            place = ", ".join(part for part in (record.get("address"), record.get("district")) if part)
            if place:
                geocode(place)
            if record.get("certifications"):
                _parsed_certificates(record["certifications"])
        else:
            capability_codes(record.get("title"), record.get("description"), record.get("processes"),
                             record.get("materials"), sector_cells=(record.get("sector"),))  # fmt: skip


@lru_cache(maxsize=65_536)
def _parsed_certificates(text: str) -> tuple[Any, ...]:
    """The certificates of a firm's certification text (read once per import; never changed)."""
    return tuple(parse_certifications(text))


_CHUNK_ROWS = 200


class _ChunkProblem(Exception):
    """A row of a chunk needs the row-by-row path (a cell too long, a rejected row)."""


def _store_chunk(session: Session, kind: str, upsert: Any, chunk: list[tuple[int, dict[str, Any], list]],
                 columns: set[str], skipped: dict[int, set[str]], actor: str, counts: ImportCounts) -> bool:
    """Store every row of ``chunk`` in one savepoint; False (nothing kept) at the first problem.

    A firms chunk looks its firms up in one query and writes them in a few multi-row
    statements (:class:`_ChunkFirmWrites`).
    """
    results: list[str] = []
    try:
        with session.begin_nested():
            if any(too_big for _, _, too_big in chunk):
                raise _ChunkProblem
            if kind == "firms":
                firms = _ChunkFirmWrites(session, (record for _, record, _ in chunk))
                with session.no_autoflush:
                    for row_number, record, _ in chunk:
                        row = _Row(row_number, dict(record), columns, skipped.get(row_number, set()))
                        results.append(_upsert_firm(session, row, actor, firms))
                firms.write()
            else:
                for row_number, record, _ in chunk:
                    results.append(upsert(session, _Row(row_number, dict(record), columns,
                                                        skipped.get(row_number, set())), actor))  # fmt: skip
            session.flush()
    except (_ChunkProblem, ServiceError, DataError, IntegrityError):  # _RowRejected is a ServiceError
        return False
    for result in results:
        setattr(counts, result, getattr(counts, result) + 1)
    return True


def import_result(session: Session, result: IngestResult, actor: str) -> ImportCounts:
    """Store an ingest's accepted rows (:func:`upsert_table`) with everything it read.

    Only the file's columns are written and cells rejected on reading never overwrite a
    stored value. The counts cover the whole file: ``read`` is the file's data rows,
    ``read_rejected`` the rows refused on reading, ``rejects`` the reading's problems
    followed by the storing's.

    Parameters
    ----------
    session : Session
        Open transaction (the caller commits).
    result : IngestResult
        From :func:`features.ingest.read_table`.
    actor : str
        Who imports (audit log).

    Returns
    -------
    ImportCounts
        ``inserted + updated + unchanged + rejected + read_rejected == read``.
    """
    # Before the transaction's first statement (SQLite's write lock is taken there): the
    # texts of every row are read now, and the rows are then written without reading them.
    read_ahead(result.kind, result.data)
    read_rejects = reject_records(result.rejects)
    kept = set(int(i) for i in result.data.index)
    cells = [
        (r["row"], r["column"]) for r in read_rejects
        if r["scope"] == "field" and r["row"] in kept and r["column"]
    ]  # fmt: skip
    counts = upsert_table(
        session, result.kind, result.data, actor,
        columns=set(result.columns.values()), rejected_cells=cells,
    )  # fmt: skip
    counts.read = result.rows_read
    counts.read_rejected = result.rows_rejected
    counts.rejects = read_rejects + counts.rejects
    return counts


# --- import jobs: recorded before the work, finished with it --------------------------------


def this_runner() -> str:
    """``host:pid`` of this server process (``ImportJob.runner``)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def start_job(factory: sessionmaker[Session], kind: str, filename: str, actor: str) -> int:
    """Record (and commit) a ``running`` job before any of the file is read; its id.

    Parameters
    ----------
    factory : sessionmaker
    kind, filename, actor : str
        ``filename`` and ``actor`` already cut to their columns' lengths.

    Returns
    -------
    int
        The job's id.
    """
    with factory() as session, session.begin():
        job = ImportJob(kind=kind, filename=filename, status="running", stage="reading",
                        runner=this_runner(), by=actor)  # fmt: skip
        session.add(job)
        session.flush()
        return job.id


def set_stage(factory: sessionmaker[Session], job_id: int, stage: str) -> None:
    """Commit the stage (``reading``, ``storing``) of a running job."""
    with factory() as session, session.begin():
        session.get_one(ImportJob, job_id).stage = stage


def finish_job(session: Session, job_id: int, counts: ImportCounts) -> ImportJob:
    """Mark the job ``done`` with its counts, in ``session``: the transaction that stores
    the rows, so the job is done exactly when they are."""
    job = session.get_one(ImportJob, job_id)
    job.status, job.stage, job.finished_at = "done", None, dt.datetime.now(dt.UTC)
    job.rows_read, job.inserted, job.updated = counts.read, counts.inserted, counts.updated
    job.unchanged, job.rejected, job.rejects = counts.unchanged, counts.rows_rejected, counts.rejects
    session.flush()
    return job


def fail_job(
    factory: sessionmaker[Session],
    job_id: int,
    reason: str,
    *,
    rows_read: int = 0,
    rejected: int = 0,
    rejects: list[dict[str, Any]] | None = None,
) -> ImportJob:
    """Commit the job as ``failed`` with ``reason`` (nothing of its file was stored)."""
    with factory() as session, session.begin():
        job = session.get_one(ImportJob, job_id)
        job.status, job.error, job.finished_at = "failed", reason, dt.datetime.now(dt.UTC)
        job.rows_read, job.rejected, job.rejects = rows_read, rejected, rejects or []
        session.flush()
        return job


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user has the pid
        return True
    return True


def fail_interrupted_jobs(factory: sessionmaker[Session]) -> list[int]:
    """Mark ``failed`` the jobs whose server process stopped before finishing them.

    Called when a server process starts. A ``running`` job of this host whose process is
    gone (killed, crashed, or this very process's pid, reused) can never finish: its
    transaction died with it, so nothing of its file is stored, and the job says so. Jobs
    of live processes (other workers) and of other hosts are left to them.

    Returns
    -------
    list of int
        The ids of the jobs marked failed.
    """
    host, me = socket.gethostname(), os.getpid()
    failed = []
    with factory() as session, session.begin():
        for job in session.scalars(select(ImportJob).where(ImportJob.status == "running")):
            runner_host, _, pid = (job.runner or "").rpartition(":")
            if runner_host and runner_host != host:
                continue
            if pid.isdigit() and int(pid) != me and _process_alive(int(pid)):
                continue
            stage = job.stage or "reading"
            job.status, job.finished_at = "failed", dt.datetime.now(dt.UTC)
            job.error = (
                f"The server process running this import ({job.runner or 'unknown'}) stopped "
                f"while {stage} the file (killed or crashed); nothing of the file was stored. "
                "Import the file again."
            )
            failed.append(job.id)
    return failed
