"""Snapshots of records and the audit log: every write of the repository leaves an audit row."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlalchemy.orm import Session

from api.storage.models import AuditLog, Buyer, Firm, Need, Outcome
from api.storage.repository.certificates import CERTIFICATION_FIELDS

__all__ = ["snapshot", "audit"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def snapshot(record: Firm | Buyer | Need | Outcome) -> dict[str, Any]:
    """JSON-ready copy of a record's fields (a firm's certificates included), for the audit log."""
    columns = [c.key for c in record.__table__.columns if c.key not in ("id", "search_text")]
    out = {name: _jsonable(getattr(record, name)) for name in columns}
    if isinstance(record, Firm):
        out["certifications"] = [
            {name: _jsonable(getattr(c, name)) for name in CERTIFICATION_FIELDS}
            for c in record.certifications
        ]
    return out


def audit(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Add one audit row (in the caller's transaction)."""
    session.add(
        AuditLog(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            at=dt.datetime.now(dt.UTC),
        )
    )
