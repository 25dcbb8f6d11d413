"""``/firms``: local suppliers' profiles.

Staff do everything; analysts read; a firm key reads and edits only its own profile (another
firm answers 404) and may not set a certificate's ``verified`` flag (403).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.auth import Principal
from api.deps import PrincipalDep, SessionDep, StaffDep
from api.schemas import (
    CertificationIn,
    FirmCreate,
    FirmIdPath,
    FirmPublic,
    FirmsPublic,
    FirmUpdate,
)
from api.storage import repository as repo
from api.storage.errors import NotFoundError, PermissionDeniedError
from api.storage.models import Firm

__all__ = ["router"]

router = APIRouter(prefix="/firms", tags=["firms"])

_ERRORS = {401: {"description": "Missing or unknown key"}, 403: {"description": "Role may not"}}


def _visible_firm(session, principal: Principal, firm_id: str) -> Firm:
    # A firm key gets the same 404 for another firm as for a missing one: no data, no hint.
    if principal.role == "firm" and principal.firm_id != firm_id:
        raise NotFoundError(repo.not_found_message("Firm", firm_id), vi=repo.not_found_message_vi("Firm", firm_id))
    return repo.get_firm(session, firm_id)


@router.get("", response_model=FirmsPublic, responses=_ERRORS | {422: {"description": "Unknown sector, process or certification"}})
def list_firms(
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    sector: Annotated[str | None, Query(max_length=60, description="Sector code or alias (điện tử)")] = None,
    process: Annotated[str | None, Query(max_length=60, description="Process code or alias (ép nhựa)")] = None,
    certification: Annotated[
        str | None, Query(max_length=60, description="Certification valid today (iso_9001, ISO 9001)")
    ] = None,
    district: Annotated[str | None, Query(max_length=120)] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Words, with or without diacritics")
    ] = None,
) -> FirmsPublic:
    """List firms, filtered and paginated; a firm key lists only itself."""
    firms, count = repo.list_firms(
        session,
        sector=sector,
        process=process,
        certification=certification,
        district=district,
        q=q,
        firm_id=principal.firm_id if principal.role == "firm" else None,
        limit=limit,
        offset=offset,
    )
    return FirmsPublic(data=[FirmPublic.model_validate(f) for f in firms], count=count)


@router.post("", response_model=FirmPublic, status_code=status.HTTP_201_CREATED, responses=_ERRORS | {409: {"description": "Id or tax code taken"}})  # fmt: skip
def create_firm(body: FirmCreate, session: SessionDep, principal: StaffDep) -> FirmPublic:
    """Create a firm (staff)."""
    values = body.model_dump(exclude={"certifications"})
    certs = [c.model_dump() for c in body.certifications]
    firm = repo.create_firm(session, values, certs, principal.actor)
    return FirmPublic.model_validate(firm)


@router.get("/{firm_id}", response_model=FirmPublic, responses=_ERRORS | {404: {"description": "No such firm"}})  # fmt: skip
def read_firm(firm_id: FirmIdPath, session: SessionDep, principal: PrincipalDep) -> FirmPublic:
    """One firm's profile."""
    return FirmPublic.model_validate(_visible_firm(session, principal, firm_id))


def _firm_certifications(
    firm: Firm, submitted: list[CertificationIn], principal: Principal
) -> list[dict]:
    """Certificates a firm submits: it may not verify them; unchanged ones keep their flag."""
    verified = {
        repo.certification_tuple(c)[:-2]: c.verified for c in firm.certifications
    }  # key without (verified, raw)
    out = []
    for cert in submitted:
        values = cert.model_dump()
        key = tuple(values[name] for name in repo.CERTIFICATION_FIELDS)[:-2]
        if principal.role == "firm" and "verified" in cert.model_fields_set:
            if values["verified"] and not verified.get(key, False):
                raise PermissionDeniedError(
                    f"Only staff verify certificates: {values['code']} cannot be marked "
                    "verified by the firm. Leave 'verified' out; staff will check it."
                )
        if principal.role == "firm":
            values["verified"] = verified.get(key, False)
        out.append(values)
    return out


@router.patch("/{firm_id}", response_model=FirmPublic, responses=_ERRORS | {404: {"description": "No such firm"}, 409: {"description": "Tax code taken"}})  # fmt: skip
def update_firm(
    firm_id: FirmIdPath, body: FirmUpdate, session: SessionDep, principal: PrincipalDep
) -> FirmPublic:
    """Change a firm: staff any, a firm key its own (not the ``verified`` flags)."""
    if principal.role == "analyst":
        raise PermissionDeniedError("Analysts read only; ask staff to change firm records.")
    firm = _visible_firm(session, principal, firm_id)
    values = body.model_dump(exclude_unset=True, exclude={"certifications"})
    if "name" in values and values["name"] is None:
        values.pop("name")
    if "is_demo" in values and values["is_demo"] is None:
        values.pop("is_demo")
    certs = None
    if body.certifications is not None:
        certs = _firm_certifications(firm, body.certifications, principal)
    repo.update_firm(session, firm, values, certs, principal.actor)
    return FirmPublic.model_validate(firm)


@router.delete("/{firm_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS | {404: {"description": "No such firm"}, 409: {"description": "The firm has match history"}})  # fmt: skip
def delete_firm(firm_id: FirmIdPath, session: SessionDep, principal: StaffDep) -> Response:
    """Delete a firm with its certificates (staff); refused (409) once it has match history."""
    repo.delete_firm(session, repo.get_firm(session, firm_id), principal.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
