"""Shared pieces of the profile transformers: the error, input coercion, dates."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from features import clock
from features.exceptions import CnhtError

__all__ = ["ProfileError", "CAPABILITY_KINDS"]

CAPABILITY_KINDS: tuple[str, ...] = ("sectors", "product_groups", "processes", "materials")
# Profile column (plural) -> taxonomy kind (singular).
_TAXONOMY_KIND = {
    "sectors": "sector",
    "product_groups": "product_group",
    "processes": "process",
    "materials": "material",
}


class ProfileError(CnhtError, ValueError):
    """Firm records or transformer inputs do not have the expected shape or values."""


# --------------------------------------------------------------------------- helpers


def _as_text_series(X: object, column: str) -> pd.Series:
    """The text column of ``X`` as a Series of str (DataFrame column, Series or 1-D array)."""
    if isinstance(X, pd.DataFrame):
        if column in X.columns:
            series = X[column]
        elif X.shape[1] == 1:
            series = X.iloc[:, 0]
        else:
            raise ProfileError(
                f"Expected a DataFrame with a {column!r} column or a single text column, "
                f"got columns {list(X.columns)[:10]}. Pass build_profiles(...) output or "
                f"set column=."
            )
    elif isinstance(X, pd.Series):
        series = X
    else:
        array = np.asarray(X, dtype=object)
        if array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        if array.ndim != 1:
            raise ProfileError(
                f"Expected a 1-D sequence of texts, got an array of shape {array.shape}. "
                f"Pass one text per firm."
            )
        series = pd.Series(array)
    return series.fillna("").astype(str)


def _as_sequence_column(X: object, column: str) -> list:
    """The cells of a list-valued column: tuples, lists, sets or ';'-separated strings."""
    if isinstance(X, pd.DataFrame):
        if column in X.columns:
            cells = X[column]
        elif X.shape[1] == 1:
            cells = X.iloc[:, 0]
        else:
            raise ProfileError(
                f"Expected a DataFrame with a {column!r} column, got columns "
                f"{list(X.columns)[:10]}. Pass build_profiles(...) output."
            )
        return cells.tolist()
    if isinstance(X, pd.Series):
        return X.tolist()
    array = np.empty(len(X), dtype=object)
    array[:] = list(X)
    return list(array)


def _cell_items(cell: object) -> Iterable:
    if cell is None:
        return ()
    if isinstance(cell, float) and math.isnan(cell):
        return ()
    if isinstance(cell, str):
        return [part.strip() for part in cell.split(";") if part.strip()]
    if isinstance(cell, Iterable):
        return cell
    raise ProfileError(
        f"Expected a tuple of codes or a ';'-separated string per firm, got "
        f"{type(cell).__name__} {cell!r}. Pass build_profiles(...) output."
    )


def _as_of(value: date | str | None) -> date:
    if value is None:
        return clock.today()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ProfileError(
            f"Expected as_of as a date or 'yyyy-mm-dd', got {value!r}. Pass e.g. "
            f"as_of=date(2026, 1, 1)."
        ) from exc
