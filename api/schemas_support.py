"""API schemas of the support programme (:mod:`api.routes.support`, :mod:`api.storage.support`).

A round is sent as the round file format (``data/demo/support_round_demo.json`` without its
nominations): its consistency is checked by :func:`matching.support.round_from_dict` (422 naming
the field). Create/Update/Public families as elsewhere; never one class for input and output.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from api.schemas import EntityId, _In

__all__ = [
    "AssociationCreate",
    "AssociationPublic",
    "AssociationsPublic",
    "RoundPublic",
    "RoundsPublic",
    "NominationCreate",
    "NominationUpdate",
    "NominationPublic",
    "NominationsPublic",
    "ProposalRequest",
    "DecisionPublic",
    "DecisionsPublic",
    "OverrideCreate",
    "DecideRequest",
    "MilestoneCreate",
    "MilestonePublic",
    "InspectionCreate",
    "InspectionPublic",
    "FirmProfilePublic",
]

_Justification = Field(default="", max_length=4000)
_TIME_LIMIT_MAX_SECONDS = 300.0


class AssociationCreate(_In):
    """A business association that nominates firms."""

    association_id: EntityId
    name: str = Field(min_length=1, max_length=300)


class AssociationPublic(BaseModel):
    association_id: str
    name: str


class AssociationsPublic(BaseModel):
    data: list[AssociationPublic]
    count: int


class RoundPublic(BaseModel):
    """A stored round: budget, dates, status and its definition (support types, eligibility, fairness)."""

    round_id: str
    name: str
    budget_vnd: int
    opens: dt.date
    closes: dt.date
    status: str = Field(description="open (nominations received), proposed, decided")
    definition: dict[str, Any]
    proposal_summary: dict[str, Any] | None = None


class RoundsPublic(BaseModel):
    data: list[RoundPublic]
    count: int


class NominationCreate(_In):
    """A nomination (staff or an association) or a firm's own application.

    An association key nominates under its own association (``association_id`` may be left out);
    a firm key applies for itself (``firm_id`` may be left out; no association). Staff give
    ``association_id`` for an association's nomination, none for a firm's own application.
    """

    firm_id: EntityId | None = None
    support_type: str = Field(min_length=1, max_length=64)
    association_id: EntityId | None = None
    justification: str = _Justification
    units: int = Field(default=1, ge=1, le=1000)


class NominationUpdate(_In):
    """Change a nomination's justification, or withdraw it (while the round is open)."""

    justification: str | None = Field(default=None, max_length=4000)
    withdraw: bool = False


class NominationPublic(BaseModel):
    round_id: str
    nomination_id: str
    firm_id: str
    support_type: str
    units: int
    nominated_by: str
    association_id: str | None
    justification: str
    status: str
    created_at: dt.datetime


class NominationsPublic(BaseModel):
    data: list[NominationPublic]
    count: int


class ProposalRequest(_In):
    """Weights and time limit of the proposal (the round's fairness settings always apply)."""

    weight_target: float = Field(default=1.0, ge=0, le=1e6)
    weight_demand: float = Field(default=0.1, ge=0, le=1e6)
    time_limit: float = Field(default=60.0, gt=0, le=_TIME_LIMIT_MAX_SECONDS)


class DecisionPublic(BaseModel):
    """A nomination's decision: in or out, why, and any staff override."""

    nomination_id: str
    firm_id: str
    support_type: str
    association_id: str | None
    selected: bool
    proposed: bool
    rank: int
    cost_vnd: int
    value: float
    target_gain: int
    new_shortlists: int
    eligible: bool
    rule: str
    reason_code: str
    reason_vi: str
    reason_en: str
    override_reason: str | None
    overridden_by: str | None
    overridden_at: dt.datetime | None
    held_by_override: bool = Field(description="True when a staff override decides it (kept on top of every "
                                               "new proposal); proposed is then the solver's own choice")


class DecisionsPublic(BaseModel):
    round_id: str
    status: str
    summary: dict[str, Any] | None
    data: list[DecisionPublic]
    count: int


class OverrideCreate(_In):
    """Put a nomination in or out against the proposal; the reason is kept in the audit log."""

    selected: bool
    reason: str = Field(min_length=1, max_length=2000)


class DecideRequest(_In):
    """Close the decision; funded items are dated ``funded_on`` (default today)."""

    funded_on: dt.date | None = Field(default=None, ge=dt.date(2000, 1, 1), le=dt.date(2199, 12, 31))


class MilestoneCreate(_In):
    """A milestone reached; ``certificate`` (valid_until, issued, issuer, version) for certificate_issued."""

    done_on: dt.date = Field(ge=dt.date(2000, 1, 1), le=dt.date(2199, 12, 31))
    note: str | None = Field(default=None, max_length=2000)
    certificate: dict[str, Any] | None = None


class MilestonePublic(BaseModel):
    item_id: int
    kind: str
    due: dt.date
    done_on: dt.date | None
    certificate_pk: int | None
    certificate: dict[str, Any] | None
    note: str | None


class InspectionCreate(_In):
    """An inspection visit and its findings."""

    visited_on: dt.date = Field(ge=dt.date(2000, 1, 1), le=dt.date(2199, 12, 31))
    inspector: str = Field(min_length=1, max_length=120)
    findings: str = Field(default="", max_length=4000)
    satisfactory: bool = True


class InspectionPublic(BaseModel):
    item_id: int
    visited_on: dt.date
    inspector: str
    findings: str
    satisfactory: bool


class FirmProfilePublic(BaseModel):
    """The public parts of a firm's profile (what an association may read): no tax code, address,
    contacts, customers, capacity or coordinates."""

    firm_id: str
    name: str
    district: str | None
    sectors: str | None
    description: str | None
    products: str | None
    materials: str | None
    employees: int | None
    certifications: list[dict[str, Any]]
