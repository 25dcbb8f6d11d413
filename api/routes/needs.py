"""``/needs``: buyers' component requirements.

Staff write; staff and analysts see everything; a firm key sees only the needs it is suggested
for (:func:`api.ranking.needs_for_firm`), without the buyer's confidential fields (``target_price_usd``, ``internal_notes``): a separate schema,
:class:`~api.schemas.NeedPublic`, that does not have them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.auth import Principal
from api.deps import PrincipalDep, RankingDep, SessionDep, StaffDep
from api.ranking import needs_for_firm
from api.schemas import (
    IdQuery,
    NeedCreate,
    NeedIdPath,
    NeedPrivate,
    NeedPublic,
    NeedsPrivate,
    NeedsPublic,
    NeedUpdate,
)
from api.storage import repository as repo
from api.storage.errors import NotFoundError
from api.storage.models import Need

__all__ = ["router"]

router = APIRouter(prefix="/needs", tags=["needs"])

_ERRORS = {401: {"description": "Missing or unknown key"}, 403: {"description": "Role may not"}}


def _public(need: Need, principal: Principal) -> NeedPrivate | NeedPublic:
    if principal.role == "firm":
        fields = NeedPublic.model_fields
        return NeedPublic.model_validate({name: getattr(need, name) for name in fields})
    return NeedPrivate.model_validate(need)


@router.get("", response_model=NeedsPrivate | NeedsPublic, responses=_ERRORS)
def list_needs(
    session: SessionDep,
    principal: PrincipalDep,
    ranking: RankingDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    buyer_id: IdQuery = None,
    sector: Annotated[str | None, Query(max_length=60)] = None,
    process: Annotated[str | None, Query(max_length=60)] = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(open|closed)$")] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> NeedsPrivate | NeedsPublic:
    """List needs; firm keys get the needs they are suggested for, without confidential fields."""
    if principal.role == "firm":
        visible = needs_for_firm(session, ranking, principal.firm_id)
        needs, _ = repo.list_needs(
            session, buyer_id=buyer_id, sector=sector, process=process, status=status_, q=q,
            limit=10_000_000, offset=0,
        )  # fmt: skip
        needs = [n for n in needs if n.need_id in visible]
        page = needs[offset : offset + limit]
        return NeedsPublic(data=[_public(n, principal) for n in page], count=len(needs))
    needs, count = repo.list_needs(
        session, buyer_id=buyer_id, sector=sector, process=process, status=status_, q=q,
        limit=limit, offset=offset,
    )  # fmt: skip
    return NeedsPrivate(data=[_public(n, principal) for n in needs], count=count)


@router.post("", response_model=NeedPrivate, status_code=status.HTTP_201_CREATED, responses=_ERRORS | {404: {"description": "No such buyer"}, 409: {"description": "Id taken"}})  # fmt: skip
def create_need(body: NeedCreate, session: SessionDep, principal: StaffDep) -> NeedPrivate:
    """Create a need of an existing buyer (staff).

    Sector, processes, materials and certifications must be codes or aliases the matcher
    knows (422 naming the field otherwise), so that every stored need can be ranked.
    """
    return NeedPrivate.model_validate(repo.create_need(session, body.model_dump(), principal.actor))


@router.get("/{need_id}", response_model=NeedPrivate | NeedPublic, responses=_ERRORS | {404: {"description": "No such need"}})  # fmt: skip
def read_need(
    need_id: NeedIdPath, session: SessionDep, principal: PrincipalDep, ranking: RankingDep
) -> NeedPrivate | NeedPublic:
    """One need; firm keys get it without confidential fields, if they are suggested for it."""
    if principal.role == "firm" and need_id not in needs_for_firm(session, ranking, principal.firm_id):
        # Checked before looking the need up, with the same message as a missing need: a
        # hidden need and a missing one cost the same queries and answer the same 404.
        raise NotFoundError(repo.not_found_message("Need", need_id))
    return _public(repo.get_need(session, need_id), principal)


@router.patch("/{need_id}", response_model=NeedPrivate, responses=_ERRORS | {404: {"description": "No such need or buyer"}})  # fmt: skip
def update_need(need_id: NeedIdPath, body: NeedUpdate, session: SessionDep, principal: StaffDep) -> NeedPrivate:
    """Change a need (staff); code fields are checked as on create (422 naming the field)."""
    need = repo.get_need(session, need_id)
    values = {k: v for k, v in body.model_dump(exclude_unset=True).items()
              if not (k in ("title", "status", "is_demo") and v is None)}  # fmt: skip
    repo.update_need(session, need, values, principal.actor)
    return NeedPrivate.model_validate(need)


@router.delete("/{need_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS | {404: {"description": "No such need"}, 409: {"description": "The need has match history; close it instead"}})  # fmt: skip
def delete_need(need_id: NeedIdPath, session: SessionDep, principal: StaffDep) -> Response:
    """Delete a need without match history (staff); one with shortlists or outcomes answers 409."""
    repo.delete_need(session, repo.get_need(session, need_id), principal.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
