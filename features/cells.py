"""Spreadsheet cells that cannot run: the one formula rule of every export (issue 12).

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel and LibreOffice when the file is opened ("CSV injection"). Every file this
project writes for people to open (the web's XLSX export, ``cnht match --format csv``, the
rejects files of ``cnht import``) passes its cells through :func:`safe_cell` or
:func:`safe_frame`, which put a leading apostrophe before such text. Numbers stay numbers.

Examples
--------
>>> safe_cell('=HYPERLINK("http://x")')
'\\'=HYPERLINK("http://x")'
>>> safe_cell("ép nhựa"), safe_cell(-3)
('ép nhựa', -3)
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["FORMULA_STARTS", "safe_cell", "safe_frame"]

FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value``, with a leading apostrophe when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) went through :func:`safe_cell`.

    >>> safe_frame(pd.DataFrame({"name": ["+84 24", "ok"], "n": [-1, 2]})).to_dict("list")
    {'name': ["'+84 24", 'ok'], 'n': [-1, 2]}
    """
    out = frame.copy()
    out.columns = [safe_cell(c) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_cell)
    return out
