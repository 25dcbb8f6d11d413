"""Recording and listing the outcomes of (need, firm) pairs, one pair at a time under its lock.

The state machine the moves are checked by is :mod:`api.storage.outcomes`.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import case, distinct, func, select, text
from sqlalchemy.orm import Session

from api.storage.models import Firm, Outcome
from api.storage.outcomes import (
    CONNECTED_STATUSES,
    OUTCOME_IMPORT_LOCK_ID,
    RECORDED_ORDER,
    check_transition,
)
from api.storage.repository.audit_log import audit, snapshot
from api.storage.repository.firms import get_firm
from api.storage.repository.needs import get_need
from api.storage.repository.queries import _page
from features.columns import OUTCOME_PATH

__all__ = [
    "latest_status",
    "latest_statuses",
    "lock_pair",
    "record_outcome",
    "suggest_pair",
    "suggest_pairs",
    "list_outcomes",
    "outcome_funnel",
]


def latest_status(session: Session, need_id: str, firm_id: str) -> str | None:
    """The pair's status: that of its last recorded event, None when nothing was recorded.

    Events are ordered by when they were recorded (:data:`api.storage.outcomes.RECORDED_ORDER`),
    not by the time they claim (``at``): an event dated in the future must not hide the moves
    recorded after it.
    """
    return session.scalar(
        select(Outcome.status)
        .where(Outcome.need_id == need_id, Outcome.firm_id == firm_id)
        .order_by(*(column.desc() for column in RECORDED_ORDER))
        .limit(1)
    )


def latest_statuses(session: Session, need_id: str, firm_ids: list[str]) -> dict[str, str | None]:
    """:func:`latest_status` of the need with each of ``firm_ids``, in one query (a shortlist's rows)."""
    out: dict[str, str | None] = dict.fromkeys(firm_ids)
    if not firm_ids:
        return out
    rows = session.execute(
        select(Outcome.firm_id, Outcome.status)
        .where(Outcome.need_id == need_id, Outcome.firm_id.in_(set(firm_ids)))
        .order_by(*(column.desc() for column in RECORDED_ORDER))
    )  # fmt: skip
    seen: set[str] = set()
    for firm_id, status in rows:
        if firm_id not in seen:  # the first row of each firm is its last recorded event
            seen.add(firm_id)
            out[firm_id] = status
    return out


def lock_pair(session: Session, need_id: str, firm_id: str) -> None:
    """Hold the (need, firm) pair's lock until the transaction ends.

    PostgreSQL: a transaction-level advisory lock keyed by the pair, so two requests moving
    the same pair run one after the other and the second sees the first's status (read
    committed: each statement sees what committed before it). SQLite already serialises
    writers (``BEGIN IMMEDIATE``), so nothing is needed there.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    # Shared against an outcomes import, which holds it exclusively while it checks its
    # rows against the history it loaded (api.storage.imports).
    session.execute(text("select pg_advisory_xact_lock_shared(:key)"),
                    {"key": OUTCOME_IMPORT_LOCK_ID})  # fmt: skip
    digest = hashlib.sha256(f"outcome\x1f{need_id}\x1f{firm_id}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    session.execute(text("select pg_advisory_xact_lock(:key)"), {"key": key})


def record_outcome(
    session: Session,
    need_id: str,
    firm_id: str,
    status: str,
    *,
    reason: str | None,
    by: str,
    at: dt.datetime | None = None,
    shortlist_entry_id: int | None = None,
) -> Outcome:
    """Record the next status of a (need, firm) pair, checked by the state machine.

    Raises
    ------
    NotFoundError
        The need or the firm does not exist.
    IllegalTransitionError
        ``status`` cannot follow the pair's latest status (``.allowed`` says what can).
    """
    get_need(session, need_id)
    get_firm(session, firm_id)
    lock_pair(session, need_id, firm_id)
    check_transition(latest_status(session, need_id, firm_id), status, reason)
    outcome = Outcome(
        need_id=need_id,
        firm_id=firm_id,
        status=status,
        reason=reason,
        by=by,
        at=at or dt.datetime.now(dt.UTC),
        shortlist_entry_id=shortlist_entry_id,
    )
    session.add(outcome)
    session.flush()
    audit(session, by, "create", "outcome", f"{need_id}/{firm_id}", None, snapshot(outcome))
    return outcome


def suggest_pair(
    session: Session, need_id: str, firm_id: str, *, by: str, shortlist_entry_id: int | None = None
) -> Outcome | None:
    """Record ``suggested`` for a pair that has no history yet (under the pair's lock).

    Returns
    -------
    Outcome or None
        None when the pair already has a status (it keeps it).
    """
    return suggest_pairs(session, need_id, [(firm_id, shortlist_entry_id)], by=by)[0]


def suggest_pairs(
    session: Session, need_id: str, firms: list[tuple[str, int | None]], *, by: str
) -> list[Outcome | None]:
    """:func:`suggest_pair` for the firms of a shortlist, ``(firm_id, shortlist_entry_id)``
    each: the same records in a few statements (a shortlist's write is short, and on SQLite
    the write lock is held no longer than it).

    Returns
    -------
    list of Outcome or None
        Per firm, in order: the new ``suggested`` event, or None when the pair already had a status.

    Raises
    ------
    NotFoundError
        The need, or one of the firms, does not exist.
    """
    get_need(session, need_id)
    firm_ids = [firm_id for firm_id, _ in firms]
    known = set(session.scalars(select(Firm.firm_id).where(Firm.firm_id.in_(set(firm_ids)))))
    for firm_id in firm_ids:
        if firm_id not in known:
            get_firm(session, firm_id)  # raises the usual NotFoundError
    for firm_id in sorted(set(firm_ids)):  # one order for every writer: no deadlock between them
        lock_pair(session, need_id, firm_id)
    statuses = latest_statuses(session, need_id, firm_ids)
    at = dt.datetime.now(dt.UTC)
    out: list[Outcome | None] = []
    for firm_id, entry_id in firms:
        if statuses[firm_id] is not None:
            out.append(None)
            continue
        check_transition(None, "suggested", None)
        outcome = Outcome(need_id=need_id, firm_id=firm_id, status="suggested", reason=None, by=by, at=at,
                          shortlist_entry_id=entry_id)  # fmt: skip
        session.add(outcome)
        statuses[firm_id] = "suggested"  # a firm listed twice is suggested once
        out.append(outcome)
    session.flush()
    for outcome in out:
        if outcome is not None:
            audit(session, by, "create", "outcome", f"{need_id}/{outcome.firm_id}", None, snapshot(outcome))
    return out


def list_outcomes(
    session: Session,
    *,
    need_id: str | None = None,
    firm_id: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> tuple[list[Outcome], int]:
    """Status history of the matching pairs, oldest first."""
    query = select(Outcome)
    if need_id:
        query = query.where(Outcome.need_id == need_id)
    if firm_id:
        query = query.where(Outcome.firm_id == firm_id)
    return _page(session, query, (Outcome.at, Outcome.id), limit, offset)


def outcome_funnel(session: Session) -> tuple[dict[str, int], int]:
    """The outcome funnel and the firms connected to a multinational (``GET /kpi``).

    Returns
    -------
    funnel : dict
        Status of :data:`features.columns.OUTCOME_PATH` -> need-firm pairs that reached it or
        a later stage (so each stage holds at most the one before), and ``rejected`` -> pairs
        whose latest status is ``rejected``.
    connected : int
        Firms with an outcome at ``meeting`` or beyond
        (:data:`api.storage.outcomes.CONNECTED_STATUSES`).
    """
    # Counted in the database (a KPI call must not read every event of every pair), in one
    # pass over the pairs: the furthest stage of each, and whether its latest event (the
    # last recorded, RECORDED_ORDER: the row id) is a rejection, i.e. its last rejection is
    # its last event. Then the connected firms.
    stage = case({status: index for index, status in enumerate(OUTCOME_PATH)}, value=Outcome.status)
    pairs = (select(func.max(stage).label("stage"),
                    case((func.max(case((Outcome.status == "rejected", Outcome.id))) == func.max(Outcome.id), 1),
                         else_=0).label("rejected"))
             .group_by(Outcome.need_id, Outcome.firm_id).subquery())  # fmt: skip
    rows = session.execute(select(pairs.c.stage, func.count(), func.sum(pairs.c.rejected))
                           .group_by(pairs.c.stage)).all()  # fmt: skip
    reached = {index: int(n) for index, n, _ in rows if index is not None}
    # A funnel: a pair counts at every stage up to the furthest it reached (an order went
    # through the earlier stages even when they were not recorded), so stages never grow.
    funnel = {status: sum(n for index, n in reached.items() if index >= i)
              for i, status in enumerate(OUTCOME_PATH)}
    funnel["rejected"] = sum(int(rejected or 0) for _, _, rejected in rows)
    connected = session.scalar(
        select(func.count(distinct(Outcome.firm_id))).where(Outcome.status.in_(CONNECTED_STATUSES))
    ) or 0  # fmt: skip
    return funnel, int(connected)
