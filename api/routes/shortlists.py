"""``/needs/{need_id}/shortlist``: a need's ranked, explained shortlist, computed and stored.

``POST`` (staff) ranks the firms with the matcher fitted on the database (cached, refitted
only when firms or buyers changed: :mod:`api.ranking`), re-ordered by the active re-ranker
version when there is a usable one (``cnht models``; the run's ``model_version`` then ends
in ``+rerank:VERSION`` and each entry adds ``rerank_score`` and ``matcher_rank``), stores the result as a new *run*
(its entries with their score, components, reasons and model version), and records each
new (need, firm) pair's first outcome ``suggested``. ``GET`` (staff, analysts) reads the
latest run, even when it is empty (filters that matched no firm).

Runs are never deleted or overwritten: every ``entry_id`` ever returned keeps naming the same
(need, firm) pair, and ``PATCH /shortlists/{entry_id}/outcome`` keeps working on an older
run's entries (the status belongs to the pair, not to the run).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import RankingDep, ReaderDep, SessionDep, StaffDep, reading
from api.ranking import (
    FittedMatcher,
    RankingError,
    parse_stored_need,
    ranked_entries,
    reason_records,
    shortlist_model_version,
)
from api.schemas import NeedIdPath, ShortlistEntryResult, ShortlistPublic, ShortlistRequest
from api.storage import repository as repo
from api.storage.errors import NotFoundError
from api.storage.models import Firm, ShortlistEntry, ShortlistRun
from features.text import fold
from matching.need_facts import understood

__all__ = ["router", "read_shortlist", "excluded_firms"]

router = APIRouter(prefix="/needs", tags=["shortlists"])

_ERRORS = {
    401: {"description": "Missing or unknown key"},
    403: {"description": "Role may not"},
    404: {"description": "No such need, or no stored shortlist"},
    422: {"description": "Invalid body, or the need cannot be ranked"},
}


def _like(text: str) -> str:
    escaped = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def excluded_firms(session: Session, fitted: FittedMatcher, body: ShortlistRequest) -> list[str]:
    """Firm ids the filters keep off the list: ``exclude_firms`` and those outside sector/district.

    Parameters
    ----------
    session : Session
    fitted : FittedMatcher
    body : ShortlistRequest

    Returns
    -------
    list of str

    Raises
    ------
    RankingError
        The sector filter is neither a sector code nor an alias.
    """
    from features.taxonomy import load_taxonomy

    filters = body.filters
    excluded = set(filters.exclude_firms)
    all_firms = {str(f) for f in fitted.matcher.firm_ids_}
    if filters.sector:
        taxonomy = load_taxonomy()
        code = taxonomy.resolve(filters.sector, "sector")
        if code is None:
            examples = ", ".join(t.code for t in taxonomy.terms("sector")[:4])
            raise RankingError(
                f"Filter 'sector': expected a sector code or alias (e.g. {examples}), got "
                f"{filters.sector!r}. Fix the spelling or leave the filter out."
            )
        sectors = fitted.matcher.profiles_["sectors"]
        excluded |= {str(fid) for fid, codes in sectors.items() if code not in (codes or ())}
    if filters.district:
        inside = set(session.scalars(
            select(Firm.firm_id).where(Firm.district_folded.like(_like(filters.district), escape="\\"))
        ))  # fmt: skip
        excluded |= all_firms - inside
    return sorted(excluded & all_firms) + sorted(excluded - all_firms)


def read_shortlist(session: Session, need_id: str, run_id: int | None = None) -> ShortlistPublic:
    """A stored shortlist run of ``need_id``: the latest, or run ``run_id`` (an earlier one).

    Raises
    ------
    NotFoundError
        The need does not exist, has no stored shortlist, or no run ``run_id``.
    """
    need = repo.get_need(session, need_id)
    runs = select(ShortlistRun).where(ShortlistRun.need_id == need_id)
    if run_id is not None:
        run = session.scalar(runs.where(ShortlistRun.id == run_id))
        if run is None:
            raise NotFoundError(f"Need {need_id} has no shortlist run {run_id}.")
    else:
        run = session.scalar(runs.order_by(ShortlistRun.id.desc()).limit(1))
    if run is None:
        raise NotFoundError(
            f"Need {need_id} has no stored shortlist yet. Compute one with "
            f"POST /api/v1/needs/{need_id}/shortlist (staff)."
        )
    entries = list(session.scalars(
        select(ShortlistEntry).where(ShortlistEntry.run_id == run.id)
        .order_by(ShortlistEntry.rank, ShortlistEntry.id)
    ))  # fmt: skip
    firm_ids = [e.firm_id for e in entries]
    names = {fid: name for fid, name in session.execute(
        select(Firm.firm_id, Firm.name).where(Firm.firm_id.in_(firm_ids)))}  # fmt: skip
    statuses = repo.latest_statuses(session, need_id, firm_ids)
    rerank = (run.parameters or {}).get("rerank") or {}
    rerank_scores, matcher_ranks = rerank.get("scores") or {}, rerank.get("matcher_ranks") or {}
    data = [
        ShortlistEntryResult(
            entry_id=e.id, run_id=e.run_id, need_id=e.need_id, rank=e.rank, firm_id=e.firm_id,
            firm_name=names.get(e.firm_id, ""), score=e.score,
            components={name: float(value) for name, value in (e.components or {}).items()},
            reasons=reason_records(e.reasons or []), model_version=e.model_version,
            created_at=e.created_at, status=statuses[e.firm_id],
            rerank_score=rerank_scores.get(e.firm_id), matcher_rank=matcher_ranks.get(e.firm_id),
        )
        for e in entries
    ]  # fmt: skip
    try:  # what was understood of the need as it stands now
        understood_now = understood(parse_stored_need(need))
    except RankingError:
        understood_now = None
    return ShortlistPublic(need_id=need_id, run_id=run.id, model_version=run.model_version,
                           created_at=run.created_at, data=data, count=len(data),
                           understood=understood_now)  # fmt: skip


@router.post("/{need_id}/shortlist", response_model=ShortlistPublic, responses=_ERRORS)
def create_shortlist(
    need_id: NeedIdPath,
    body: ShortlistRequest,
    session: SessionDep,
    ranking: RankingDep,
    principal: StaffDep,
) -> ShortlistPublic:
    """Rank the firms for a stored need, store the shortlist as a new run and return it (staff).

    Earlier runs stay stored (their entry ids keep working); the new run is what
    ``GET`` returns from now on. A pair already on its way (contacted, meeting...) keeps its
    status, a new pair starts at ``suggested``.
    """
    # Rank in a read-only transaction: a refit must not hold the database's write lock.
    with reading(session) as reader:
        need = repo.get_need(reader, need_id)
        fitted = ranking.get(reader)
        query = parse_stored_need(need, exclude_firms=excluded_firms(reader, fitted, body))
        reranker = ranking.reranker(reader)
    with ranking.slot():
        ranked = ranked_entries(fitted, query, body.k, diversity=body.diversity, reranker=reranker)
    repo.get_need(session, need_id)  # still there
    created = dt.datetime.now(dt.UTC)
    model_version = shortlist_model_version(fitted, reranker, ranked)
    parameters = {"diversity": body.diversity, "filters": body.filters.model_dump()}
    if reranker is not None and reranker.weights is not None and model_version != fitted.model_version:
        parameters["weights"] = {"version": reranker.version, "matcher_version": fitted.model_version,
                                 "weights": reranker.weights}  # fmt: skip
    elif model_version != fitted.model_version:
        parameters["rerank"] = {
            "version": reranker.version, "matcher_version": fitted.model_version,
            "scores": {r["firm_id"]: r["rerank_score"] for r in ranked},
            "matcher_ranks": {r["firm_id"]: r["matcher_rank"] for r in ranked},
        }  # fmt: skip
    run = ShortlistRun(need_id=need_id, model_version=model_version, k=body.k, parameters=parameters,
                       by=principal.actor, created_at=created)  # fmt: skip
    session.add(run)
    session.flush()
    entries = [
        ShortlistEntry(run_id=run.id, need_id=need_id, firm_id=r["firm_id"], rank=r["rank"],
                       score=r["score"], components=r["components"], reasons=r["reasons"],
                       model_version=model_version, created_at=created)
        for r in ranked
    ]  # fmt: skip
    session.add_all(entries)
    session.flush()
    repo.suggest_pairs(session, need_id, [(entry.firm_id, entry.id) for entry in entries], by=principal.actor)
    repo.audit(session, principal.actor, "create", "shortlist", need_id, None,
               {"run_id": run.id, "model_version": model_version, "k": body.k,
                "diversity": body.diversity, "filters": body.filters.model_dump(),
                "firms": [r["firm_id"] for r in ranked]})  # fmt: skip
    # Stored: end the write here (SQLite: the write lock is held no longer than the writes)
    # and read the answer back in a read-only transaction.
    session.commit()
    with reading(session) as reader:
        return read_shortlist(reader, need_id)


@router.get("/{need_id}/shortlist", response_model=ShortlistPublic, responses=_ERRORS)
def get_shortlist(
    need_id: NeedIdPath,
    session: SessionDep,
    principal: ReaderDep,
    run_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="An earlier run of the need (default: the latest); "
                                                          "each POST creates a run")] = None,
) -> ShortlistPublic:
    """The latest stored shortlist of a need, or an earlier run of it (staff, analysts)."""
    return read_shortlist(session, need_id, run_id)
