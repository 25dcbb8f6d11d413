"""Whether a need is open to suggestions: one rule for the CLI and the service.

A need is ``"open"`` when its status is open (or not stated) and its deadline, if any, is
not past; ``"closed"`` when its status says so; ``"past_deadline"`` when it is open but its
deadline is before today (Hanoi time, :func:`features.clock.today`). Suggestions for a firm
list open needs only unless the others are asked for, and then say which they are.

Examples
--------
>>> from datetime import date
>>> need_state("open", date(2026, 1, 31), today=date(2026, 2, 1))
'past_deadline'
>>> need_state("closed", None, today=date(2026, 2, 1)), need_state(None, None, today=date(2026, 2, 1))
('closed', 'open')
"""

from __future__ import annotations

import math
from datetime import date

from features import clock

__all__ = ["NEED_STATES", "STATE_LABELS", "need_state"]

NEED_STATES: tuple[str, ...] = ("open", "closed", "past_deadline")
STATE_LABELS: dict[str, tuple[str, str]] = {
    "open": ("đang mở", "open"),
    "closed": ("đã đóng", "closed"),
    "past_deadline": ("quá hạn", "past deadline"),
}


def _day(value: object, need_id: str) -> date | None:
    from matching.needs import _as_date  # the needs' one day-first date reader

    if isinstance(value, float) and math.isnan(value):
        return None
    return _as_date(value, need_id, None, "deadline")


def need_state(status: object, deadline: object, *, today: date | None = None, need_id: str = "") -> str:
    """``"open"``, ``"closed"`` or ``"past_deadline"`` for a need's status and deadline.

    Parameters
    ----------
    status : str or None
        ``open``/``closed`` (any case); empty counts as open.
    deadline : date, str or None
        A date, or text read day-first like every date of a need.
    today : date, optional
        Default :func:`features.clock.today`.
    need_id : str, optional
        Named in the error when the deadline cannot be read
        (:class:`matching.exceptions.NeedError`, listing the accepted formats).
    """
    if str(status or "").strip().lower() == "closed":
        return "closed"
    day = _day(deadline, need_id)
    if day is not None and day < (today or clock.today()):
        return "past_deadline"
    return "open"
