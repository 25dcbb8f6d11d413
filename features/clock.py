"""The one clock of cnht-match: today's date in Hanoi (Asia/Ho_Chi_Minh), injectable in tests.

The department works on Hanoi time; the host's local date (``date.today()``) is a day off
for seven hours a day on a server in UTC. Every "today" (certificate validity, a need's date,
past deadlines, KPI) comes from :func:`today`. Tests fix the day with :func:`frozen`.

Examples
--------
>>> from datetime import date
>>> with frozen(date(2026, 6, 1)):
...     today()
datetime.date(2026, 6, 1)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = ["TIME_ZONE", "today", "frozen"]

TIME_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")

_fixed: list[date] = []  # a stack, so frozen() blocks nest


def today() -> date:
    """Today's date in Asia/Ho_Chi_Minh (or the day fixed by :func:`frozen`)."""
    if _fixed:
        return _fixed[-1]
    return datetime.now(TIME_ZONE).date()


@contextmanager
def frozen(day: date) -> Iterator[date]:
    """Within the block, :func:`today` answers ``day``.

    Parameters
    ----------
    day : datetime.date
    """
    if not isinstance(day, date) or isinstance(day, datetime):
        raise TypeError(f"Expected a datetime.date, got {day!r}.")
    _fixed.append(day)
    try:
        yield day
    finally:
        _fixed.pop()
