"""The one number reader of firms and needs: the Vietnamese way and the English way.

A dot or comma followed by groups of exactly three digits separates thousands (``5.000``,
``1.200.000``, ``5,000``); otherwise it is the decimal mark (``1,5``, ``2.5``). Used by the
profiles (capacity, employees, founded), the matcher's firm arrays, the needs' quantities
and the import readers, so "5.000" is 5000 wherever it is written.

Examples
--------
>>> read_number("5.000"), read_number("1,5"), read_number("1.234,5"), read_number("abc")
(5000.0, 1.5, 1234.5, None)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np

__all__ = ["read_number", "read_numbers", "format_number"]

_PLAIN = re.compile(r"\d+")
_ONE_SEPARATOR = re.compile(r"(\d+)([.,])(\d+)")
_VI_GROUPS = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")  # 1.200.000 or 1.234,5
_EN_GROUPS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")  # 1,200,000 or 1,234.5
_SPACE_GROUPS = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+")  # 5 000
_SCIENTIFIC = re.compile(r"\d+(?:\.\d+)?[eE][+-]?\d+")


def read_number(value: object) -> float | None:
    """A number written the Vietnamese or the English way, or None when it is not one.

    Parameters
    ----------
    value : str, int, float or None
        Text such as ``"5.000"``, ``"1,5"``, ``"1.234,5"``, ``"1,234.5"``, ``"5 000"``;
        numbers are returned as floats; None, NaN and empty text give None.

    Returns
    -------
    float or None
        None for text that is not one number (``"1.2.3"``, ``"abc"``): the caller decides
        whether that is an error (a need's field) or unknown (a firm's capacity).

    Examples
    --------
    >>> read_number("1.200.000"), read_number("5,000"), read_number("0,500")
    (1200000.0, 5000.0, 0.5)
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return None if math.isnan(number) else number
    if not isinstance(value, str):
        return None
    text = value.strip()
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-").strip()
    if _PLAIN.fullmatch(text) or _SCIENTIFIC.fullmatch(text):
        return sign * float(text)
    if _SPACE_GROUPS.fullmatch(text):
        return sign * float(re.sub(r"\D", "", text))
    single = _ONE_SEPARATOR.fullmatch(text)
    if single:
        whole, _, part = single.groups()
        thousands = len(part) == 3 and len(whole) <= 3 and not whole.startswith("0")
        return sign * float(whole + part if thousands else f"{whole}.{part}")
    if _VI_GROUPS.fullmatch(text):
        return sign * float(text.replace(".", "").replace(",", "."))
    if _EN_GROUPS.fullmatch(text):
        return sign * float(text.replace(",", ""))
    return None


def read_numbers(values: Iterable[object]) -> np.ndarray:
    """:func:`read_number` over ``values``, NaN where a value is not a number (float64 array).

    Each distinct value is read once (capacities and years repeat across firms).
    """
    values = list(values)
    seen: dict[object, float] = {}
    out = np.empty(len(values), dtype=np.float64)
    for i, value in enumerate(values):
        try:
            number = seen[value]
        except (KeyError, TypeError):  # TypeError: an unhashable cell, read as it comes
            found = read_number(value)
            number = math.nan if found is None else found
            try:
                seen[value] = number
            except TypeError:
                pass
        out[i] = number
    return out


def format_number(value: float | int | None, lang: str, decimals: int = 0) -> str:
    """``value`` with the thousands and decimal separators of ``lang`` (the one way figures are
    written for people: pages, exports, reasons).

    >>> format_number(1234.5, "vi", 1), format_number(1234.5, "en", 1), format_number(None, "vi")
    ('1.234,5', '1,234.5', '—')
    """
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text
