"""``/buyers``: plants that need components.

Staff write; staff and analysts read every buyer; a firm key reads only the buyers of the
needs it is suggested for (:func:`api.ranking.needs_for_firm`); another buyer answers 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import select

from api.auth import Principal
from api.deps import PrincipalDep, RankingDep, SessionDep, StaffDep
from api.ranking import MatcherCache, needs_for_firm
from api.schemas import BuyerCreate, BuyerIdPath, BuyerPublic, BuyersPublic, BuyerUpdate
from api.storage import repository as repo
from api.storage.errors import NotFoundError
from api.storage.models import Need

__all__ = ["router"]

router = APIRouter(prefix="/buyers", tags=["buyers"])

_ERRORS = {401: {"description": "Missing or unknown key"}, 403: {"description": "Role may not"}}


def _visible_buyers(session, ranking: MatcherCache, principal: Principal) -> set[str] | None:
    """Buyer ids a firm key may see (None: every buyer, for staff and analysts)."""
    if principal.role != "firm":
        return None
    need_ids = needs_for_firm(session, ranking, principal.firm_id)
    if not need_ids:
        return set()
    return set(session.scalars(select(Need.buyer_id).where(Need.need_id.in_(sorted(need_ids)))))


@router.get("", response_model=BuyersPublic, responses=_ERRORS)
def list_buyers(
    session: SessionDep,
    principal: PrincipalDep,
    ranking: RankingDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    sector: Annotated[str | None, Query(max_length=60)] = None,
    country: Annotated[str | None, Query(max_length=8)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> BuyersPublic:
    """List buyers, filtered and paginated; a firm key lists the buyers of its suggested needs."""
    visible = _visible_buyers(session, ranking, principal)
    if visible is not None:
        buyers, _ = repo.list_buyers(session, sector=sector, country=country, q=q,
                                     limit=10_000_000, offset=0)  # fmt: skip
        buyers = [b for b in buyers if b.buyer_id in visible]
        page = buyers[offset : offset + limit]
        return BuyersPublic(data=[BuyerPublic.model_validate(b) for b in page], count=len(buyers))
    buyers, count = repo.list_buyers(
        session, sector=sector, country=country, q=q, limit=limit, offset=offset
    )
    return BuyersPublic(data=[BuyerPublic.model_validate(b) for b in buyers], count=count)


@router.post("", response_model=BuyerPublic, status_code=status.HTTP_201_CREATED, responses=_ERRORS | {409: {"description": "Id taken"}})  # fmt: skip
def create_buyer(body: BuyerCreate, session: SessionDep, principal: StaffDep) -> BuyerPublic:
    """Create a buyer (staff)."""
    return BuyerPublic.model_validate(repo.create_buyer(session, body.model_dump(), principal.actor))


@router.get("/{buyer_id}", response_model=BuyerPublic, responses=_ERRORS | {404: {"description": "No such buyer"}})  # fmt: skip
def read_buyer(
    buyer_id: BuyerIdPath, session: SessionDep, principal: PrincipalDep, ranking: RankingDep
) -> BuyerPublic:
    """One buyer; a firm key only a buyer of a need it is suggested for."""
    visible = _visible_buyers(session, ranking, principal)
    if visible is not None and buyer_id not in visible:  # same answer as a missing buyer
        raise NotFoundError(repo.not_found_message("Buyer", buyer_id), vi=repo.not_found_message_vi("Buyer", buyer_id))
    return BuyerPublic.model_validate(repo.get_buyer(session, buyer_id))


@router.patch("/{buyer_id}", response_model=BuyerPublic, responses=_ERRORS | {404: {"description": "No such buyer"}})  # fmt: skip
def update_buyer(
    buyer_id: BuyerIdPath, body: BuyerUpdate, session: SessionDep, principal: StaffDep
) -> BuyerPublic:
    """Change a buyer (staff)."""
    buyer = repo.get_buyer(session, buyer_id)
    values = {k: v for k, v in body.model_dump(exclude_unset=True).items()
              if not (k in ("name", "is_demo") and v is None)}  # fmt: skip
    repo.update_buyer(session, buyer, values, principal.actor)
    return BuyerPublic.model_validate(buyer)


@router.delete("/{buyer_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS | {404: {"description": "No such buyer"}, 409: {"description": "Buyer has needs"}})  # fmt: skip
def delete_buyer(buyer_id: BuyerIdPath, session: SessionDep, principal: StaffDep) -> Response:
    """Delete a buyer without needs (staff)."""
    repo.delete_buyer(session, repo.get_buyer(session, buyer_id), principal.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
