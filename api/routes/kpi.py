"""``GET /kpi``: the indicators of Plan 04/KH-UBND (900 firms, 400 at international standard).

Staff and analysts only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.deps import ReaderDep, SessionDep
from api.schemas import KpiPublic
from api.storage.models import Firm, FirmCertification, Outcome
from api.storage.outcomes import CONNECTED_STATUSES, RECORDED_ORDER
from api.storage.repository import stored_certificates
from features import clock
from features.certifications import certificate_status, is_international
from features.columns import OUTCOME_PATH
from features.sectors import firms_by_sector

__all__ = ["router", "FIRMS_TARGET", "INTERNATIONAL_TARGET", "EXPIRY_WINDOW_DAYS"]

router = APIRouter(prefix="/kpi", tags=["kpi"])

FIRMS_TARGET = 900
INTERNATIONAL_TARGET = 400
EXPIRY_WINDOW_DAYS = 90


def _certificate_counts(request: Request, session: Session, today: dt.date) -> tuple[int, int]:
    """Firms meeting an international standard and certificates expiring, on ``today``.

    Reading and judging every firm's certificates is most of the KPI's cost, and they change
    only with the firms: the counts are kept per app (so per database) and computed again
    when the day or the firms' or certificates' version (rows, latest update, latest id)
    changed. Every certificate write goes through a firm write (its ``updated_at``).
    """
    firms = session.execute(select(func.count(Firm.id), func.max(Firm.updated_at))).one()
    certificates = session.execute(select(func.count(FirmCertification.id), func.max(FirmCertification.id))).one()
    key = (today, int(firms[0] or 0), str(firms[1]), int(certificates[0] or 0), int(certificates[1] or 0))
    cached = getattr(request.app.state, "kpi_certificates", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    # The one validity rule over each firm's records (renewals included): a firm meets an
    # international standard when one of its valid codes is flagged so in the taxonomy, and a
    # certificate is expiring when its code's unbroken validity ends within the window.
    rows: dict[int, list[FirmCertification]] = {}
    for row in session.scalars(select(FirmCertification)):
        rows.setdefault(row.firm_pk, []).append(row)
    international: set[int] = set()
    expiring = 0
    horizon = today + dt.timedelta(days=EXPIRY_WINDOW_DAYS)
    for firm_pk, mine in rows.items():
        for code, answer in certificate_status(stored_certificates(mine), on=today).items():
            if not answer.valid:
                continue
            if is_international(code):
                international.add(firm_pk)
            if answer.valid_until is not None and answer.valid_until <= horizon:
                expiring += 1
    counts = (len(international), expiring)
    request.app.state.kpi_certificates = (key, counts)
    return counts


@router.get("", response_model=KpiPublic, responses={401: {"description": "Missing or unknown key"}, 403: {"description": "Staff and analysts only"}})  # fmt: skip
def kpi(
    request: Request,
    session: SessionDep,
    principal: ReaderDep,
    as_of: Annotated[
        dt.date | None,
        Query(description="Reference day (default today in Hanoi)", ge=dt.date(1900, 1, 1), le=dt.date(2199, 12, 31)),
    ] = None,
) -> KpiPublic:
    """Firms by sector, internationally certified firms against the target, firms connected to
    a multinational (an outcome at meeting or beyond), the outcome funnel (need-firm pairs that
    reached each stage or beyond, so each stage holds at most the one before; ``rejected`` counts
    pairs that ended rejected) and certificates expiring within 90 days."""
    today = as_of or clock.today()
    total = session.scalar(select(func.count()).select_from(Firm)) or 0
    # Stored at write time by features.sectors, the rule `cnht demo` counts with too.
    by_sector = firms_by_sector(
        (code for code in (codes or "").split(";") if code) for codes in session.scalars(select(Firm.sector_codes))
    )

    # The one validity rule over each firm's records (renewals included): a firm meets an
    # international standard when one of its valid codes is flagged so in the taxonomy, and a
    # certificate is expiring when its code's unbroken validity ends within the window.
    international, expiring = _certificate_counts(request, session, today)

    furthest: dict[tuple[str, str], int] = {}
    latest: dict[tuple[str, str], str] = {}
    connected: set[str] = set()
    for need_id, firm_id, status in session.execute(
        select(Outcome.need_id, Outcome.firm_id, Outcome.status).order_by(*RECORDED_ORDER)
    ):
        pair = (need_id, firm_id)
        latest[pair] = status
        if status in OUTCOME_PATH:
            furthest[pair] = max(furthest.get(pair, 0), OUTCOME_PATH.index(status))
        if status in CONNECTED_STATUSES:
            connected.add(firm_id)
    # A funnel: a pair counts at every stage up to the furthest it reached (an order went
    # through the earlier stages even when they were not recorded), so stages never grow.
    funnel = {status: 0 for status in OUTCOME_PATH}
    for index in furthest.values():
        for status in OUTCOME_PATH[: index + 1]:
            funnel[status] += 1
    funnel["rejected"] = sum(1 for status in latest.values() if status == "rejected")

    return KpiPublic(
        firms_total=total,
        firms_target=FIRMS_TARGET,
        firms_by_sector=by_sector,
        firms_international_certified=international,
        international_certified_target=INTERNATIONAL_TARGET,
        firms_connected_to_multinationals=len(connected),
        outcome_funnel=funnel,
        certificates_expiring_90_days=expiring,
        as_of=today,
    )
