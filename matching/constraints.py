"""Hard constraints of a need, checked exactly (no approximate index) before scoring.

* ``certification``: every mandatory certification valid on the need's date
  (``created``, or today for ad-hoc needs);
* ``sector``: the firm works in one of the need's sectors, when the need (or the matcher's
  ``require_sector``) asks for it;
* ``capacity``: monthly capacity at least ``min_monthly_capacity`` (unknown capacity fails);
  a minimum of 0 or less, like none, is no constraint;
* ``excluded``: the firm is in the need's ``exclude_firms``.

:func:`check` returns, for every requested row, the first constraint it fails (``""`` when
it passes), so a filtered firm can still be shown with the reason it was filtered.
"""

from __future__ import annotations

import math

import numpy as np

from features.numbers import format_number
from matching.components import (
    CertificationFit,
    FirmArrays,
    QueryContext,
    Reason,
    _any_of,
    _n,
)

__all__ = ["CONSTRAINTS", "check", "passes", "describe_failures"]

CONSTRAINTS: tuple[str, ...] = ("excluded", "certification", "sector", "capacity")


def _sector_required(query: QueryContext, require_sector: bool) -> bool:
    need = query.need
    required = require_sector if need.require_sector is None else need.require_sector
    return bool(required and need.sectors)


def _capacity_required(minimum: float) -> bool:
    # 0 or less asks for nothing: every firm, even one whose capacity is unknown, has it.
    return not math.isnan(minimum) and minimum > 0


def _masks(firms: FirmArrays, query: QueryContext, rows: np.ndarray | slice,
           require_sector: bool) -> dict[str, np.ndarray]:
    """Failure mask per constraint that applies (True = fails), for ``rows`` (int array or ALL)."""
    need = query.need
    masks: dict[str, np.ndarray] = {}
    if need.exclude_firms:
        masks["excluded"] = np.isin(firms.firm_ids[rows], np.asarray(need.exclude_firms, dtype=object))
    if need.mandatory_certifications:
        ok = np.ones(_n(firms, rows), dtype=bool)
        for code in need.mandatory_certifications:
            ok &= CertificationFit.valid(firms, code, rows, query.as_of_ordinal)
        masks["certification"] = ~ok
    if _sector_required(query, require_sector):
        columns = [firms.columns["sector"][c] for c in need.sectors if c in firms.columns["sector"]]
        ok = _any_of(firms.has["sector"], rows, columns)
        masks["sector"] = ~ok
    if _capacity_required(need.min_monthly_capacity):
        with np.errstate(invalid="ignore"):
            masks["capacity"] = ~(firms.capacity[rows] >= need.min_monthly_capacity)
    return masks


def passes(firms: FirmArrays, query: QueryContext, *, require_sector: bool = False) -> np.ndarray:
    """Boolean mask over all firms: True where every hard constraint of the need holds."""
    ok = np.ones(len(firms), dtype=bool)
    for mask in _masks(firms, query, slice(None), require_sector).values():
        ok &= ~mask
    return ok


def check(firms: FirmArrays, query: QueryContext, rows: np.ndarray | None = None, *,
          require_sector: bool = False) -> np.ndarray:
    """The first failed constraint of each firm at ``rows`` (all firms when None).

    Parameters
    ----------
    firms : FirmArrays
    query : QueryContext
    rows : numpy.ndarray of int, optional
    require_sector : bool, default False
        The matcher's default when the need does not say.

    Returns
    -------
    numpy.ndarray of str
        ``""`` for firms that pass, else one of :data:`CONSTRAINTS`.
    """
    rows = np.arange(len(firms)) if rows is None else np.asarray(rows, dtype=np.int64)
    failed = np.full(len(rows), "", dtype=object)
    for name, mask in reversed(list(_masks(firms, query, rows, require_sector).items())):
        failed[mask] = name  # reversed so the first constraint in CONSTRAINTS order wins
    return failed


def describe_failures(firms: FirmArrays, query: QueryContext, row: int, *, require_sector: bool = False) -> list[Reason]:
    """Every constraint firm ``row`` fails, in words (vi/en); empty when it passes all."""
    need = query.need
    one = np.array([row])
    out: list[Reason] = []
    masks = _masks(firms, query, one, require_sector)
    if masks.get("excluded", [False])[0]:
        out.append(Reason("constraint", "bị loại trừ theo yêu cầu", "excluded by request", positive=False))
    if masks.get("certification", [False])[0]:
        for code in need.mandatory_certifications:
            answer = CertificationFit.status(firms, code, row, query.as_of_ordinal)  # the one validity rule
            if not answer.valid:
                out.append(Reason("constraint", answer.describe("vi", "mandatory"), answer.describe("en", "mandatory"),
                                  positive=False))
    if masks.get("sector", [False])[0]:
        vi = ", ".join(firms.label(c, "vi") for c in need.sectors)
        en = ", ".join(firms.label(c, "en") for c in need.sectors)
        out.append(Reason("constraint", f"không thuộc ngành {vi}", f"not in sector {en}", positive=False))
    if masks.get("capacity", [False])[0]:
        capacity = firms.capacity[row]
        have_vi = "chưa khai" if math.isnan(capacity) else format_number(capacity, "vi")
        have_en = "not stated" if math.isnan(capacity) else format_number(capacity, "en")
        out.append(Reason("constraint",
                          f"công suất {have_vi}/tháng dưới mức tối thiểu {format_number(need.min_monthly_capacity, 'vi')}",
                          f"capacity {have_en}/month below the minimum {format_number(need.min_monthly_capacity, 'en')}",
                          positive=False))
    return out
