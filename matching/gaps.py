"""What a firm lacks for a need, and which single upgrade opens the most shortlists.

:func:`gaps` lists the hard constraints a firm fails and the shortfalls its components
report (a missing process, an expired or missing certificate, too little capacity), in
Vietnamese and English. :func:`best_upgrades` tries every single change that the open needs
ask for (add a certification, add a process, add a material, raise capacity) by
counterfactual re-scoring: the firm's row is changed, every open need is re-scored with the
same arithmetic as ``rank``, and the change is credited with the needs whose top-k the firm
newly enters under the same candidate rule as ``rank`` (signal firms, the fallback firms,
then the other passing firms). Other firms' scores do not depend on this firm, so each
need's rivals are scored once.

Examples
--------
>>> best_upgrades(matcher, "F0042", top=3)                          # doctest: +SKIP
   kind        code  label_vi ... new_shortlists  needs
0  certification  iatf_16949 ...            4   [N-0003, ...]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from features.certifications import label as certification_label
from features.numbers import format_number
from matching.components import CertificationFit, FirmArrays, QueryContext
from matching.constraints import check, passes
from matching.exceptions import HyperParameterError

__all__ = ["Gap", "gaps", "best_upgrades", "apply_upgrade"]


@dataclass(frozen=True)
class Gap:
    """One thing a firm lacks for a need.

    Attributes
    ----------
    component : str
        ``"constraint"`` for a failed hard constraint, else the component's name.
    vi, en : str
        The gap in words.
    blocking : bool
        True when it keeps the firm off the shortlist whatever its score.
    """

    component: str
    vi: str
    en: str
    blocking: bool

    def __str__(self) -> str:
        return f"{self.vi} / {self.en}"


def gaps(matcher, firm_id: str, need: object) -> list[Gap]:
    """What ``firm_id`` lacks for ``need``: failed constraints first, then weak components.

    Parameters
    ----------
    matcher : SupplierMatcher
        Fitted.
    firm_id : str
    need : str, dict or NeedQuery

    Returns
    -------
    list of Gap
        Empty when the firm passes every constraint and no component reports a shortfall.
    """
    row = matcher._row(firm_id)
    (query,) = matcher._queries(need)[:1]
    ctx = matcher._context(query)
    out = [Gap("constraint", r.vi, r.en, True) for r in matcher.failures(ctx, row)]
    out += [Gap(r.component, r.vi, r.en, False) for r in matcher.reasons(ctx, row) if not r.positive]
    return out


def _one_row(firms: FirmArrays, row: int) -> FirmArrays:
    """A one-firm copy of ``firms`` (row ``row``), safe to modify."""
    rows = np.array([row])
    return replace(
        firms,
        firm_ids=firms.firm_ids[rows], names=firms.names[rows], text=firms.text[rows],
        has={k: v[:, rows].copy() for k, v in firms.has.items()},
        process_direct=firms.process_direct[:, rows].copy(),
        cert_from=firms.cert_from[:, rows].copy(), cert_to=firms.cert_to[:, rows].copy(),
        cert_verified=firms.cert_verified[:, rows].copy(), capacity=firms.capacity[rows].copy(),
        lat=firms.lat[rows], lon=firms.lon[rows], n_exports=firms.n_exports[rows],
        export_countries={k: v[rows] for k, v in firms.export_countries.items()},
        multinationals=firms.multinationals[rows], completeness=firms.completeness[rows],
        evidence=firms.evidence[rows],
        concept_sectors=firms.concept_sectors,
        experience_base=None if firms.experience_base is None else firms.experience_base[rows],
        capacity_or_zero=None,  # apply_upgrade may change capacity: read it from ``capacity``
        place_km={},  # distances from the firm's own lat/lon
    )


def apply_upgrade(firms: FirmArrays, kind: str, value: object) -> FirmArrays:
    """Apply one upgrade to a one-firm :class:`FirmArrays` in place and return it.

    ``kind`` is ``"certification"`` (a valid, self-declared certificate of code ``value``),
    ``"process"`` (the firm names process ``value``; its ancestors follow), ``"material"``
    or ``"capacity"`` (monthly capacity raised to ``value``).
    """
    if kind == "certification":
        column = firms.columns["certification"][value]
        firms.cert_from[column, 0], firms.cert_to[column, 0] = -math.inf, math.inf
        firms.cert_verified[column, 0] = False
    elif kind == "process":
        columns = firms.columns["process"]
        firms.process_direct[columns[value], 0] = True
        for code in (value, *firms.ancestors.get(value, ())):
            if code in columns:
                firms.has["process"][columns[code], 0] = True
    elif kind == "material":
        firms.has["material"][firms.columns["material"][value], 0] = True
    elif kind == "capacity":
        firms.capacity[0] = max(float(np.nan_to_num(firms.capacity[0])), float(value))
    else:
        raise HyperParameterError(
            f"Expected an upgrade kind among certification, process, material, capacity; got kind={kind!r}."
        )
    return firms


@dataclass
class _Rivals:
    """The other firms a firm competes with for one need's top-k, under each case of the
    candidate rule of ``SupplierMatcher.rank`` (see ``_first_tier``).

    ``with_signal``: the best other candidates when the firm has a text/process/material
    signal; ``in_fallback``: when it has none but its profile places it among the ``fallback``
    firms (it then takes the last fallback place); ``after``: the best of the other passing
    firms listed after all ``n_first`` candidates, when it is neither. Each is (rows, scores)
    of at most ``4k + 8`` firms, enough for ``_top`` (plain or MMR) to choose as ``rank`` does.
    """

    with_signal: tuple[np.ndarray, np.ndarray]
    in_fallback: tuple[np.ndarray, np.ndarray]
    after: tuple[np.ndarray, np.ndarray] | None
    n_first: int
    profile_in_fallback: bool


def _union(first: np.ndarray, second: np.ndarray, n: int) -> np.ndarray:
    """Sorted distinct rows of both (``np.union1d``'s answer) through a mask: no hashing of
    every candidate."""
    mask = np.zeros(n, dtype=bool)
    mask[first] = True
    mask[second] = True
    return np.flatnonzero(mask)


def _best_of(matcher, ctx: QueryContext, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    keep = 4 * k + 8
    rows = matcher._prune(ctx, rows, max(5 * k, k + 1) if matcher.diversity == "mmr" else k)
    scores, _ = matcher._score_rows(ctx, rows)
    order = np.lexsort((rows, -scores))[:keep]
    return rows[order], scores[order]


def _rivals(matcher, ctx: QueryContext, row: int, k: int) -> _Rivals:
    """The firm's rivals for the need of ``ctx`` (other firms do not depend on its profile)."""
    firms = matcher.firms_
    signal = matcher._signal(ctx)
    eligible = passes(firms, ctx, require_sector=matcher.require_sector)
    eligible[row] = False
    strong = np.flatnonzero(signal & eligible)
    fallback = matcher._fallback_rows(eligible & ~signal, matcher.fallback)
    full = len(fallback) == matcher.fallback
    # The firm, once without signal, is a fallback firm when fewer than ``fallback`` others precede it.
    profile_in_fallback = matcher.fallback > 0 and (
        not full or matcher._prior_rank[row] < matcher._prior_rank[fallback[-1]])
    first = _union(strong, fallback, len(firms))
    after = None
    if len(first) < k:
        rest = eligible & ~signal
        rest[fallback] = False
        after = _best_of(matcher, ctx, np.flatnonzero(rest), k - len(first))
    displaced = _union(strong, fallback[:-1], len(firms)) if full and matcher.fallback else first
    return _Rivals(with_signal=_best_of(matcher, ctx, first, k), in_fallback=_best_of(matcher, ctx, displaced, k),
                   after=after, n_first=len(first), profile_in_fallback=bool(profile_in_fallback))


def _enters(matcher, ctx: QueryContext, local: QueryContext, firm: FirmArrays, row: int,
            rivals: _Rivals, k: int) -> bool:
    """Whether ``rank`` lists the firm (arrays ``firm``, one row) in the top ``k`` of the need.

    The same rule as ``rank``: the constraints, then the firm's tier (signal, fallback, or
    after the candidates), then ``_top`` over its rivals and itself.
    """
    one = np.array([0])
    if check(firm, local, one, require_sector=matcher.require_sector)[0]:
        return False
    # The firm's concepts follow its processes and materials (an upgrade adds one).
    values, signal = matcher.concept_value(firm, ctx)
    local = replace(local, concept_values=values, concept_signal=signal)
    score = matcher._score_rows(local, one, firm)[0][0]
    if matcher._signal(local, firm)[0]:
        (rows, scores), wanted = rivals.with_signal, k
    elif rivals.profile_in_fallback:
        (rows, scores), wanted = rivals.in_fallback, k
    elif rivals.after is not None:
        (rows, scores), wanted = rivals.after, k - rivals.n_first
    else:
        return False  # the candidates fill the list before the firm's turn
    rows = np.append(rows, row)
    chosen = matcher._top(ctx, rows, np.append(scores, score), wanted)
    return bool(np.any(chosen == len(rows) - 1))


def best_upgrades(matcher, firm_id: str, needs: object = None, top: int = 5, k: int = 10) -> pd.DataFrame:
    """Single changes that put ``firm_id`` on the most additional shortlists (top-``k`` of open needs).

    Parameters
    ----------
    matcher : SupplierMatcher
        Fitted.
    firm_id : str
    needs : optional
        Needs to consider (default: the matcher's open needs).
    top : int, default 5
        Upgrades to return.
    k : int, default 10
        Shortlist length.

    Returns
    -------
    pandas.DataFrame
        ``kind, code, label_vi, label_en, new_shortlists, needs`` sorted by
        ``new_shortlists`` (descending); only upgrades that open at least one shortlist.
    """
    if not isinstance(top, int) or top < 1:
        raise HyperParameterError(f"Expected top an integer >= 1, got top={top!r}.")
    row = matcher._row(firm_id)
    k = matcher._check_k(k)
    queries = matcher._open_needs(needs)
    firms = matcher.firms_
    contexts = [matcher._context(q) for q in queries]
    one = _one_row(firms, row)
    local = [replace(ctx, text_values=ctx.text_values[[row]], concept_values=ctx.concept_values[[row]],
                     concept_signal=ctx.concept_signal[[row]])
             for ctx in contexts]
    rivals = [_rivals(matcher, ctx, row, k) for ctx in contexts]
    already = {ctx.need.need_id for ctx, lc, rv in zip(contexts, local, rivals, strict=True)
               if _enters(matcher, ctx, lc, one, row, rv, k)}
    options: dict[tuple[str, object], None] = {}
    for ctx in contexts:
        need = ctx.need
        for code in (*need.mandatory_certifications, *need.preferred_certifications):
            column = firms.columns["certification"].get(code)
            if column is not None and not CertificationFit.valid(firms, code, np.array([row]), ctx.as_of_ordinal)[0]:
                options[("certification", code)] = None
        for code in need.processes:
            column = firms.columns["process"].get(code)
            if column is not None and not firms.process_direct[column, row]:
                options[("process", code)] = None
        for code in need.materials:
            column = firms.columns["material"].get(code)
            if column is not None and not firms.has["material"][column, row]:
                options[("material", code)] = None
        target = max(np.nan_to_num(need.min_monthly_capacity), np.nan_to_num(need.target_capacity))
        if target > 0 and not firms.capacity[row] >= target:
            options[("capacity", float(target))] = None
    records = []
    for kind, value in options:
        changed = apply_upgrade(_one_row(firms, row), kind, value)
        opened = [ctx.need.need_id for ctx, lc, rv in zip(contexts, local, rivals, strict=True)
                  if ctx.need.need_id not in already and _enters(matcher, ctx, lc, changed, row, rv, k)]
        if not opened:
            continue
        if kind == "certification":
            vi = en = certification_label(value)
        elif kind == "capacity":
            vi, en = f"công suất lên {format_number(value, 'vi')}/tháng", f"capacity to {format_number(value, 'en')}/month"
        else:
            vi, en = firms.label(value, "vi"), firms.label(value, "en")
        verb_vi, verb_en = ("nâng", "raise") if kind == "capacity" else ("thêm", "add")
        records.append({"kind": kind, "code": value if kind != "capacity" else "", "label_vi": f"{verb_vi} {vi}",
                        "label_en": f"{verb_en} {en}", "new_shortlists": len(opened), "needs": opened})
    columns = ["kind", "code", "label_vi", "label_en", "new_shortlists", "needs"]
    if not records:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame.from_records(records, columns=columns)
    return frame.sort_values(["new_shortlists", "kind", "code"], ascending=[False, True, True],
                             kind="stable").head(top).reset_index(drop=True)
