"""SQLAlchemy 2 models of the service's tables.

Domain ids (``firm_id`` F0001, ``buyer_id`` B001, ``need_id`` N-0001: the user's own, up to
:data:`ID_LENGTH` characters) are unique, immutable columns and are what foreign keys point at,
so an import can refer to rows by the ids its files carry. List-valued fields are stored
``;``-joined (:data:`features.columns.LIST_SEPARATOR`); ``search_text`` columns hold the
:func:`features.text.fold` of the searchable fields so that ``LIKE`` finds a firm with or without diacritics on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from features.identity import ID_MAX_LENGTH

__all__ = [
    "Base",
    "Firm",
    "FirmCertification",
    "Buyer",
    "Need",
    "ShortlistRun",
    "ShortlistEntry",
    "Outcome",
    "ImportJob",
    "ApiKey",
    "AuditLog",
    "MatchingEvent",
    "EventMeeting",
    "UTCDateTime",
    "ID_LENGTH",
    "AUDIT_ENTITY_ID_LENGTH",
]

# Column length of a firm, buyer or need ID: the longest ID :func:`features.identity.normalize_id`
# accepts. Foreign keys take their type from the column they point at.
ID_LENGTH = ID_MAX_LENGTH
# An audit row names a firm, buyer or need by its ID, and an outcome by "need_id/firm_id"
# (an ID never holds '/'), so the column must hold two IDs and the slash.
AUDIT_ENTITY_ID_LENGTH = 2 * ID_LENGTH + 1

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A moment stored in UTC and read back time-zone aware on every database.

    SQLite keeps no zone, so values are written as UTC wall-clock and given ``UTC`` back on
    load; a naive value written by the caller is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable migration names)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Firm(Base):
    """A local supplier's profile."""

    __tablename__ = "firms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    firm_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(300))
    tax_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    address: Mapped[str | None] = mapped_column(Text)
    district: Mapped[str | None] = mapped_column(String(120))
    # Folded district as written, legacy district and 2025 ward ("dong anh | ..."): filter key.
    district_folded: Mapped[str | None] = mapped_column(Text)
    district_legacy: Mapped[str | None] = mapped_column(String(120))
    ward_2025: Mapped[str | None] = mapped_column(String(120))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # "ward" / "district" / "province" when geocoded from the address, "given" when entered.
    geo_precision: Mapped[str | None] = mapped_column(String(16))
    founded: Mapped[int | None] = mapped_column(Integer)
    employees: Mapped[int | None] = mapped_column(Integer)
    ownership: Mapped[str | None] = mapped_column(String(32))
    sectors: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    products: Mapped[str | None] = mapped_column(Text)
    materials: Mapped[str | None] = mapped_column(Text)
    certifications_text: Mapped[str | None] = mapped_column(Text)
    export_markets: Mapped[str | None] = mapped_column(Text)
    customers: Mapped[str | None] = mapped_column(Text)
    monthly_capacity: Mapped[int | None] = mapped_column(Integer)
    languages: Mapped[str | None] = mapped_column(String(64))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(64))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Capability codes extracted at write time (';'-joined, with leading/trailing ';').
    sector_codes: Mapped[str] = mapped_column(Text, default="")
    process_codes: Mapped[str] = mapped_column(Text, default="")
    material_codes: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=_now, onupdate=_now
    )

    certifications: Mapped[list[FirmCertification]] = relationship(
        back_populates="firm",
        cascade="all, delete-orphan",
        order_by="FirmCertification.id",
        lazy="selectin",
    )


class FirmCertification(Base):
    """One certificate a firm holds (or held)."""

    __tablename__ = "firm_certifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    firm_pk: Mapped[int] = mapped_column(
        ForeignKey("firms.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[str | None] = mapped_column(String(20))
    issued: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    issuer: Mapped[str | None] = mapped_column(String(200))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    raw: Mapped[str | None] = mapped_column(Text)

    firm: Mapped[Firm] = relationship(back_populates="certifications")


class Buyer(Base):
    """A (usually multinational) plant that needs components."""

    __tablename__ = "buyers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    buyer_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(8))
    park_id: Mapped[str | None] = mapped_column(String(40))
    sector: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=_now, onupdate=_now
    )


class Need(Base):
    """A buyer's component requirement."""

    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True, index=True)
    buyer_id: Mapped[str] = mapped_column(
        ForeignKey("buyers.buyer_id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    sector: Mapped[str | None] = mapped_column(String(60))
    processes: Mapped[str | None] = mapped_column(Text)
    materials: Mapped[str | None] = mapped_column(Text)
    mandatory_certifications: Mapped[str | None] = mapped_column(Text)
    preferred_certifications: Mapped[str | None] = mapped_column(Text)
    annual_volume: Mapped[int | None] = mapped_column(Integer)
    min_monthly_capacity: Mapped[int | None] = mapped_column(Integer)
    tolerance_mm: Mapped[float | None] = mapped_column(Float)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    created: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    target_price_usd: Mapped[float | None] = mapped_column(Float)
    internal_notes: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    sector_codes: Mapped[str] = mapped_column(Text, default="")
    process_codes: Mapped[str] = mapped_column(Text, default="")
    material_codes: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=_now, onupdate=_now
    )


class ShortlistRun(Base):
    """One computation of a need's shortlist: its entries are kept, never replaced.

    Computing a shortlist again adds a run; the newest run (highest id) is the need's
    current shortlist, and every entry of every run stays addressable by its id. Ids are
    never reused (``sqlite_autoincrement``), so an id handed out once always means the
    same (need, firm) pair.
    """

    __tablename__ = "shortlist_runs"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[str] = mapped_column(
        ForeignKey("needs.need_id", ondelete="RESTRICT"), index=True
    )
    model_version: Mapped[str] = mapped_column(String(60))
    k: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


class ShortlistEntry(Base):
    """A (need, firm) pair put on a shortlist by one run of a ranking model."""

    __tablename__ = "shortlists"
    __table_args__ = (
        UniqueConstraint("run_id", "firm_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("shortlist_runs.id", ondelete="RESTRICT"), index=True
    )
    # RESTRICT: a firm or need with match history cannot be deleted (the KPIs count it).
    need_id: Mapped[str] = mapped_column(
        ForeignKey("needs.need_id", ondelete="RESTRICT"), index=True
    )
    firm_id: Mapped[str] = mapped_column(
        ForeignKey("firms.firm_id", ondelete="RESTRICT"), index=True
    )
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    components: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    model_version: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


class Outcome(Base):
    """One status change of a (need, firm) match: the rows form the status history."""

    __tablename__ = "outcomes"
    # A pair's history in recorded order, with its statuses: a pair's latest status, the
    # funnel and the connected firms are read from this index alone.
    __table_args__ = (Index("ix_outcomes_pair_history", "need_id", "firm_id", "id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[str] = mapped_column(
        ForeignKey("needs.need_id", ondelete="RESTRICT"), index=True
    )
    firm_id: Mapped[str] = mapped_column(
        ForeignKey("firms.firm_id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    by: Mapped[str | None] = mapped_column(String(120))
    shortlist_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("shortlists.id", ondelete="SET NULL")
    )


class ImportJob(Base):
    """One uploaded file and what importing it did.

    Recorded (committed) as ``running`` before the file is read; ``stage`` says whether it is
    ``reading`` or ``storing``; ``done`` is written in the transaction that stores the rows,
    so a job is ``done`` exactly when its rows are stored. ``runner`` names the server
    process (``host:pid``) running it: a job whose runner died is marked ``failed`` when a
    server of that host starts (:func:`api.storage.imports.fail_interrupted_jobs`).
    """

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(16))
    runner: Mapped[str | None] = mapped_column(String(200))
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    rejects: Mapped[list[Any]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


class ApiKey(Base):
    """An API key, stored as its sha256 and a short display prefix; never the key."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    firm_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # firms.id of the firm the key was issued for: an ID re-created for another company is
    # another row, so the old key cannot read it (migration 0006).
    firm_row_id: Mapped[int | None] = mapped_column(Integer)
    # The association an association key nominates for (migration 0009).
    association_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AuditLog(Base):
    """Every write: who, when, what, on which record, before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now, server_default=func.now())
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(AUDIT_ENTITY_ID_LENGTH))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class MatchingEvent(Base):
    """A business-matching event (kết nối giao thương) and the summary of its current schedule.

    ``definition`` is the event exactly in the project's event JSON
    (:func:`matching.events.event_from_dict`, as in ``data/demo/event_demo.json``): the one
    format the file-based ``cnht event`` commands read, so a stored event and a file cannot
    drift, and slots, caps and refusals (read only by the scheduler, as a whole) need no
    tables of their own. The schedule's meetings, which are read per (need, firm) pair, are
    rows of :class:`EventMeeting`; ``schedule_summary`` keeps what the solver said about them
    (objective, bound, gap, what was given up).
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    schedule_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    scheduled_by: Mapped[str | None] = mapped_column(String(120))
    by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


class EventMeeting(Base):
    """One meeting of an event's current schedule, and whether it was held.

    A pair meets at most once per event. Buyer, firm and need are plain IDs, not foreign
    keys: a scheduled meeting is a plan, not match history, and must not stop a firm from
    being deleted; a meeting *held* becomes history through the outcome it records
    (``outcome_id``, via :func:`api.storage.repository.record_outcome`, which requires both
    to exist).
    """

    __tablename__ = "event_meetings"
    __table_args__ = (UniqueConstraint("event_pk", "buyer_id", "firm_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    day: Mapped[str] = mapped_column(String(10))
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    table_number: Mapped[int] = mapped_column(Integer)
    buyer_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    firm_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    need_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    value: Mapped[float] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    requested_by: Mapped[str] = mapped_column(String(8), default="")
    held_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    held_by: Mapped[str | None] = mapped_column(String(120))
    # The 'meeting' outcome this meeting recorded; NULL when not held, or when the pair had
    # already passed 'meeting' (nothing to record).
    outcome_id: Mapped[int | None] = mapped_column(ForeignKey("outcomes.id", ondelete="SET NULL"))


# The support programme's tables (issue 14) live in their own module; importing it here puts
# them in Base.metadata wherever the models are loaded (migrations, the models-vs-migrations test).
import api.storage.support_tables  # noqa: E402,F401
