"""``/outcomes`` and ``/shortlists/{entry_id}/outcome``: what happened to a match.

Statuses follow the state machine of :mod:`api.storage.outcomes`; an illegal move answers
409 with the statuses allowed next. Concurrent moves of one pair are serialised (the pair's
lock, :func:`api.storage.repository.lock_pair`), so two requests never both move it from the
same status. Staff record; analysts read; a firm key reads its own, without the staff names
(``by`` is null).

``PATCH /shortlists/{entry_id}/outcome`` works on an entry of any run of the need's
shortlist, not only the latest: the status belongs to the (need, firm) pair. The answer's
``latest_run`` says whether a newer shortlist has been computed since.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from sqlalchemy import func, select

from api.deps import PrincipalDep, SessionDep, StaffDep
from api.schemas import (
    IdQuery,
    OutcomeCreate,
    OutcomePublic,
    OutcomesPublic,
    OutcomeTransition,
    ShortlistEntryPublic,
)
from api.storage import repository as repo
from api.storage.models import ShortlistRun

__all__ = ["router", "shortlists_router"]

router = APIRouter(prefix="/outcomes", tags=["outcomes"])
shortlists_router = APIRouter(prefix="/shortlists", tags=["shortlists"])

_ERRORS = {
    401: {"description": "Missing or unknown key"},
    403: {"description": "Role may not"},
    404: {"description": "No such need, firm or entry"},
    409: {"description": "Status not allowed next; the answer lists the allowed ones"},
}


@router.get("", response_model=OutcomesPublic, responses=_ERRORS)
def list_outcomes(
    session: SessionDep,
    principal: PrincipalDep,
    need_id: IdQuery = None,
    firm_id: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> OutcomesPublic:
    """Status history of matches, oldest first; a firm key sees only its own."""
    if principal.role == "firm":
        if firm_id is not None and firm_id != principal.firm_id:
            return OutcomesPublic(data=[], count=0)
        firm_id = principal.firm_id
    rows, count = repo.list_outcomes(
        session, need_id=need_id, firm_id=firm_id, limit=limit, offset=offset
    )
    data = [OutcomePublic.model_validate(r) for r in rows]
    if principal.role == "firm":  # staff names are not the firm's business
        data = [o.model_copy(update={"by": None}) for o in data]
    return OutcomesPublic(data=data, count=count)


@router.post("", response_model=OutcomePublic, status_code=status.HTTP_201_CREATED, responses=_ERRORS)  # fmt: skip
def create_outcome(body: OutcomeCreate, session: SessionDep, principal: StaffDep) -> OutcomePublic:
    """Record the next status of a (need, firm) pair (staff)."""
    outcome = repo.record_outcome(
        session, body.need_id, body.firm_id, body.status, reason=body.reason, by=principal.actor
    )
    return OutcomePublic.model_validate(outcome)


@shortlists_router.patch("/{entry_id}/outcome", response_model=ShortlistEntryPublic, responses=_ERRORS)  # fmt: skip
def update_shortlist_outcome(
    entry_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: OutcomeTransition, session: SessionDep, principal: StaffDep
) -> ShortlistEntryPublic:
    """Move a shortlist entry's match to its next status (staff)."""
    entry = repo.get_shortlist_entry(session, entry_id)
    outcome = repo.record_outcome(
        session,
        entry.need_id,
        entry.firm_id,
        body.status,
        reason=body.reason,
        by=principal.actor,
        shortlist_entry_id=entry.id,
    )
    public = ShortlistEntryPublic.model_validate(entry)
    public.status = outcome.status
    newest = session.scalar(select(func.max(ShortlistRun.id)).where(ShortlistRun.need_id == entry.need_id))
    public.latest_run = newest == entry.run_id
    return public
