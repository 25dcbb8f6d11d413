"""``/needs``: buyers' component requirements; ``/needs/{need_id}/interest(s)``: firms that say
they are interested in one.

Staff write; staff and analysts see everything; a firm key sees only the needs it is suggested
for (:func:`api.ranking.needs_for_firm`), without the buyer's confidential fields (``target_price_usd``, ``internal_notes``): a separate schema,
:class:`~api.schemas.NeedPublic`, that does not have them.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import PrincipalDep, RankingDep, ReaderDep, SessionDep, StaffDep
from api.ranking import MatcherCache, needs_for_firm
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
from api.schemas_interests import InterestCreate, InterestPublic, InterestsPublic
from api.storage import repository as repo
from api.storage.errors import NotFoundError, PermissionDeniedError
from api.storage.interests import interests_of_firm, interests_of_need, record_interest
from api.storage.models import Need

__all__ = ["router", "check_interest_allowed"]

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
        raise NotFoundError(repo.not_found_message("Need", need_id), vi=repo.not_found_message_vi("Need", need_id))
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


def check_interest_allowed(session: Session, ranking: MatcherCache, firm_id: str, need_id: str) -> None:
    """Refuse (404, as for a missing need) a need the firm may not say it is interested in.

    Only an open need the firm may read (:func:`api.ranking.needs_for_firm`). The firm's
    needs are looked up first, then the need, in the same order whatever the answer, so
    neither the words nor the time tell a hidden need from a missing one.

    Raises
    ------
    NotFoundError
    """
    fitting = needs_for_firm(session, ranking, firm_id)
    need = session.scalar(select(Need).where(Need.need_id == need_id))
    if need is None or need.status != "open" or need_id not in fitting:
        raise NotFoundError(repo.not_found_message("Need", need_id), vi=repo.not_found_message_vi("Need", need_id))


@router.post("/{need_id}/interest", response_model=InterestPublic, status_code=status.HTTP_201_CREATED,
             responses=_ERRORS | {200: {"description": "Said before: the first interest, unchanged"},
                                  404: {"description": "No such need, or not one open to this firm"}})  # fmt: skip
def say_interested(
    need_id: NeedIdPath,
    session: SessionDep,
    principal: PrincipalDep,
    ranking: RankingDep,
    response: Response,
    body: InterestCreate | None = None,
) -> InterestPublic:
    """A firm key says its firm is interested in an open need it fits (201); saying it again
    changes nothing and answers the first (200). Staff see it with ``GET /needs/{need_id}/interests``."""
    if principal.role != "firm" or not principal.firm_id:
        raise PermissionDeniedError(
            f"Only a firm key says its firm is interested; this key has role {principal.role!r}. "
            "Sign in with the firm's key (staff: the firm's page shows its interests)."
        )
    check_interest_allowed(session, ranking, principal.firm_id, need_id)
    if need_id in interests_of_firm(session, principal.firm_id):
        response.status_code = status.HTTP_200_OK
    note = body.note if body is not None else None
    return InterestPublic(**asdict(record_interest(session, need_id, principal.firm_id, note, principal.actor)))


@router.get("/{need_id}/interests", response_model=InterestsPublic, responses=_ERRORS | {404: {"description": "No such need"}})  # fmt: skip
def list_interests(need_id: NeedIdPath, session: SessionDep, principal: ReaderDep) -> InterestsPublic:
    """The firms that said they are interested in a need, first said first (staff and analysts)."""
    repo.get_need(session, need_id)
    data = [InterestPublic(**asdict(interest)) for interest in interests_of_need(session, need_id)]
    return InterestsPublic(data=data, count=len(data))
