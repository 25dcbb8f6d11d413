"""The one date reader: ISO ``yyyy-mm-dd`` or day first, as written in Vietnam.

``03/05/2026`` is 3 May, never 5 March; anything else is refused by the caller with
:data:`DATE_FORMATS` in its message.

Examples
--------
>>> read_date("01/05/2026"), read_date("2026-05-01"), read_date("May 1")
(datetime.date(2026, 5, 1), datetime.date(2026, 5, 1), None)
"""

from __future__ import annotations

import re
from datetime import date, datetime

__all__ = ["DATE_FORMATS", "read_date", "format_date"]

DATE_FORMATS: tuple[str, ...] = ("yyyy-mm-dd", "yyyy/mm/dd", "dd/mm/yyyy", "dd-mm-yyyy", "dd.mm.yyyy")

_YEAR_FIRST = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DAY_FIRST = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")


def read_date(value: object) -> date | None:
    """A date from a date, a datetime or text in one of :data:`DATE_FORMATS`; None otherwise.

    Parameters
    ----------
    value : date, datetime or str
        Text may carry a time after an ISO date (``2026-05-01 09:00``), which is dropped.

    Returns
    -------
    datetime.date or None
        None for text in no accepted format and for impossible days (``31/02/2026``).
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    year_first = _YEAR_FIRST.fullmatch(text)
    day_first = _DAY_FIRST.fullmatch(text)
    try:
        if year_first:
            return date(int(year_first[1]), int(year_first[2]), int(year_first[3]))
        if day_first:
            return date(int(day_first[4]), int(day_first[3]), int(day_first[1]))
    except ValueError:
        return None  # a day or month out of range
    return None


def format_date(value: object) -> str:
    """A date as people in Vietnam write it, ``dd/mm/yyyy`` (read with :func:`read_date`);
    ``—`` for nothing, the text itself when it is no date.

    >>> format_date("2026-03-12"), format_date(date(2026, 5, 1)), format_date(None)
    ('12/03/2026', '01/05/2026', '—')
    """
    if value is None or value == "":
        return "—"
    day = read_date(value)
    return day.strftime("%d/%m/%Y") if day is not None else str(value)
