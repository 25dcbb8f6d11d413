"""``/firms/{firm_id}/suggestions`` and ``/firms/{firm_id}/upgrades``: the firm's side of matching.

Suggestions are the open needs a firm fits (it passes their hard constraints), best first,
with the score, the reasons and what the firm still lacks (gaps), in Vietnamese and English.
"Open" is :func:`matching.need_state.need_state`, the rule of ``cnht suggest``: closed and
past-deadline needs (Hanoi day) are left out unless ``?all=true`` asks for them, and then
each suggestion says its ``state``.
Upgrades are the single changes (a certification, a process, a material, more capacity)
that would put the firm on the most shortlists. Neither shows a buyer's confidential fields.
Staff and analysts see any firm; a firm key only its own (another firm answers 404).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.auth import Principal
from api.deps import PrincipalDep, RankingDep, SessionDep
from api.ranking import (
    FIRM_VISIBLE_NEEDS,
    MatcherCache,
    RankingError,
    parse_stored_need,
    reason_records,
)
from api.schemas import (
    FirmIdPath,
    GapPublic,
    SuggestionPublic,
    SuggestionsPublic,
    UpgradePublic,
    UpgradesPublic,
)
from api.storage import repository as repo
from api.storage.errors import NotFoundError
from api.storage.models import Need
from features import clock
from features.exceptions import CnhtError
from matching.need_state import need_state
from matching.needs import NeedQuery

__all__ = ["router", "suggestable_needs"]

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/firms", tags=["suggestions"])

_ERRORS = {
    401: {"description": "Missing or unknown key"},
    404: {"description": "No such firm (or another firm's, for a firm key)"},
}


def suggestable_needs(
    session, ranking: MatcherCache, *, include_all: bool = False
) -> tuple[list[NeedQuery], dict[str, str]]:
    """The needs to suggest from, parsed, and each one's state (``open``/``closed``/``past_deadline``).

    Open needs only unless ``include_all``; the state is :func:`matching.need_state.need_state`
    on today's Hanoi date. Needs with status ``open`` come parsed from the ranking cache; closed
    ones are parsed here, only when asked for (a need that does not parse is logged and skipped,
    like in :meth:`api.ranking.MatcherCache.open_needs`).
    """
    today = clock.today()
    rows = session.execute(select(Need.need_id, Need.status, Need.deadline)).all()
    states = {need_id: need_state(status, deadline, today=today, need_id=need_id)
              for need_id, status, deadline in rows}  # fmt: skip
    queries = [q for q in ranking.open_needs(session)
               if include_all or states.get(q.need_id) == "open"]  # fmt: skip
    if include_all:
        for need in session.scalars(
            select(Need).where(Need.status != "open").order_by(Need.need_id)
        ):
            try:
                queries.append(parse_stored_need(need))
            except RankingError as exc:
                logger.warning("%s", exc)
    return queries, states


def _check_visible(session, principal: Principal, firm_id: str) -> None:
    # A firm key gets the same 404 for another firm as for a missing one: no data, no hint.
    if principal.role == "firm" and principal.firm_id != firm_id:
        raise NotFoundError(repo.not_found_message("Firm", firm_id), vi=repo.not_found_message_vi("Firm", firm_id))
    repo.get_firm(session, firm_id)


@router.get("/{firm_id}/suggestions", response_model=SuggestionsPublic, responses=_ERRORS)
def suggestions(
    firm_id: FirmIdPath,
    session: SessionDep,
    ranking: RankingDep,
    principal: PrincipalDep,
    k: Annotated[int, Query(ge=1, le=100, description="Needs to list")] = 10,
    include_all: Annotated[
        bool,
        Query(
            alias="all",
            description=("Also closed and past-deadline needs, each marked by its state"),
        ),
    ] = False,
) -> SuggestionsPublic:
    """The open needs a firm fits best, with score, reasons and gaps (vi/en).

    ``?all=true`` adds closed and past-deadline needs; ``state`` says which each one is.

    A firm key gets at most ``FIRM_VISIBLE_NEEDS`` (20): the needs it may read
    (:func:`api.ranking.needs_for_firm`).
    """
    _check_visible(session, principal, firm_id)
    if principal.role == "firm":
        k = min(k, FIRM_VISIBLE_NEEDS)
    fitted = ranking.get(session)
    queries, states = suggestable_needs(session, ranking, include_all=include_all)
    matcher = fitted.matcher
    with ranking.slot():
        try:
            suggested = matcher.suggest_needs(firm_id, needs=queries, k=k)
            by_id = {q.need_id: q for q in queries}
            needs = {n.need_id: n for n in session.scalars(
                select(Need).where(Need.need_id.in_(suggested["need_id"].tolist())))}  # fmt: skip
            data = []
            for row in suggested.to_dict("records"):
                query, need = by_id[row["need_id"]], needs[row["need_id"]]
                explanation = matcher.explain(query, firm_id)
                data.append(SuggestionPublic(
                    rank=int(row["rank"]), need_id=need.need_id, state=states[need.need_id],
                    buyer_id=need.buyer_id,
                    title=need.title, sector=need.sector, deadline=need.deadline,
                    score=float(row["score"]),
                    components={name: float(row[name]) for name in matcher.weights_},
                    reasons=reason_records(explanation.reasons),
                    gaps=[GapPublic(component=g.component, vi=g.vi, en=g.en, blocking=g.blocking)
                          for g in matcher.gaps(firm_id, query)],
                ))  # fmt: skip
        except CnhtError as exc:
            raise RankingError(f"Suggestions for firm {firm_id} failed: {exc}") from exc
    return SuggestionsPublic(firm_id=firm_id, model_version=fitted.model_version, data=data,
                             count=len(data))  # fmt: skip


@router.get("/{firm_id}/upgrades", response_model=UpgradesPublic, responses=_ERRORS)
def upgrades(
    firm_id: FirmIdPath,
    session: SessionDep,
    ranking: RankingDep,
    principal: PrincipalDep,
    top: Annotated[int, Query(ge=1, le=20, description="Upgrades to list")] = 5,
    k: Annotated[int, Query(ge=1, le=100, description="Shortlist length that counts")] = 10,
) -> UpgradesPublic:
    """Single changes that would put the firm on the most shortlists of open needs."""
    _check_visible(session, principal, firm_id)
    fitted = ranking.get(session)
    queries, _ = suggestable_needs(session, ranking)
    try:
        with ranking.slot():
            frame = fitted.matcher.best_upgrades(firm_id, needs=queries, top=top, k=k)
    except CnhtError as exc:
        raise RankingError(f"Upgrades for firm {firm_id} failed: {exc}") from exc
    data = [UpgradePublic(kind=r["kind"], code=str(r["code"]), label_vi=r["label_vi"],
                          label_en=r["label_en"], new_shortlists=int(r["new_shortlists"]),
                          needs=[str(n) for n in r["needs"]])
            for r in frame.to_dict("records")]  # fmt: skip
    return UpgradesPublic(firm_id=firm_id, model_version=fitted.model_version, k=k, data=data,
                          count=len(data))  # fmt: skip
