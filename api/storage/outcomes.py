"""The outcome state machine of a (need, firm) match.

suggested → contacted → meeting → sample → audit → order, or rejected (with a reason) from
any non-final status. ``order`` and ``rejected`` are final.

A pair's status is that of its last *recorded* event (:data:`RECORDED_ORDER`: the row id,
which grows with every insert), never of the event claiming the latest time (``at``): an
event imported with the date 2199 must not hide, and so reopen, the moves recorded after it.
Moves are checked and recorded one pair at a time: on SQLite every writer holds the write
lock for its whole transaction (``BEGIN IMMEDIATE``); on PostgreSQL a move holds the pair's
transaction-level advisory lock (:func:`api.storage.repository.lock_pair`) and, shared,
:data:`OUTCOME_IMPORT_LOCK_ID`, which an outcomes import holds exclusively while it checks
its rows against the history it loaded.

Examples
--------
>>> allowed_next("meeting")
('sample', 'rejected')
>>> check_transition("meeting", "sample")
'sample'
"""

from __future__ import annotations

from api.storage.errors import IllegalTransitionError, ServiceError
from api.storage.models import Outcome
from features.columns import OUTCOME_PATH, OUTCOME_STATUSES

__all__ = [
    "allowed_next",
    "check_transition",
    "UnknownStatusError",
    "FINAL_STATUSES",
    "CONNECTED_STATUSES",
    "RECORDED_ORDER",
    "OUTCOME_IMPORT_LOCK_ID",
]

# Order of a pair's events as they were recorded (ascending); its last one is its status.
RECORDED_ORDER = (Outcome.id,)
# PostgreSQL advisory lock: held exclusively by an outcomes import, shared by each move.
OUTCOME_IMPORT_LOCK_ID = 4_204_2021

FINAL_STATUSES: tuple[str, ...] = ("order", "rejected")
# A firm counts as connected to a multinational once a match reaches a meeting.
CONNECTED_STATUSES: tuple[str, ...] = OUTCOME_PATH[OUTCOME_PATH.index("meeting") :]


class UnknownStatusError(ServiceError):
    """A status outside :data:`features.columns.OUTCOME_STATUSES`."""

    status_code = 422


def allowed_next(current: str | None) -> tuple[str, ...]:
    """Statuses that may follow ``current`` (None: the pair has no history yet).

    Parameters
    ----------
    current : str or None

    Returns
    -------
    tuple of str
        Empty for the final statuses ``order`` and ``rejected``.
    """
    if current is None:
        return ("suggested",)
    if current not in OUTCOME_STATUSES:
        raise UnknownStatusError(
            f"Expected a status among {', '.join(OUTCOME_STATUSES)}, got {current!r}.",
            vi=f"Trạng thái phải là một trong {', '.join(OUTCOME_STATUSES)}, nhận được {current!r}.",
        )
    if current in FINAL_STATUSES:
        return ()
    following = OUTCOME_PATH[OUTCOME_PATH.index(current) + 1]
    return (following, "rejected")


def check_transition(current: str | None, new: str, reason: str | None = None) -> str:
    """Return ``new`` when it may follow ``current``; raise otherwise.

    Parameters
    ----------
    current : str or None
        Latest recorded status of the pair, None when there is none.
    new : str
        The status to record.
    reason : str, optional
        Required (non-empty) when ``new`` is ``rejected``.

    Raises
    ------
    IllegalTransitionError
        The move is not allowed; ``.allowed`` lists the statuses that are.
    UnknownStatusError
        ``new`` is not a known status, or a rejection has no reason.
    """
    if new not in OUTCOME_STATUSES:
        raise UnknownStatusError(
            f"Expected a status among {', '.join(OUTCOME_STATUSES)}, got {new!r}.",
            vi=f"Trạng thái phải là một trong {', '.join(OUTCOME_STATUSES)}, nhận được {new!r}.",
        )
    allowed = allowed_next(current)
    if new not in allowed:
        where = f"from {current!r}" if current else "as the first status of a pair"
        hint = (
            f"Allowed next: {', '.join(allowed)}."
            if allowed
            else f"{current!r} is final; nothing may follow it."
        )
        where_vi = f"từ {current!r}" if current else "làm trạng thái đầu tiên của cặp"
        hint_vi = (
            f"Các trạng thái được phép tiếp theo: {', '.join(allowed)}."
            if allowed
            else f"{current!r} là trạng thái cuối; không thể chuyển tiếp."
        )
        raise IllegalTransitionError(f"Cannot move to {new!r} {where}. {hint}", current, allowed,
                                     vi=f"Không thể chuyển sang {new!r} {where_vi}. {hint_vi}")
    if new == "rejected" and not (reason or "").strip():
        raise UnknownStatusError(
            "Status 'rejected' needs a reason, got none. Say why in the 'reason' field.",
            vi="Trạng thái 'rejected' cần có lý do, nhưng chưa có. Hãy ghi lý do vào trường 'reason'.",
        )
    return new
