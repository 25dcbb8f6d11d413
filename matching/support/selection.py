"""Whom to fund: the budgeted choice solved exactly by HiGHS (``scipy.optimize.milp``), with reasons.

Model (one binary ``x[i]`` per eligible nomination ``i`` of positive value; ``y[f]`` in [0, 1]
per firm ``f`` that some nomination would turn into one meeting international standards):

* maximise ``sum (value[i] - target_value[i]) x[i] + sum weight_target y[f]`` (the target
  counts a firm once, whatever it is funded for);
* ``y[f] <= sum x[i]`` over the firm's nominations with a target gain;
* budget: ``sum cost[i] x[i] <= budget``;
* per firm (optional): ``sum cost[i] x[i] over its nominations <= max_per_firm``;
* fairness (optional, :class:`FairnessRule`): for each group ``g`` of a column (district, or
  sector: a firm in two sectors counts in both), ``min_share * budget <= sum cost[i] x[i] over
  g <= max_share * budget``.

Every nomination gets a reason, checked against the same constraints at the solution: why it is
in (value, value per VND), or why out (the eligibility rule, no value, the firm's cap, the
fairness cap of a group, or the remaining budget, compared with the value per VND of the
least efficient selected nomination).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from features.numbers import format_number
from matching.exceptions import SupportError

__all__ = ["FairnessRule", "SupportSelection", "check_fairness", "select_support", "selection_objective"]

GROUP_COLUMNS = {"district": "district", "sector": "sectors"}


@dataclass(frozen=True)
class FairnessRule:
    """A stated share of the budget per group.

    Parameters
    ----------
    by : {"district", "sector"}
    max_share : float, optional
        At most this share of the round's budget (0..1) to any one group.
    min_share : float, optional
        At least this share of the budget to each group listed in ``groups``.
    groups : tuple of str, optional
        The groups the rule holds for (default: every group among the eligible nominations;
        a ``min_share`` needs ``groups``).
    """

    by: str
    max_share: float | None = None
    min_share: float | None = None
    groups: tuple[str, ...] | None = None

    def describe(self, lang: str = "vi") -> str:
        words = {"district": ("quận/huyện", "district"), "sector": ("ngành", "sector")}[self.by]
        parts = []
        if self.max_share is not None:
            parts.append(f"tối đa {self.max_share:.0%} ngân sách mỗi {words[0]}" if lang == "vi"
                         else f"at most {self.max_share:.0%} of the budget per {words[1]}")
        if self.min_share is not None:
            parts.append(f"tối thiểu {self.min_share:.0%} cho {', '.join(self.groups or ())}" if lang == "vi"
                         else f"at least {self.min_share:.0%} for {', '.join(self.groups or ())}")
        return "; ".join(parts)


@dataclass
class SupportSelection:
    """The proposal: every nomination with its decision and reason, and the figures of the choice.

    Attributes
    ----------
    decisions : pandas.DataFrame
        The value table plus ``selected`` (bool), ``rank`` (1.. among selected, by value per VND),
        ``reason_code``, ``reason_vi``, ``reason_en``.
    objective : float
        Total value of the selection (the target counted once per firm).
    spent, budget : int
    status : str
    seconds : float
    fairness : tuple of FairnessRule
    held : dict of str to bool
        The staff decisions asked to be held (``select_support(held=...)``); the ``held``
        column of ``decisions`` says which could be.
    """

    decisions: pd.DataFrame
    objective: float
    spent: int
    budget: int
    status: str
    seconds: float
    fairness: tuple[FairnessRule, ...] = field(default=())
    held: dict[str, bool] = field(default_factory=dict)

    def summary(self) -> dict:
        """Figures of the proposal, JSON-ready."""
        d = self.decisions
        chosen = d[d["selected"]]
        return {
            "nominations": len(d), "eligible": int(d["eligible"].sum()), "selected": len(chosen),
            "firms_selected": int(chosen["firm_id"].nunique()), "budget": self.budget, "spent": self.spent,
            "objective": round(self.objective, 6),
            "firms_turned_international": int(chosen.loc[chosen["target_gain"] > 0, "firm_id"].nunique())
            if "target_gain" in d else 0,
            "shortlists_unlocked": int(chosen["new_shortlists"].sum()) if "new_shortlists" in d else 0,
            "refused_by_rule": {str(k): int(v) for k, v in d.loc[~d["eligible"], "rule"].value_counts().sort_index().items()},
            "reasons": {str(k): int(v) for k, v in d["reason_code"].value_counts().sort_index().items()},
            "status": self.status, "seconds": round(self.seconds, 3),
        }


def _groups(frame: pd.DataFrame, by: str) -> list[set[str]]:
    if by not in GROUP_COLUMNS:
        raise SupportError(f"Expected a fairness rule by 'district' or 'sector', got by={by!r}.")
    column = GROUP_COLUMNS[by]
    if column not in frame.columns:
        raise SupportError(f"A fairness rule by {by} needs the column {column!r} in the nominations table.")
    return [{g for g in str(cell).split(";") if g} if by == "sector" else ({str(cell)} if str(cell) else set())
            for cell in frame[column].fillna("")]


def check_fairness(rule: FairnessRule) -> None:
    """Raise :class:`SupportError` naming what is wrong with ``rule`` (its ``by``, a share outside
    0..1, a ``min_share`` without its groups)."""
    if rule.by not in GROUP_COLUMNS:
        raise SupportError(f"Expected a fairness rule by 'district' or 'sector', got by={rule.by!r}.")
    for name in ("max_share", "min_share"):
        share = getattr(rule, name)
        if share is not None and not 0 <= share <= 1:
            raise SupportError(f"Fairness by {rule.by}: expected {name} between 0 and 1, got {share}.")
    if rule.min_share is not None and not rule.groups:
        raise SupportError(f"Fairness by {rule.by}: a min_share needs the groups it is owed to (groups=...).")


def selection_objective(frame: pd.DataFrame, chosen: np.ndarray) -> float:
    """Total value of the rows ``chosen`` (bool mask) of ``frame``: the target part once per firm.

    The definition the solver maximises; tests compare it with a brute force.
    """
    target = frame["target_value"].to_numpy(float) if "target_value" in frame else np.zeros(len(frame))
    rest = frame["value"].to_numpy(float) - target
    total = float(rest[chosen].sum())
    if chosen.any():
        per_firm = pd.Series(target[chosen]).groupby(frame["firm_id"].to_numpy()[chosen]).max()
        total += float(per_firm.sum())
    return total


def select_support(frame: pd.DataFrame, budget: int, *, max_per_firm: int | None = None,
                   fairness: Sequence[FairnessRule] = (), time_limit: float = 60.0,
                   held: Mapping[str, bool] | None = None) -> SupportSelection:
    """Choose the nominations to fund: the most value within the budget and the stated constraints.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per nomination: ``nomination_id, firm_id, cost, value, eligible`` and, when
        present, ``target_value`` (counted once per firm), ``district``, ``sectors``, ``rule_vi``,
        ``rule_en`` (:func:`~matching.support.nomination_values` gives them all).
    budget : int
        VND.
    max_per_firm : int, optional
        VND one firm may receive.
    fairness : sequence of FairnessRule, default ()
    time_limit : float, default 60.0
        Seconds for HiGHS (small rounds solve at once; the status says if the limit was hit).
    held : mapping of str to bool, optional
        Nominations decided by staff (``nomination_id -> selected``): each is fixed in or out and
        the solver chooses the others around it. A held nomination stays as staff decided even
        where it passes a fairness share or the firm's cap (the override said why); the others
        keep within what is left. An ineligible nomination is never held in (``held`` column
        False: its override no longer applies).

    Returns
    -------
    SupportSelection
        ``decisions`` has a ``held`` column (bool) when ``held`` is given.

    Examples
    --------
    >>> frame = pd.DataFrame({"nomination_id": ["A", "B", "C"], "firm_id": ["F1", "F2", "F3"],
    ...                       "cost": [60, 50, 50], "value": [3.0, 2.0, 2.0], "eligible": True})
    >>> select_support(frame, 100).decisions["selected"].tolist()
    [False, True, True]
    """
    started = time.perf_counter()
    missing = [c for c in ("nomination_id", "firm_id", "cost", "value", "eligible") if c not in frame.columns]
    if missing:
        raise SupportError(f"The nominations table lacks {missing}; give the table of nomination_values().")
    if budget <= 0:
        raise SupportError(f"Expected a budget > 0 VND, got budget={budget}.")
    if max_per_firm is not None and max_per_firm <= 0:
        raise SupportError(f"Expected max_per_firm > 0 VND or None, got max_per_firm={max_per_firm}.")
    for rule in fairness:
        check_fairness(rule)
    frame = frame.reset_index(drop=True)
    cost = frame["cost"].to_numpy(dtype=float)
    value = frame["value"].to_numpy(dtype=float)
    if (cost <= 0).any():
        raise SupportError(f"Expected every nomination's cost > 0 VND; {frame.loc[cost <= 0, 'nomination_id'].tolist()} are not.")
    target = frame["target_value"].to_numpy(dtype=float) if "target_value" in frame else np.zeros(len(frame))
    eligible = frame["eligible"].to_numpy(dtype=bool)
    held = dict(held or {})
    unknown = sorted(set(held) - set(frame["nomination_id"].astype(str)))
    if unknown:
        raise SupportError(f"held names nominations not in the table: {unknown}; hold only the round's nominations.")
    wanted = frame["nomination_id"].astype(str).map(held).to_numpy(dtype=object)
    held_in = eligible & (wanted == True)  # noqa: E712 - elementwise over objects (None when not held)
    held_out = wanted == False  # noqa: E712
    usable = np.flatnonzero(eligible & ((value > 0) | held_in))
    firm_of = frame["firm_id"].astype(str).to_numpy()
    target_firms = sorted({firm_of[i] for i in usable if target[i] > 0})
    weight_of_firm = {f: max(target[i] for i in usable if firm_of[i] == f and target[i] > 0) for f in target_firms}
    n_x, n_y = len(usable), len(target_firms)
    # milp minimises; a cost-proportional tie-break far below any value step prefers the cheaper of equals.
    tie = 1e-9 * cost[usable] / budget
    c = np.concatenate([-(value[usable] - target[usable]) + tie, -np.array([weight_of_firm[f] for f in target_firms])])
    rows: list[np.ndarray] = []
    lower: list[float] = []
    upper: list[float] = []

    def row(coefficients: np.ndarray, lo: float, hi: float) -> None:
        rows.append(coefficients)
        lower.append(lo)
        upper.append(hi)

    row(np.concatenate([cost[usable], np.zeros(n_y)]), -np.inf, float(budget))
    for k, f in enumerate(target_firms):  # y[f] <= sum of the firm's x with a target gain
        coefficients = np.zeros(n_x + n_y)
        coefficients[[j for j, i in enumerate(usable) if firm_of[i] == f and target[i] > 0]] = -1.0
        coefficients[n_x + k] = 1.0
        row(coefficients, -np.inf, 0.0)
    if max_per_firm is not None:
        for f in sorted(set(firm_of[usable])):
            on = np.array([firm_of[i] == f for i in usable])
            if cost[usable][on].sum() > max_per_firm:
                row(np.concatenate([np.where(on, cost[usable], 0.0), np.zeros(n_y)]), -np.inf, float(max_per_firm))
    memberships = {rule: _groups(frame, rule.by) for rule in fairness}
    for rule in fairness:
        member = memberships[rule]
        names = rule.groups or sorted({g for i in usable for g in member[i]})
        for g in names:
            on = np.array([g in member[i] for i in usable], dtype=bool)
            hi = np.inf if rule.max_share is None else rule.max_share * budget
            lo = 0.0 if rule.min_share is None or (rule.groups and g not in rule.groups) else rule.min_share * budget
            if lo > 0 and cost[usable][on].sum() < lo:
                raise SupportError(f"Fairness by {rule.by}: group {g!r} is owed {lo:,.0f} VND (min_share="
                                   f"{rule.min_share}) but its eligible nominations cost {cost[usable][on].sum():,.0f} "
                                   "in all. Lower min_share or nominate more firms of the group.")
            row(np.concatenate([np.where(on, cost[usable], 0.0), np.zeros(n_y)]), lo, hi)
    chosen = np.zeros(len(frame), dtype=bool)
    status = "optimal"
    if n_x:
        low_x = np.concatenate([held_in[usable].astype(float), np.zeros(n_y)])
        high_x = np.concatenate([(~held_out[usable]).astype(float), np.ones(n_y)])
        if held:  # staff decisions first: a bound the held ones pass alone moves to what they need
            matrix = np.vstack(rows)
            forced = matrix[:, :n_x] @ low_x[:n_x]
            reachable = np.clip(matrix[:, :n_x], 0, None) @ high_x[:n_x]
            upper = list(np.maximum(upper, forced))
            lower = list(np.minimum(lower, reachable))
        result = milp(c, integrality=np.concatenate([np.ones(n_x), np.zeros(n_y)]),
                      bounds=Bounds(low_x, high_x),
                      constraints=LinearConstraint(sp.csr_matrix(np.vstack(rows)), lower, upper),
                      options={"time_limit": float(time_limit), "mip_rel_gap": 0.0, "disp": False})
        if result.x is None:
            holding = f" with the staff overrides held ({sorted(held)})" if held else ""
            raise SupportError(f"No selection satisfies the budget and the fairness constraints{holding} "
                               f"({result.message}). Loosen a min_share or raise the budget.")
        chosen[usable[result.x[:n_x] > 0.5]] = True
        status = "optimal" if result.status == 0 else f"time limit ({result.message})"
    decisions = _reasons(frame, chosen, budget, max_per_firm, fairness, memberships)
    if held:
        decisions = decisions.assign(held=held_in | held_out)
    return SupportSelection(decisions, selection_objective(frame, chosen), int(cost[chosen].sum()), int(budget),
                            status, time.perf_counter() - started, tuple(fairness), held)


def _million(vnd: float, lang: str) -> str:
    """Millions of VND for people (the one number format: ``1.485 tr.đ`` in vi, ``1,485 million VND`` in en)."""
    return f"{format_number(vnd / 1e6, lang)} tr.đ" if lang == "vi" else f"{format_number(vnd / 1e6, lang)} million VND"


def _reasons(frame: pd.DataFrame, chosen: np.ndarray, budget: int, max_per_firm: int | None,
             fairness: Sequence[FairnessRule], memberships: dict) -> pd.DataFrame:
    """Each nomination's decision and reason, read off the constraints at the solution."""
    cost = frame["cost"].to_numpy(float)
    value = frame["value"].to_numpy(float)
    firm_of = frame["firm_id"].astype(str).to_numpy()
    spent = float(cost[chosen].sum())
    per_billion = value / cost * 1e9
    lowest = float(per_billion[chosen].min()) if chosen.any() else None
    spent_by_firm = pd.Series(cost[chosen]).groupby(firm_of[chosen]).sum().to_dict()
    order = np.argsort(-per_billion[chosen], kind="stable")
    rank = np.zeros(len(frame), dtype=int)
    rank[np.flatnonzero(chosen)[order]] = np.arange(1, int(chosen.sum()) + 1)
    codes, vi, en = [], [], []
    for i in range(len(frame)):
        ratio_vi, ratio_en = (format_number(per_billion[i], lang, 2) for lang in ("vi", "en"))
        if chosen[i]:
            codes.append("selected")
            vi.append(f"Được chọn (hạng {rank[i]}): giá trị {format_number(value[i], 'vi', 2)}, {ratio_vi} điểm/tỷ đồng")
            en.append(f"Selected (rank {rank[i]}): value {format_number(value[i], 'en', 2)}, {ratio_en} points per billion VND")
            continue
        if not frame.at[i, "eligible"]:
            rule = str(frame.at[i, "rule"]) if "rule" in frame else ""
            codes.append(f"ineligible:{rule}" if rule else "ineligible")
            vi.append(f"Không đủ điều kiện — {frame.at[i, 'rule_vi']}" if "rule_vi" in frame else "Không đủ điều kiện")
            en.append(f"Ineligible — {frame.at[i, 'rule_en']}" if "rule_en" in frame else "Ineligible")
            continue
        if value[i] <= 0:
            codes.append("no_value")
            vi.append("Không đóng góp cho mục tiêu (không thêm DN đạt chuẩn quốc tế, không mở thêm nhu cầu)")
            en.append("No contribution (no firm newly meeting international standards, no demand unlocked)")
            continue
        mine = spent_by_firm.get(firm_of[i], 0.0)
        if max_per_firm is not None and mine + cost[i] > max_per_firm:
            codes.append("firm_cap")
            vi.append(f"Doanh nghiệp đã đạt mức tối đa: đã chọn {_million(mine, 'vi')}, thêm {_million(cost[i], 'vi')} "
                      f"vượt {_million(max_per_firm, 'vi')}")
            en.append(f"Firm cap reached: {_million(mine, 'en')} selected, {_million(cost[i], 'en')} more exceeds "
                      f"{_million(max_per_firm, 'en')}")
            continue
        capped = _fairness_cap(i, frame, chosen, cost, budget, fairness, memberships)
        if capped is not None:
            rule, group, used = capped
            codes.append("fairness_cap")
            vi.append(f"Đã đạt trần công bằng ({rule.describe('vi')}): {group} đã có {_million(used, 'vi')}")
            en.append(f"Fairness cap reached ({rule.describe('en')}): {group} already has {_million(used, 'en')}")
            continue
        left = budget - spent
        if left >= cost[i]:  # only when HiGHS stopped early: every constraint above would allow it
            codes.append("not_chosen")
            vi.append("Chưa chọn: bộ giải dừng trước khi chứng minh tối ưu")
            en.append("Not chosen: the solver stopped before proving optimality")
            continue
        codes.append("over_budget")
        if lowest is not None and per_billion[i] < lowest:
            vi.append(f"Vượt ngân sách còn lại ({_million(left, 'vi')} < {_million(cost[i], 'vi')}); giá trị/đồng {ratio_vi} "
                      f"thấp hơn mức thấp nhất được chọn {format_number(lowest, 'vi', 2)} điểm/tỷ đồng")
            en.append(f"Over the remaining budget ({_million(left, 'en')} < {_million(cost[i], 'en')}); value per VND {ratio_en} "
                      f"lower than the last selected, {format_number(lowest, 'en', 2)} points per billion VND")
        else:
            vi.append(f"Vượt ngân sách còn lại ({_million(left, 'vi')} < {_million(cost[i], 'vi')}); tổ hợp được chọn "
                      "cho tổng giá trị cao hơn")
            en.append(f"Over the remaining budget ({_million(left, 'en')} < {_million(cost[i], 'en')}); the selected "
                      "combination gives more value in all")
    return frame.assign(selected=chosen, rank=rank, value_per_billion=per_billion.round(4),
                        reason_code=codes, reason_vi=vi, reason_en=en)


def _fairness_cap(i: int, frame: pd.DataFrame, chosen: np.ndarray, cost: np.ndarray, budget: int,
                  fairness: Sequence[FairnessRule], memberships: dict):
    """(rule, group, VND already there) of a fairness maximum that adding ``i`` would break, else None."""
    for rule in fairness:
        if rule.max_share is None:
            continue
        member = memberships[rule]
        for group in sorted(member[i]):
            if rule.groups and group not in rule.groups:
                continue
            used = float(sum(cost[j] for j in np.flatnonzero(chosen) if group in member[j]))
            if used + cost[i] > rule.max_share * budget + 1e-6:
                return rule, group, used
    return None
