"""The support selection: exact (brute force on small rounds), within every constraint, a reason for all."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.exceptions import SupportError
from matching.support import FairnessRule, select_support, selection_objective

DISTRICTS = ["Đông Anh", "Gia Lâm", "Sóc Sơn"]


def _round(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    firms = [f"F{i}" for i in rng.integers(0, max(2, n - 2), n)]
    target = rng.integers(0, 2, n) * 1.0
    return pd.DataFrame({
        "nomination_id": [f"N{i:02d}" for i in range(n)], "firm_id": firms,
        "cost": rng.integers(1, 10, n) * 10_000_000,
        "target_value": target, "value": target + rng.integers(0, 6, n) * 0.1,
        "eligible": rng.random(n) > 0.15,
        "rule": "", "rule_vi": "", "rule_en": "",
        "district": [DISTRICTS[firms_i % 3] for firms_i in (int(f[1:]) for f in firms)],
        "sectors": ["mechanical;electronics" if int(f[1:]) % 2 else "mechanical" for f in firms],
    })


def _feasible(frame: pd.DataFrame, chosen: np.ndarray, budget: int, max_per_firm, fairness) -> bool:
    cost = frame["cost"].to_numpy()
    if not frame["eligible"].to_numpy()[chosen].all() or cost[chosen].sum() > budget:
        return False
    if max_per_firm is not None and (pd.Series(cost[chosen]).groupby(frame["firm_id"].to_numpy()[chosen]).sum()
                                     > max_per_firm).any():
        return False
    for rule in fairness:
        column = "district" if rule.by == "district" else "sectors"
        groups = rule.groups or sorted({g for cell in frame[column] for g in cell.split(";")})
        for g in groups:
            inside = frame[column].map(lambda cell, g=g: g in cell.split(";")).to_numpy()
            spent = cost[chosen & inside].sum()
            if rule.max_share is not None and spent > rule.max_share * budget + 1e-6:
                return False
            if rule.min_share is not None and spent < rule.min_share * budget - 1e-6:
                return False
    return True


def _brute_force(frame, budget, max_per_firm=None, fairness=()) -> float:
    best = -np.inf
    n = len(frame)
    for bits in itertools.product([False, True], repeat=n):
        chosen = np.array(bits, dtype=bool)
        if _feasible(frame, chosen, budget, max_per_firm, fairness):
            best = max(best, selection_objective(frame, chosen))
    return best


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 9), budget_tenths=st.integers(1, 30),
       firm_cap=st.sampled_from([None, 50_000_000, 120_000_000]),
       district_share=st.sampled_from([None, 0.4, 0.6]))
def test_objective_equals_brute_force_on_small_rounds(seed, n, budget_tenths, firm_cap, district_share):
    frame = _round(seed, n)
    budget = budget_tenths * 10_000_000
    fairness = [FairnessRule("district", max_share=district_share)] if district_share else []
    selection = select_support(frame, budget, max_per_firm=firm_cap, fairness=fairness)
    chosen = selection.decisions["selected"].to_numpy()
    assert _feasible(frame, chosen, budget, firm_cap, fairness)
    assert selection.objective == pytest.approx(_brute_force(frame, budget, firm_cap, fairness), abs=1e-6)
    assert selection.decisions["reason_vi"].str.len().gt(0).all()
    assert selection.decisions["reason_en"].str.len().gt(0).all()


def test_target_counts_a_firm_once():
    frame = pd.DataFrame({"nomination_id": ["A", "B", "C"], "firm_id": ["F1", "F1", "F2"],
                          "cost": [10, 10, 10], "target_value": [1.0, 1.0, 1.0], "value": [1.0, 1.0, 1.0],
                          "eligible": True})
    selection = select_support(frame, 20)
    assert selection.objective == pytest.approx(2.0)
    assert set(selection.decisions.loc[selection.decisions["selected"], "firm_id"]) == {"F1", "F2"}


def test_fairness_cap_holds_and_is_the_reason():
    # Three equally good Đông Anh nominations, one weaker elsewhere: at most 40% of 100 per district.
    frame = pd.DataFrame({"nomination_id": ["A", "B", "C", "D"], "firm_id": ["F1", "F2", "F3", "F4"],
                          "cost": [20, 20, 20, 20], "value": [1.0, 1.0, 1.0, 0.2], "eligible": True,
                          "district": ["Đông Anh", "Đông Anh", "Đông Anh", "Gia Lâm"], "sectors": "mechanical"})
    selection = select_support(frame, 100, fairness=[FairnessRule("district", max_share=0.4)])
    d = selection.decisions.set_index("nomination_id")
    assert d.loc[["A", "B", "C"], "selected"].sum() == 2
    assert d.loc["D", "selected"]
    (left_out,) = d.index[~d["selected"]]
    assert d.loc[left_out, "reason_code"] == "fairness_cap"
    assert "Đông Anh" in d.loc[left_out, "reason_vi"]


def test_min_share_by_sector_is_honoured():
    frame = pd.DataFrame({"nomination_id": ["A", "B", "C"], "firm_id": ["F1", "F2", "F3"],
                          "cost": [50, 50, 50], "value": [3.0, 2.0, 0.1], "eligible": True,
                          "district": "X", "sectors": ["mechanical", "mechanical", "textiles"]})
    rule = FairnessRule("sector", min_share=0.3, groups=("textiles",))
    selection = select_support(frame, 100, fairness=[rule])
    assert selection.decisions.set_index("nomination_id")["selected"].to_dict() == {"A": True, "B": False, "C": True}


def test_impossible_min_share_is_an_error_naming_the_group():
    frame = pd.DataFrame({"nomination_id": ["A"], "firm_id": ["F1"], "cost": [10], "value": [1.0],
                          "eligible": True, "district": "X", "sectors": "mechanical"})
    with pytest.raises(SupportError, match="'textiles' is owed"):
        select_support(frame, 100, fairness=[FairnessRule("sector", min_share=0.5, groups=("textiles",))])


def test_reasons_name_budget_value_per_vnd_and_firm_cap():
    frame = pd.DataFrame({"nomination_id": ["A", "B", "C", "D", "E"], "firm_id": ["F1", "F2", "F3", "F4", "F5"],
                          "cost": [50, 50, 60, 200, 10], "value": [2.0, 1.5, 0.3, 9.0, 0.0],
                          "eligible": [True, True, True, True, True],
                          "rule": "", "rule_vi": "", "rule_en": ""})
    d = select_support(frame, 100, max_per_firm=150).decisions.set_index("nomination_id")
    assert d.loc["A", "reason_code"] == d.loc["B", "reason_code"] == "selected"
    assert d.loc["C", "reason_code"] == "over_budget" and "thấp hơn mức thấp nhất" in d.loc["C", "reason_vi"]
    assert d.loc["D", "reason_code"] == "firm_cap"
    assert d.loc["E", "reason_code"] == "no_value"
    assert d.loc["A", "rank"] == 1 and d.loc["B", "rank"] == 2


def test_bad_parameters_say_what_was_expected():
    frame = pd.DataFrame({"nomination_id": ["A"], "firm_id": ["F1"], "cost": [10], "value": [1.0], "eligible": True})
    with pytest.raises(SupportError, match="budget > 0"):
        select_support(frame, 0)
    with pytest.raises(SupportError, match="max_share between 0 and 1"):
        select_support(frame, 10, fairness=[FairnessRule("district", max_share=1.5)])
    with pytest.raises(SupportError, match="lacks \\['value'\\]"):
        select_support(frame.drop(columns="value"), 10)


def test_reasons_write_figures_the_way_of_each_language():
    """Vietnamese reasons: 1.485 tr.đ and 2,22 điểm/tỷ đồng; English: 1,485 million VND and 2.22 points."""
    import re

    from matching.support.selection import _million

    assert _million(1_485_000_000, "vi") == "1.485 tr.đ"
    assert _million(1_485_000_000, "en") == "1,485 million VND"
    frame = _round(3, 8)
    decisions = select_support(frame, budget=int(frame["cost"].sum() // 2)).decisions
    vi, en = " ".join(decisions["reason_vi"]), " ".join(decisions["reason_en"])
    assert re.search(r"\d,\d\d điểm/tỷ đồng", vi) and not re.search(r"\d\.\d\d điểm", vi)
    assert re.search(r"\d\.\d\d points per billion VND", en)


def _three(**columns) -> pd.DataFrame:
    """A (60, value 3), B (50, 2), C (50, 2) in districts X, Y, X; budget 100 buys B and C."""
    frame = pd.DataFrame({"nomination_id": ["A", "B", "C"], "firm_id": ["F1", "F2", "F3"], "cost": [60, 50, 50],
                          "value": [3.0, 2.0, 2.0], "eligible": True, "district": ["X", "Y", "X"]})
    return frame.assign(**columns)


def _chosen(selection) -> list[str]:
    return selection.decisions.loc[selection.decisions["selected"], "nomination_id"].tolist()


def test_held_nominations_stay_as_staff_decided_and_the_rest_is_chosen_around_them():
    assert _chosen(select_support(_three(), 100)) == ["B", "C"]
    # A held in: 40 VND left, neither B nor C fits
    held_in = select_support(_three(), 100, held={"A": True})
    assert _chosen(held_in) == ["A"] and held_in.decisions["held"].tolist() == [True, False, False]
    # B held out: A (3) beats C (2), both do not fit
    assert _chosen(select_support(_three(), 100, held={"B": False})) == ["A"]
    # a held nomination may pass a fairness share (the override said why), the others may not:
    # X at most 50 % of 200; A (120, X) alone passes it, so only B joins it
    rule = [FairnessRule("district", max_share=0.5)]
    frame = _three(cost=[120, 50, 50])
    assert _chosen(select_support(frame, 200, fairness=rule)) == ["B", "C"]
    assert _chosen(select_support(frame, 200, fairness=rule, held={"A": True})) == ["A", "B"]


def test_an_ineligible_nomination_is_never_held_in_and_unknown_ones_are_named():
    frame = _three(eligible=[False, True, True], rule=["tax_code", "", ""], rule_vi="x", rule_en="x")
    selection = select_support(frame, 100, held={"A": True})
    assert _chosen(selection) == ["B", "C"] and selection.decisions["held"].tolist() == [False, False, False]
    with pytest.raises(SupportError, match=r"held names nominations not in the table: \['Z'\]"):
        select_support(_three(), 100, held={"Z": True})
