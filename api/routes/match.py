"""``POST /match``: rank the firms for an ad-hoc need given in the body; nothing is stored."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import RankingDep, ReaderDep, SessionDep, reading
from api.ranking import RankingError, ranked_entries
from api.schemas import MatchEntryPublic, MatchPublic, MatchRequest
from features.exceptions import CnhtError
from matching import parse_need
from matching.need_facts import understood

__all__ = ["router"]

router = APIRouter(prefix="/match", tags=["match"])

_ERRORS = {
    401: {"description": "Missing or unknown key"},
    403: {"description": "Role may not"},
    422: {"description": "Invalid body, or the need cannot be ranked"},
}


@router.post("", response_model=MatchPublic, responses=_ERRORS)
def match(body: MatchRequest, session: SessionDep, ranking: RankingDep, principal: ReaderDep) -> MatchPublic:
    """Rank the firms for a need typed in the body: free text and/or structured fields (staff, analysts).

    Structured fields take taxonomy codes or aliases, with or without diacritics
    (``"ép nhựa; injection_moulding"``); certifications as written (``"ISO 9001; IATF 16949"``).
    """
    fields = body.model_dump(exclude={"k"}, exclude_none=True)
    try:
        query = parse_need({"need_id": "adhoc", **fields})
    except CnhtError as exc:
        raise RankingError(f"{exc}") from exc
    with reading(session) as reader:
        fitted = ranking.get(reader)
    with ranking.slot():
        ranked = ranked_entries(fitted, query, body.k)
    return MatchPublic(
        model_version=fitted.model_version,
        sector_codes=list(query.sectors),
        process_codes=list(query.processes),
        material_codes=list(query.materials),
        mandatory_certifications=list(query.mandatory_certifications),
        preferred_certifications=list(query.preferred_certifications),
        data=[MatchEntryPublic(**r) for r in ranked],
        count=len(ranked),
        understood=understood(query),
    )
