"""``GET /kpi``: the indicators of Plan 04/KH-UBND (900 firms, 400 at international standard);
``GET /kpi/progress``: where they stood at each of the last 12 month-ends; ``GET /kpi/expiring``:
the certificates expiring within 90 days. One function each in :mod:`api.storage.certificate_dates`,
called by the dashboard too.

Staff and analysts only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.deps import ReaderDep, SessionDep
from api.schemas import KpiPublic
from api.schemas_kpi import (
    ExpiringCertificatePublic,
    ExpiringCertificatesPublic,
    KpiProgressPublic,
    PlanStandingPublic,
)
from api.storage.certificate_dates import (
    EXPIRY_WINDOW_DAYS,
    certificate_counts,
    expiring_certificates,
    firms_in_field,
    month_ends,
    plan_standings,
)
from api.storage.models import Firm, FirmCertification
from api.storage.repository import outcome_funnel
from features import clock
from features.plan import FIRMS_TARGET, INTERNATIONAL_TARGET  # the plan's targets: one place
from features.sectors import firms_by_sector

__all__ = ["router", "FIRMS_TARGET", "INTERNATIONAL_TARGET", "EXPIRY_WINDOW_DAYS", "PROGRESS_MONTHS"]

router = APIRouter(prefix="/kpi", tags=["kpi"])

PROGRESS_MONTHS = 12
T = TypeVar("T")


def _per_version(request: Request, session: Session, name: str, day: dt.date, compute: Callable[[], T]) -> T:
    """``compute()``, kept per app (so per database) until the firms or certificates change.

    Reading and judging every firm's certificates is most of the KPI's cost, and they change
    only with the firms: an answer is computed again when the firms' or certificates'
    version (rows, latest update, latest id) changed, or for another ``day``. Every
    certificate write goes through a firm write (its ``updated_at``).
    """
    firms = session.execute(select(func.count(Firm.id), func.max(Firm.updated_at))).one()
    certificates = session.execute(select(func.count(FirmCertification.id), func.max(FirmCertification.id))).one()
    version = (int(firms[0] or 0), str(firms[1]), int(certificates[0] or 0), int(certificates[1] or 0))
    kept: dict[tuple[str, dt.date], tuple[tuple, Any]] | None = getattr(request.app.state, "kpi_certificates", None)
    if kept is None:
        kept = request.app.state.kpi_certificates = {}
    cached = kept.get((name, day))
    if cached is not None and cached[0] == version:
        return cached[1]
    if len(kept) > 64:  # days asked for by hand: keep the store small
        kept.clear()
    answer = compute()
    kept[(name, day)] = (version, answer)
    return answer


_AS_OF = Query(description="Reference day (default today in Hanoi)", ge=dt.date(1900, 1, 1), le=dt.date(2199, 12, 31))
_READER_ERRORS = {401: {"description": "Missing or unknown key"}, 403: {"description": "Staff and analysts only"}}


@router.get("", response_model=KpiPublic, responses=_READER_ERRORS)
def kpi(
    request: Request,
    session: SessionDep,
    principal: ReaderDep,
    as_of: Annotated[dt.date | None, _AS_OF] = None,
) -> KpiPublic:
    """Firms by sector, internationally certified firms against the target, firms connected to
    a multinational (an outcome at meeting or beyond), the outcome funnel (need-firm pairs that
    reached each stage or beyond, so each stage holds at most the one before; ``rejected`` counts
    pairs that ended rejected) and certificates expiring within 90 days.

    On a past ``as_of`` the firm figures count the firms recorded by that day, as the last point
    of ``GET /kpi/progress`` and ``GET /support/plan`` do (the outcome figures are today's)."""
    today = as_of or clock.today()
    # The firms in the field on the day (recorded by then: every stored firm on today), as
    # /kpi/progress and the support plan count them; sectors stored at write time by
    # features.sectors, the rule `cnht demo` counts with too.
    in_field = set(firms_in_field(session, today))
    total = len(in_field)
    by_sector = firms_by_sector(
        (code for code in (codes or "").split(";") if code)
        for pk, codes in session.execute(select(Firm.id, Firm.sector_codes)) if pk in in_field
    )

    # The one validity rule over each firm's records (renewals included): a firm meets an
    # international standard when one of its valid codes is flagged so in the taxonomy, and a
    # certificate is expiring when its code's unbroken validity ends within the window.
    international, expiring = _per_version(request, session, "counts", today,
                                           lambda: certificate_counts(session, today, EXPIRY_WINDOW_DAYS))

    funnel, connected = outcome_funnel(session)

    return KpiPublic(
        firms_total=total,
        firms_target=FIRMS_TARGET,
        firms_by_sector=by_sector,
        firms_international_certified=international,
        international_certified_target=INTERNATIONAL_TARGET,
        firms_connected_to_multinationals=connected,
        outcome_funnel=funnel,
        certificates_expiring_90_days=expiring,
        as_of=today,
    )


@router.get("/progress", response_model=KpiProgressPublic, responses=_READER_ERRORS)
def kpi_progress(
    request: Request,
    session: SessionDep,
    principal: ReaderDep,
    as_of: Annotated[dt.date | None, _AS_OF] = None,
) -> KpiProgressPublic:
    """Firms in the field and firms with a valid international-standard certificate at each of the
    last 12 month-ends (the current month's at ``as_of``), against the targets.

    A firm counts from the day it was recorded; certificates are judged by the one validity rule
    on each day. The last point is ``GET /kpi``'s ``firms_total`` and
    ``firms_international_certified`` on ``as_of``."""
    today = as_of or clock.today()
    days = month_ends(today, PROGRESS_MONTHS)
    standings = _per_version(request, session, "progress", today, lambda: plan_standings(session, days))
    data = [PlanStandingPublic(on=s.on, firms_total=s.firms, firms_international_certified=s.international)
            for s in standings]  # fmt: skip
    return KpiProgressPublic(as_of=today, firms_target=FIRMS_TARGET, international_certified_target=INTERNATIONAL_TARGET,
                             data=data, count=len(data))  # fmt: skip


@router.get("/expiring", response_model=ExpiringCertificatesPublic, responses=_READER_ERRORS)
def kpi_expiring(
    request: Request,
    session: SessionDep,
    principal: ReaderDep,
    as_of: Annotated[dt.date | None, _AS_OF] = None,
) -> ExpiringCertificatesPublic:
    """The valid certificates whose unbroken validity (renewals included) ends within 90 days of
    ``as_of``, soonest first: the ones ``GET /kpi`` counts in ``certificates_expiring_90_days``."""
    today = as_of or clock.today()
    found = _per_version(request, session, "expiring", today,
                         lambda: expiring_certificates(session, today, EXPIRY_WINDOW_DAYS))  # fmt: skip
    data = [ExpiringCertificatePublic(**asdict(c)) for c in found]
    return ExpiringCertificatesPublic(as_of=today, window_days=EXPIRY_WINDOW_DAYS, data=data, count=len(data))
