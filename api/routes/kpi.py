"""``GET /kpi``: the indicators of Plan 04/KH-UBND (900 firms, 400 at international standard).

Staff and analysts only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from api.deps import ReaderDep, SessionDep
from api.schemas import KpiPublic
from api.storage.models import Firm, FirmCertification, Outcome
from api.storage.outcomes import CONNECTED_STATUSES
from features.certifications import Certification, is_international
from features.columns import OUTCOME_PATH
from features.exceptions import UnknownCodeError

__all__ = ["router", "FIRMS_TARGET", "INTERNATIONAL_TARGET", "EXPIRY_WINDOW_DAYS"]

router = APIRouter(prefix="/kpi", tags=["kpi"])

FIRMS_TARGET = 900
INTERNATIONAL_TARGET = 400
EXPIRY_WINDOW_DAYS = 90


def _certification(row: FirmCertification) -> Certification | None:
    try:
        is_international(row.code)
    except UnknownCodeError:  # a code outside the taxonomy counts for nothing
        return None
    return Certification(
        code=row.code, version=row.version, issued=row.issued, valid_until=row.valid_until,
        issuer=row.issuer, verified=row.verified, raw=row.raw or "",
    )  # fmt: skip


@router.get("", response_model=KpiPublic, responses={401: {"description": "Missing or unknown key"}, 403: {"description": "Staff and analysts only"}})  # fmt: skip
def kpi(
    session: SessionDep,
    principal: ReaderDep,
    as_of: Annotated[
        dt.date | None,
        Query(description="Reference day (default today)", ge=dt.date(1900, 1, 1), le=dt.date(2199, 12, 31)),
    ] = None,
) -> KpiPublic:
    """Firms by sector, internationally certified firms against the target, firms connected to
    a multinational (an outcome at meeting or beyond), the outcome funnel (pairs per furthest
    status; ``rejected`` counts pairs that ended rejected) and certificates expiring within 90 days."""
    today = as_of or dt.date.today()
    total = session.scalar(select(func.count()).select_from(Firm)) or 0
    by_sector: Counter[str] = Counter()
    for codes in session.scalars(select(Firm.sector_codes)):
        by_sector.update(code for code in (codes or "").split(";") if code)

    international: set[int] = set()
    expiring = 0
    horizon = today + dt.timedelta(days=EXPIRY_WINDOW_DAYS)
    for row in session.scalars(select(FirmCertification)):
        cert = _certification(row)
        if cert is None or not cert.is_valid(today):
            continue
        if is_international(cert.code):
            international.add(row.firm_pk)
        last = cert.expires()
        if last is not None and today <= last <= horizon:
            expiring += 1

    furthest: dict[tuple[str, str], int] = {}
    latest: dict[tuple[str, str], str] = {}
    connected: set[str] = set()
    for need_id, firm_id, status in session.execute(
        select(Outcome.need_id, Outcome.firm_id, Outcome.status).order_by(Outcome.at, Outcome.id)
    ):
        pair = (need_id, firm_id)
        latest[pair] = status
        if status in OUTCOME_PATH:
            furthest[pair] = max(furthest.get(pair, 0), OUTCOME_PATH.index(status))
        if status in CONNECTED_STATUSES:
            connected.add(firm_id)
    funnel = {status: 0 for status in OUTCOME_PATH}
    for index in furthest.values():
        funnel[OUTCOME_PATH[index]] += 1
    funnel["rejected"] = sum(1 for status in latest.values() if status == "rejected")

    return KpiPublic(
        firms_total=total,
        firms_target=FIRMS_TARGET,
        firms_by_sector=dict(sorted(by_sector.items())),
        firms_international_certified=len(international),
        international_certified_target=INTERNATIONAL_TARGET,
        firms_connected_to_multinationals=len(connected),
        outcome_funnel=funnel,
        certificates_expiring_90_days=expiring,
        as_of=today,
    )
