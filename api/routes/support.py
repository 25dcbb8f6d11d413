"""``/support``: the support programme — associations nominate, staff verify and select, the city monitors (issue 14).

Roles (the only routes an ``association`` key opens; everywhere else it gets 403):

* staff: everything — rounds, associations, nominations, the proposal (the MILP over the
  service's fitted matcher), overrides with a reason (audited), the decision, milestones and
  inspections, the report and the decision workbook;
* analysts: read everything;
* an association: the rounds; its own nominations (send, read, change, withdraw) and their
  decisions; the public parts of firm profiles (``GET /support/firms/{firm_id}``);
* a firm: the rounds; its own applications (send, read, change, withdraw) and their decisions;
  its own profile's public parts.

Another's nomination answers 404, as if it did not exist. A nomination refused by a rule answers
422 naming the rule (``rule`` in the body). The work is in :mod:`api.storage.support`, shared
with ``cnht support ...``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from api.auth import Principal, authenticate
from api.deps import RankingDep, SessionDep, reading
from api.schemas import FirmIdPath
from api.schemas_support import (
    AssociationCreate,
    AssociationPublic,
    AssociationsPublic,
    DecideRequest,
    DecisionPublic,
    DecisionsPublic,
    FirmProfilePublic,
    InspectionCreate,
    InspectionPublic,
    MilestoneCreate,
    MilestonePublic,
    NominationCreate,
    NominationPublic,
    NominationsPublic,
    NominationUpdate,
    OverrideCreate,
    ProposalRequest,
    RoundPublic,
    RoundsPublic,
)
from api.storage import support as store
from api.storage.errors import NotFoundError, PermissionDeniedError
from api.storage.models import Firm
from api.storage.session import READ_ONLY
from api.storage.support_tables import MILESTONES, SupportNomination, SupportRoundRecord
from features.identity import ID_MAX_LENGTH, ID_PATTERN

__all__ = ["router"]

router = APIRouter(prefix="/support", tags=["support"])

_bearer = HTTPBearer(auto_error=False, description="API key: `cnht keys create --role staff|association|firm`")

RoundIdPath = Annotated[str, Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN,
                                  description="The round's own ID, e.g. SR-2026-1", examples=["SR-2026-1"])]
NominationIdPath = Annotated[str, Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN,
                                       description="The nomination's ID in its round, e.g. NOM-0001")]
AsOfQuery = Annotated[dt.date | None, Query(description="Day of the figures (default today in Hanoi)",
                                            ge=dt.date(1900, 1, 1), le=dt.date(2199, 12, 31))]
ItemIdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="A funded item's number (the round report lists them)")]

_ERRORS = {
    401: {"description": "Missing or unknown key"},
    403: {"description": "Role may not"},
    404: {"description": "No such round, association, nomination (or not the caller's own), or item"},
    409: {"description": "Already stored, or the round's state does not allow it"},
    422: {"description": "Invalid round or request, or a nomination refused by a rule (named)"},
}


def support_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, association keys accepted (:func:`api.deps.get_principal` refuses them).

    Read as :func:`api.deps.get_principal` reads it: a request that may write checks the key in a
    read-only transaction ended before the route runs (SQLite: no write lock for the check).
    """
    header = f"{credentials.scheme} {credentials.credentials}" if credentials is not None \
        else request.headers.get("authorization")
    if session.in_transaction():
        return authenticate(session, header, allow_association=True)
    session.connection(execution_options={READ_ONLY: True})
    try:
        return authenticate(session, header, allow_association=True)
    finally:
        session.rollback()


SupportPrincipal = Annotated[Principal, Depends(support_principal)]


def _only(principal: Principal, *roles: str) -> None:
    if principal.role not in roles:
        raise PermissionDeniedError(f"Only {' and '.join(roles)} may do this; this key has role {principal.role!r}.")


def _scope(principal: Principal) -> dict[str, str | None]:
    """What of the nominations the caller sees: an association its own, a firm its own, others all."""
    if principal.role == "association":
        return {"association_id": principal.association_id, "firm_id": None}
    if principal.role == "firm":
        return {"association_id": None, "firm_id": principal.firm_id}
    return {"association_id": None, "firm_id": None}


def _round_public(record: SupportRoundRecord) -> RoundPublic:
    return RoundPublic(round_id=record.round_id, name=record.name, budget_vnd=record.budget_vnd, opens=record.opens,
                       closes=record.closes, status=record.status, definition=record.definition,
                       proposal_summary=record.proposal_summary)


def _nomination_public(round_id: str, n: SupportNomination) -> NominationPublic:
    return NominationPublic(round_id=round_id, nomination_id=n.nomination_id, firm_id=n.firm_id,
                            support_type=n.support_type, units=n.units, nominated_by=n.nominated_by,
                            association_id=n.association_id, justification=n.justification, status=n.status,
                            created_at=n.created_at)


# --- associations and rounds ---------------------------------------------------------------


@router.post("/associations", response_model=AssociationPublic, status_code=status.HTTP_201_CREATED, responses=_ERRORS)
def create_association(body: AssociationCreate, session: SessionDep, principal: SupportPrincipal) -> AssociationPublic:
    """Store an association (staff); then `cnht keys create --role association --association ID`."""
    _only(principal, "staff")
    record = store.create_association(session, body.association_id, body.name, by=principal.actor)
    return AssociationPublic(association_id=record.association_id, name=record.name)


@router.get("/associations", response_model=AssociationsPublic, responses=_ERRORS)
def list_associations(session: SessionDep, principal: SupportPrincipal) -> AssociationsPublic:
    """Every association (staff, analysts)."""
    _only(principal, "staff", "analyst")
    rows = [AssociationPublic(association_id=a.association_id, name=a.name) for a in store.list_associations(session)]
    return AssociationsPublic(data=rows, count=len(rows))


@router.post("/rounds", response_model=RoundPublic, status_code=status.HTTP_201_CREATED, responses=_ERRORS)
def create_round(body: dict, session: SessionDep, principal: SupportPrincipal) -> RoundPublic:
    """Store a round given in the round file format, without nominations (staff)."""
    _only(principal, "staff")
    return _round_public(store.create_round(session, body, by=principal.actor))


@router.get("/rounds", response_model=RoundsPublic, responses=_ERRORS)
def list_rounds(session: SessionDep, principal: SupportPrincipal) -> RoundsPublic:
    """Every round, newest first (every role: associations and firms see what they may apply for)."""
    rows = [_round_public(r) for r in store.list_rounds(session)]
    return RoundsPublic(data=rows, count=len(rows))


@router.get("/rounds/{round_id}", response_model=RoundPublic, responses=_ERRORS)
def get_round(round_id: RoundIdPath, session: SessionDep, principal: SupportPrincipal) -> RoundPublic:
    """One round (every role)."""
    return _round_public(store.get_round(session, round_id))


# --- nominations -----------------------------------------------------------------------------


@router.post("/rounds/{round_id}/nominations", response_model=NominationPublic, status_code=status.HTTP_201_CREATED,
             responses=_ERRORS)
def nominate(round_id: RoundIdPath, body: NominationCreate, session: SessionDep,
             principal: SupportPrincipal) -> NominationPublic | JSONResponse:
    """Send a nomination (staff, an association under its own ID) or a firm's own application (a firm key).

    Refused by an eligibility rule: 422 with ``rule`` naming it and nothing stored."""
    _only(principal, "staff", "association", "firm")
    firm_id, association_id = body.firm_id, body.association_id
    if principal.role == "association":
        if association_id not in (None, principal.association_id):
            raise PermissionDeniedError(f"This key nominates for association {principal.association_id} only, "
                                        f"not {association_id}.")
        association_id = principal.association_id
    elif principal.role == "firm":
        if firm_id not in (None, principal.firm_id) or association_id is not None:
            raise PermissionDeniedError(f"A firm key applies for its own firm {principal.firm_id} only, without "
                                        "an association.")
        firm_id = principal.firm_id
    if not firm_id:
        raise store.SupportInvalidError("Expected firm_id: the firm nominated.")
    try:
        row = store.nominate(session, round_id, firm_id=firm_id, support_type=body.support_type,
                             association_id=association_id, justification=body.justification, units=body.units,
                             by=principal.actor)
    except store.NominationRefusedError as error:
        session.rollback()
        return JSONResponse(status_code=422, content={"detail": str(error), "rule": error.rule})
    return _nomination_public(round_id, row)


@router.get("/rounds/{round_id}/nominations", response_model=NominationsPublic, responses=_ERRORS)
def list_nominations(round_id: RoundIdPath, session: SessionDep, principal: SupportPrincipal) -> NominationsPublic:
    """A round's nominations: all for staff and analysts, its own for an association or a firm."""
    rows = [_nomination_public(round_id, n) for n in store.list_nominations(session, round_id, **_scope(principal))]
    return NominationsPublic(data=rows, count=len(rows))


@router.get("/rounds/{round_id}/nominations/{nomination_id}", response_model=NominationPublic, responses=_ERRORS)
def get_nomination(round_id: RoundIdPath, nomination_id: NominationIdPath, session: SessionDep,
                   principal: SupportPrincipal) -> NominationPublic:
    """One nomination (404 when it is not the caller's own)."""
    return _nomination_public(round_id, store.get_nomination(session, round_id, nomination_id, **_scope(principal)))


@router.patch("/rounds/{round_id}/nominations/{nomination_id}", response_model=NominationPublic, responses=_ERRORS)
def update_nomination(round_id: RoundIdPath, nomination_id: NominationIdPath, body: NominationUpdate,
                      session: SessionDep, principal: SupportPrincipal) -> NominationPublic:
    """Change the justification or withdraw (staff; an association or a firm its own) while the round is open."""
    _only(principal, "staff", "association", "firm")
    row = store.get_nomination(session, round_id, nomination_id, **_scope(principal))
    if principal.role == "firm" and row.nominated_by != "self":
        raise PermissionDeniedError(f"Nomination {nomination_id} was sent by association {row.association_id}; "
                                    "ask it to change or withdraw it.")
    store.update_nomination(session, row, by=principal.actor, justification=body.justification,
                            withdraw=body.withdraw)
    return _nomination_public(round_id, row)


@router.get("/rounds/{round_id}/nominations/{nomination_id}/dossier", responses=_ERRORS)
def nomination_dossier(round_id: RoundIdPath, nomination_id: NominationIdPath, session: SessionDep,
                       ranking: RankingDep, principal: SupportPrincipal) -> dict:
    """What staff verify a nomination with (staff, analysts): the firm's profile, its certificates
    by the one validity rule, its match outcomes, the rules checked now, and the matcher's view
    (the upgrades that would open the most open needs)."""
    _only(principal, "staff", "analyst")
    store.get_nomination(session, round_id, nomination_id)  # 404 before fitting anything
    fitted = ranking.get(session)
    with ranking.slot():
        return store.nomination_dossier(session, round_id, nomination_id, fitted.matcher, store.open_needs(session))


# --- the proposal and the decision -----------------------------------------------------------


def _decisions_public(session, round_id: str, principal: Principal) -> DecisionsPublic:
    record = store.get_round(session, round_id)
    pairs = store.decisions(session, round_id, **_scope(principal))
    data = [DecisionPublic(
        nomination_id=n.nomination_id, firm_id=n.firm_id, support_type=n.support_type,
        association_id=n.association_id, selected=d.selected, proposed=d.proposed, rank=d.rank,
        cost_vnd=d.cost_vnd, value=d.value, target_gain=d.target_gain, new_shortlists=d.new_shortlists,
        eligible=d.eligible, rule=d.rule, reason_code=d.reason_code, reason_vi=d.reason_vi, reason_en=d.reason_en,
        override_reason=d.override_reason, overridden_by=d.overridden_by if principal.role in ("staff", "analyst")
        else None, overridden_at=d.overridden_at, held_by_override=d.override_reason is not None) for n, d in pairs]
    summary = record.proposal_summary if principal.role in ("staff", "analyst") else None
    return DecisionsPublic(round_id=round_id, status=record.status, summary=summary, data=data, count=len(data))


@router.post("/rounds/{round_id}/proposal", response_model=DecisionsPublic, responses=_ERRORS)
def propose(round_id: RoundIdPath, session: SessionDep, ranking: RankingDep, principal: SupportPrincipal,
            body: ProposalRequest | None = None) -> DecisionsPublic:
    """Propose whom to fund (staff): every nomination checked, valued and decided within the budget
    (MILP), with a reason each. Staff overrides stand: each is held as decided (the others are chosen
    around it; ``held_by_override``, and the summary's ``held_by_override`` with what the solver alone
    would do); one whose nomination has become ineligible is lifted (``overrides_lifted``, audited)."""
    _only(principal, "staff")
    body = body or ProposalRequest()
    with reading(session) as reader:  # a refit and the solve must not hold the write lock
        fitted = ranking.get(reader)
        needs = store.open_needs(reader)
        with ranking.slot():
            selection = store.propose(reader, round_id, fitted.matcher, needs, time_limit=body.time_limit,
                                      weight_target=body.weight_target, weight_demand=body.weight_demand)
    store.store_proposal(session, round_id, selection, by=principal.actor)
    session.commit()
    with reading(session) as reader:
        return _decisions_public(reader, round_id, principal)


@router.get("/rounds/{round_id}/decisions", response_model=DecisionsPublic, responses=_ERRORS)
def get_decisions(round_id: RoundIdPath, session: SessionDep, principal: SupportPrincipal) -> DecisionsPublic:
    """The decisions with their reasons: all for staff and analysts, its own for an association or a firm."""
    return _decisions_public(session, round_id, principal)


@router.post("/rounds/{round_id}/decisions/{nomination_id}/override", response_model=DecisionPublic,
             responses=_ERRORS)
def override(round_id: RoundIdPath, nomination_id: NominationIdPath, body: OverrideCreate, session: SessionDep,
             principal: SupportPrincipal) -> DecisionPublic:
    """Put a nomination in or out against the proposal, with the reason (staff; audited)."""
    _only(principal, "staff")
    store.override(session, round_id, nomination_id, selected=body.selected, reason=body.reason, by=principal.actor)
    (public,) = [d for d in _decisions_public(session, round_id, principal).data if d.nomination_id == nomination_id]
    return public


@router.post("/rounds/{round_id}/decide", response_model=RoundPublic, responses=_ERRORS)
def decide(round_id: RoundIdPath, session: SessionDep, principal: SupportPrincipal,
           body: DecideRequest | None = None) -> RoundPublic:
    """Close the decision: the selected nominations become funded items with milestones (staff)."""
    _only(principal, "staff")
    store.decide(session, round_id, by=principal.actor, on=(body or DecideRequest()).funded_on)
    return _round_public(store.get_round(session, round_id))


@router.get("/rounds/{round_id}/decision.xlsx", responses={**_ERRORS, 200: {
    "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
    "description": "The decision with reasons, in Vietnamese"}})
def decision_workbook(round_id: RoundIdPath, session: SessionDep, principal: SupportPrincipal) -> Response:
    """The decision as an XLSX workbook in Vietnamese, every reason included (staff, analysts)."""
    from api.support_workbook import decision_workbook as build

    _only(principal, "staff", "analyst")
    content = build(session, round_id)
    return Response(content, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{_ascii(round_id)}_quyet_dinh.xlsx"'})


def _ascii(text: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in text)


# --- monitoring ------------------------------------------------------------------------------


@router.post("/items/{item_id}/milestones/{kind}", response_model=MilestonePublic, responses=_ERRORS)
def record_milestone(item_id: ItemIdPath, kind: Annotated[str, Path(pattern="^(" + "|".join(MILESTONES) + ")$")],
                     body: MilestoneCreate, session: SessionDep, principal: SupportPrincipal) -> MilestonePublic:
    """Record a milestone reached (staff); certificate_issued adds the certificate to the firm."""
    _only(principal, "staff")
    m = store.record_milestone(session, item_id, kind, done_on=body.done_on, note=body.note,
                               certificate=body.certificate, by=principal.actor)
    return MilestonePublic(item_id=item_id, kind=m.kind, due=m.due, done_on=m.done_on,
                           certificate_pk=m.certificate_pk, certificate=m.certificate, note=m.note)


@router.post("/items/{item_id}/inspections", response_model=InspectionPublic, status_code=status.HTTP_201_CREATED,
             responses=_ERRORS)
def record_inspection(item_id: ItemIdPath, body: InspectionCreate, session: SessionDep,
                      principal: SupportPrincipal) -> InspectionPublic:
    """Record an inspection visit with its findings (staff)."""
    _only(principal, "staff")
    v = store.record_inspection(session, item_id, visited_on=body.visited_on, inspector=body.inspector,
                                findings=body.findings, satisfactory=body.satisfactory, by=principal.actor)
    return InspectionPublic(item_id=item_id, visited_on=v.visited_on, inspector=v.inspector, findings=v.findings,
                            satisfactory=v.satisfactory)


@router.get("/rounds/{round_id}/report", responses=_ERRORS)
def round_report(round_id: RoundIdPath, session: SessionDep, principal: SupportPrincipal,
                 as_of: AsOfQuery = None) -> dict:
    """The round's report: spending, decisions and overrides, funded items with milestones (overdue
    flagged) and inspections, what it contributed, and the plan's figures (staff, analysts)."""
    _only(principal, "staff", "analyst")
    return store.round_report(session, round_id, as_of)


@router.get("/plan", responses=_ERRORS)
def plan(session: SessionDep, principal: SupportPrincipal, as_of: AsOfQuery = None) -> dict:
    """Firms in the field against 900 and meeting international standards against 400, by sector
    and district, by the KPI's rule (staff, analysts)."""
    _only(principal, "staff", "analyst")
    return store.plan_figures(session, as_of)


@router.get("/plan/progress", responses=_ERRORS)
def plan_progress(
    session: SessionDep,
    principal: SupportPrincipal,
    start: Annotated[dt.date | None, Query(alias="from", ge=dt.date(1900, 1, 1), le=dt.date(2199, 12, 31),
                                           description="First day (default: 11 month ends before 'to')")] = None,
    end: Annotated[dt.date | None, Query(alias="to", ge=dt.date(1900, 1, 1), le=dt.date(2199, 12, 31),
                                         description="Last day (default today in Hanoi)")] = None,
) -> dict:
    """The plan's figures at each month end from ``from`` to ``to`` (and at ``to``): firms in the
    field against 900, meeting international standards against 400, by sector and district (the
    firms GET /kpi/progress counts), and what each round's funded certificates contributed on each
    day by their own validity dates (staff, analysts)."""
    _only(principal, "staff", "analyst")
    return store.plan_progress(session, store.plan_days(start, end))


@router.get("/firms/{firm_id}", response_model=FirmProfilePublic, responses=_ERRORS)
def firm_profile(firm_id: FirmIdPath, session: SessionDep, principal: SupportPrincipal) -> FirmProfilePublic:
    """The public parts of a firm's profile (staff, analysts, associations; a firm its own)."""
    if principal.role == "firm" and principal.firm_id != firm_id:
        raise NotFoundError(f"Firm {firm_id} not found.")
    firm = session.scalar(select(Firm).where(Firm.firm_id == firm_id))
    if firm is None:
        raise NotFoundError(f"Firm {firm_id} not found.")
    certificates = [{"code": c.code, "version": c.version, "issued": c.issued, "valid_until": c.valid_until,
                     "issuer": c.issuer, "verified": c.verified} for c in firm.certifications]
    return FirmProfilePublic(firm_id=firm.firm_id, name=firm.name, district=firm.district_legacy or firm.district,
                             sectors=firm.sectors, description=firm.description, products=firm.products,
                             materials=firm.materials, employees=firm.employees, certifications=certificates)
