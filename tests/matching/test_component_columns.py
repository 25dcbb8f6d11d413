"""Components own their firm columns (issue 9): each component's fit step builds the columns it
alone reads, the matcher stores them under its name, so a new component is one class and its
weight; and a component's reasons come from the rule that gives its value."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pandas as pd
import pytest

from matching import HyperParameterError, NeedQuery, ProcessFit, SupplierMatcher, default_components
from matching.components import CapacityFit, CertificationFit, Component, MaterialFit, Reason
from matching.matcher import DEFAULT_WEIGHTS
from tests.matching.conftest import AS_OF, make_firm, make_need, make_profiles
from tests.matching.test_components import _random_profiles


class Staff(Component):
    """Headcount against 200 people, from the profile's ``employees``: a column no built-in
    component reads, so the matcher's own fit never builds it."""

    name = "staff"
    cheap = True

    def fit_columns(self, profiles, firms):
        employees = pd.to_numeric(profiles["employees"], errors="coerce").to_numpy(float)
        return {"share": np.minimum(1.0, np.nan_to_num(employees) / 200.0)}

    def values(self, firms, query, rows):
        return self.own(firms)["share"][rows]

    def reasons(self, firms, query, row):
        share = float(self.values(firms, query, np.array([row]))[0])  # the value's own rule
        return [Reason(self.name, f"quy mô {share:.0%}", f"headcount {share:.0%} of 200", positive=share >= 0.5)]


HEADCOUNTS = {"F0001": 20.0, "F0002": 400.0, "F0003": math.nan, "F0004": 120.0}


def _staff_matcher(weight: float = 0.5) -> SupplierMatcher:
    firms = [make_firm(firm_id, text="Phay CNC vỏ nhôm", processes=("cnc_milling",), employees=staff,
                       monthly_capacity=1000.0 if firm_id == "F0004" else math.nan)
             for firm_id, staff in HEADCOUNTS.items()]
    return SupplierMatcher(geocode=False, components=[*default_components(), Staff()],
                           weights={**DEFAULT_WEIGHTS, "staff": weight}).fit(make_profiles(*firms))


def test_a_new_component_is_one_class_and_its_weight_in_rank_and_explain():
    matcher = _staff_matcher()
    need = make_need(title="Phay CNC vỏ nhôm", processes="cnc_milling")
    ranked = matcher.rank(need, k=4, today=AS_OF)
    # The firms are alike but for their headcount: the component alone orders them.
    assert list(ranked["firm_id"]) == ["F0002", "F0004", "F0001", "F0003"]
    np.testing.assert_array_equal(ranked["staff"], [0.5 * 1.0, 0.5 * 0.6, 0.5 * 0.1, 0.0])
    explanation = matcher.explain(need, "F0004", today=AS_OF)
    assert explanation.values["staff"] == 0.6 and explanation.contributions["staff"] == 0.5 * 0.6
    assert explanation.score == ranked.loc[ranked["firm_id"] == "F0004", "score"].item()
    staff = [r for r in explanation.reasons if r.component == "staff"]
    assert [(r.en, r.positive) for r in staff] == [("headcount 60% of 200", True)]
    small = [r for r in matcher.explain(need, "F0001", today=AS_OF).reasons if r.component == "staff"]
    assert [(r.en, r.positive) for r in small] == [("headcount 10% of 200", False)]


def test_a_new_component_works_on_the_one_firm_copies_of_gaps():
    matcher = _staff_matcher()
    needs = [make_need(need_id="N-1", title="Phay CNC vỏ nhôm", processes="cnc_milling", min_monthly_capacity="500")]
    # best_upgrades scores a changed one-firm copy of the arrays: its row of the own columns.
    upgrades = matcher.best_upgrades("F0002", needs=needs, k=1)
    assert list(upgrades["kind"]) == ["capacity"] and upgrades["needs"].iloc[0] == ["N-1"]
    gaps = [g for g in matcher.gaps("F0001", needs[0]) if g.component == "staff"]
    assert [g.en for g in gaps] == ["headcount 10% of 200"]


def test_each_component_finds_its_own_columns_under_its_name():
    matcher = _staff_matcher()
    own = matcher.firms_.own.by_component
    assert set(own) == {c.name for c in matcher.components_}
    assert set(own["staff"]) == {"share"} and set(own["text"]) == {"raw_text"} and set(own["experience"]) == {"base"}
    for columns in own.values():
        assert all(len(column) == matcher.n_firms_fit_ for column in columns.values())


def test_a_component_without_its_columns_says_how_to_fix_it():
    matcher = SupplierMatcher(geocode=False).fit(_random_profiles(n=20))
    ctx = matcher._context(NeedQuery("N", text="phay", as_of=AS_OF))
    with pytest.raises(HyperParameterError, match="Fit the matcher with this component among its components"):
        Staff().values(matcher.firms_, ctx, np.arange(3))


class _Columns(Component):
    name = "broken"

    def __init__(self, columns=None):
        self.columns = columns

    def fit_columns(self, profiles, firms):
        return self.columns

    def values(self, firms, query, rows):
        return np.zeros(len(firms))[rows]


@pytest.mark.parametrize(("columns", "message"), [
    ({"share": np.zeros(3)}, r"expected column 'share' with one row per firm \(20\), got shape \(3,\)"),
    ({"share": 1.0}, r"expected column 'share' with one row per firm \(20\), got shape \(\)"),
    ([np.zeros(20)], r"expected a dict column name -> array, got list"),
])
def test_columns_of_the_wrong_shape_are_refused_at_fit_with_the_component_named(columns, message):
    matcher = SupplierMatcher(geocode=False, components=[*default_components(), _Columns(columns)])
    with pytest.raises(HyperParameterError, match=r"^_Columns\.fit_columns: " + message):
        matcher.fit(_random_profiles(n=20))


class _NamesEverything(ProcessFit):
    """ProcessFit on arrays where every firm names every process itself (a changed rule)."""

    def _levels(self, firms, code, rows):
        level = super()._levels(firms, code, rows)
        return None if level is None else level | np.uint8(4)


def test_process_reasons_come_from_the_rule_that_gives_the_value():
    firms = make_profiles(make_firm("F1", text="hàn", processes=("welding",)), make_firm("F2", text="dập"))
    matcher = SupplierMatcher(geocode=False, components=[_NamesEverything()], weights={"process_fit": 1.0}).fit(firms)
    ctx = matcher._context(NeedQuery("N", processes=("cnc_milling",), as_of=AS_OF))
    component = matcher.components_[0]
    assert component.values(matcher.firms_, ctx, np.array([0]))[0] == 1.0
    # The reason follows the changed rule: it reads the same credit, not a second definition.
    (reason,) = component.reasons(matcher.firms_, ctx, 0)
    assert reason.positive and reason.en == "CNC milling"


def test_process_credit_of_each_code_is_its_share_of_the_value():
    matcher = SupplierMatcher(geocode=False).fit(_random_profiles(seed=3, n=80))
    rows = np.arange(matcher.n_firms_fit_)
    for codes in [("cnc_machining",), ("cnc_milling", "welding"), ("cnc_turning", "cnc_machining", "stamping")]:
        ctx = matcher._context(NeedQuery("N", processes=codes, as_of=AS_OF))
        for component in (ProcessFit(), ProcessFit(specialised=0.3, generic=0.9)):
            total = sum(component.code_credit(matcher.firms_, code, rows) for code in codes)
            np.testing.assert_array_equal(total / len(codes), component.values(matcher.firms_, ctx, rows))
            for code in codes:
                np.testing.assert_array_equal(component.code_credit(matcher.firms_, code, rows),
                                              component._code_values(matcher.firms_, code, rows))


@pytest.mark.parametrize("materials", [("aluminium",), ("aluminium", "abs", "no_such_material"), ("pc", "abs")])
def test_material_credit_of_each_code_is_its_share_of_the_value_and_its_reason(materials):
    matcher = SupplierMatcher(geocode=False).fit(_random_profiles(seed=4, n=80))
    rows = np.arange(matcher.n_firms_fit_)
    ctx = matcher._context(NeedQuery("N", materials=materials, as_of=AS_OF))
    component = MaterialFit()
    credits = [component.code_credit(matcher.firms_, code, rows) for code in materials]
    np.testing.assert_array_equal(sum(credits) / len(materials), component.values(matcher.firms_, ctx, rows))
    for row in rows:
        said = [reason.positive for reason in component.reasons(matcher.firms_, ctx, int(row))]
        assert said == [bool(credit[row] == 1.0) for credit in credits]


def test_capacity_reason_says_what_the_value_credits():
    firm = make_firm("F1", text="dập", monthly_capacity=300.0)
    matcher = SupplierMatcher(geocode=False).fit(make_profiles(firm, make_firm("F2", text="hàn")))
    component = CapacityFit()
    for target, full in [(200.0, True), (300.0, True), (301.0, False), (-500.0, False)]:
        ctx = matcher._context(NeedQuery("N", text="dập", target_capacity=target, as_of=AS_OF))
        value = np.clip(component.values(matcher.firms_, ctx, np.array([0])), 0.0, 1.0)[0]
        (reason,) = component.reasons(matcher.firms_, ctx, 0)
        assert reason.positive is full and bool(value == 1.0) is full, target


def test_arrays_pickled_before_components_owned_columns_still_rank_and_explain_the_same():
    matcher = SupplierMatcher(geocode=False).fit(_random_profiles(seed=5, n=60))
    needs = [make_need(need_id=f"N-{i}", title=title, buyer_country="JP")
             for i, title in enumerate(["phay CNC nhôm", "ép nhựa khuôn", "hàn dập"])]
    expected = matcher.rank(needs, k=8, today=AS_OF)
    explained = [matcher.explain(needs[0], firm, today=AS_OF) for firm in expected["firm_id"][:5]]
    # The state such a file holds: the matcher built raw_text and experience_base, no own columns.
    old = copy.deepcopy(matcher)
    state = old.firms_.__dict__
    own = state.pop("own").by_component
    state["raw_text"], state["experience_base"] = own["text"]["raw_text"], own["experience"]["base"]
    loaded = pickle.loads(pickle.dumps(old))
    assert set(loaded.firms_.own.by_component) == {"text", "experience"} and "raw_text" not in loaded.firms_.__dict__
    pd.testing.assert_frame_equal(loaded.rank(needs, k=8, today=AS_OF), expected, check_exact=True)
    assert [loaded.explain(needs[0], e.firm_id, today=AS_OF) for e in explained] == explained


def test_certificate_reasons_read_the_periods_as_the_value_does():
    matcher = SupplierMatcher(geocode=False).fit(_random_profiles(seed=9, n=120))
    firms, rows = matcher.firms_, np.arange(matcher.n_firms_fit_)
    days = [AS_OF.toordinal() + offset for offset in (-900, -200, 0, 180, 400, 1200)]
    seen = set()
    for code in ("iso_9001", "iatf_16949", "iso_13485", "iso_14001"):
        for day in days:
            valid, verified = CertificationFit._in_force(firms, code, rows, float(day))
            answers = [CertificationFit.status(firms, code, int(row), float(day)) for row in rows]
            assert [a.valid for a in answers] == valid.tolist()
            assert [a.valid and a.verified for a in answers] == verified.tolist()
            seen |= {(a.status, a.verified) for a in answers}
    # The answers met: held (verified or not), expired, lacking (these firms state no start dates).
    assert {s for s, _ in seen} == {"held", "expired", "lacking"} and {v for _, v in seen} == {True, False}
