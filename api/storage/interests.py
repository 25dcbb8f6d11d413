"""A firm's "we are interested" in a need: kept in the audit log, read by staff on the need.

An interest is not an outcome (the pair's status does not move; staff decide whether to
contact the buyer), so it has no table of its own: it is one audit row, ``entity="interest"``,
``entity_id="<need_id>/<firm_id>"`` (ids never hold ``/``), ``after`` the need, the firm and
the firm's note. Saying it twice keeps the first.

Examples
--------
>>> interest_key("N-0001", "F0001")
'N-0001/F0001'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.storage.models import AuditLog
from api.storage.repository import audit

__all__ = ["Interest", "interest_key", "record_interest", "interests_of_need", "interests_of_firm"]

ENTITY = "interest"
NOTE_MAX_CHARS = 1000


@dataclass(frozen=True)
class Interest:
    """A firm said it is interested in a need: when, by which key, with what note."""

    need_id: str
    firm_id: str
    note: str | None
    at: dt.datetime
    by: str


def interest_key(need_id: str, firm_id: str) -> str:
    """The audit ``entity_id`` of a (need, firm) interest."""
    return f"{need_id}/{firm_id}"


def _interest(row: AuditLog) -> Interest:
    after = row.after or {}
    return Interest(need_id=after.get("need_id", ""), firm_id=after.get("firm_id", ""),
                    note=after.get("note"), at=row.at, by=row.actor)  # fmt: skip


def record_interest(session: Session, need_id: str, firm_id: str, note: str | None, actor: str) -> Interest:
    """Record that ``firm_id`` is interested in ``need_id`` (once; a repeat returns the first).

    The caller checks that the firm may see the need (:func:`api.ranking.needs_for_firm`).

    Parameters
    ----------
    session : Session
    need_id, firm_id : str
    note : str, optional
        The firm's words to staff, at most :data:`NOTE_MAX_CHARS` characters (cut).
    actor : str
        Who says it (``firm:cnht_AbC12x``).

    Returns
    -------
    Interest
    """
    key = interest_key(need_id, firm_id)
    earlier = session.scalar(select(AuditLog).where(AuditLog.entity == ENTITY, AuditLog.entity_id == key)
                             .order_by(AuditLog.id).limit(1))  # fmt: skip
    if earlier is not None:
        return _interest(earlier)
    note = (note or "").strip()[:NOTE_MAX_CHARS] or None
    audit(session, actor, "create", ENTITY, key, None, {"need_id": need_id, "firm_id": firm_id, "note": note})
    session.flush()
    return interests_of_firm(session, firm_id)[need_id]


def interests_of_need(session: Session, need_id: str) -> list[Interest]:
    """The firms interested in ``need_id``, first said first."""
    rows = session.scalars(select(AuditLog).where(AuditLog.entity == ENTITY,
                                                  AuditLog.entity_id.like(f"{need_id}/%"))
                           .order_by(AuditLog.id))  # fmt: skip
    return [i for i in map(_interest, rows) if i.need_id == need_id]


def interests_of_firm(session: Session, firm_id: str) -> dict[str, Interest]:
    """The needs ``firm_id`` said it is interested in, by need id."""
    rows = session.scalars(select(AuditLog).where(AuditLog.entity == ENTITY,
                                                  AuditLog.entity_id.like(f"%/{firm_id}"))
                           .order_by(AuditLog.id.desc()))  # fmt: skip
    return {i.need_id: i for i in map(_interest, rows) if i.firm_id == firm_id}
