"""API schemas of the plan's figures beyond ``GET /kpi``: progress over time, expiring certificates.

Kept apart from :mod:`api.schemas` (like :mod:`api.schemas_imports`): they belong to the
dashboard's two lists and chart, computed by :mod:`api.storage.certificate_dates`.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

__all__ = ["PlanStandingPublic", "KpiProgressPublic", "ExpiringCertificatePublic", "ExpiringCertificatesPublic"]


class PlanStandingPublic(BaseModel):
    """The plan's two counts on one day."""

    on: dt.date
    firms_total: int = Field(description="Firms recorded on or before the day (Hanoi day)")
    firms_international_certified: int = Field(
        description="Of those, firms with a valid international-standard certificate on the day"
    )


class KpiProgressPublic(BaseModel):
    """Where the plan stood at each of the last month-ends, oldest first; the last is ``as_of``."""

    as_of: dt.date
    firms_target: int
    international_certified_target: int
    data: list[PlanStandingPublic]
    count: int


class ExpiringCertificatePublic(BaseModel):
    """A valid certificate whose unbroken validity (renewals included) ends within the window."""

    firm_id: str
    firm_name: str
    code: str
    label: str
    valid_until: dt.date
    days_left: int = Field(description="Days from as_of to valid_until (0: its last day is as_of)")
    verified: bool


class ExpiringCertificatesPublic(BaseModel):
    """The certificates ``GET /kpi`` counts in ``certificates_expiring_90_days``, soonest first."""

    as_of: dt.date
    window_days: int
    data: list[ExpiringCertificatePublic]
    count: int
