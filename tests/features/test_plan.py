"""features.plan: a firm's step towards the plan's international-standard figure, and the figure
over several days, both by the one validity rule (the counts of `cnht demo` and GET /kpi)."""

from __future__ import annotations

import doctest
from datetime import date
from pathlib import Path

import pytest

import features.plan
from features.certifications import valid_codes
from features.plan import PLAN_STEPS, PlanStep, international_counts, plan_step

ROOT = Path(__file__).resolve().parents[2]
ON = date(2026, 6, 1)


def test_doctests():
    assert doctest.testmod(features.plan).failed == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ISO 9001:2015 hiệu lực đến 31/03/2027; ISO 14001 hiệu lực đến 31/12/2028",
         PlanStep("counted", "iso_14001", date(2028, 12, 31))),
        ("ISO 9001:2015", PlanStep("counted", "iso_9001", None)),  # no end stated: valid until superseded
        ("IATF 16949 cấp ngày 01/09/2026", PlanStep("pending", "iatf_16949", date(2026, 9, 1))),
        ("ISO 14001 hết hạn 12/2025; ISO 9001 hết hạn 06/2024",
         PlanStep("lapsed_recently", "iso_14001", date(2025, 12, 31))),
        ("ISO 9001 hết hạn 05/2025", PlanStep("lapsed", "iso_9001", date(2025, 5, 31))),
        ("IATF 16949 đã bị thu hồi", PlanStep("revoked", "iatf_16949")),
        ("amfori BSCI", PlanStep("other_certificate", "amfori_bsci")),
        ("Không có ISO 14001", PlanStep("none")),
        ("", PlanStep("none")),
    ],
)
def test_plan_step(text, expected):
    assert plan_step(text, on=ON) == expected


def test_a_recent_lapse_is_within_the_window():
    text = "ISO 9001 hiệu lực đến 31/05/2025"
    assert plan_step(text, on=ON, recent_days=366).step == "lapsed_recently"  # 31/05/2025 is 366 days before
    assert plan_step(text, on=ON, recent_days=365).step == "lapsed"


def test_steps_sort_closest_first():
    assert [PlanStep(s).rank for s in PLAN_STEPS] == list(range(len(PLAN_STEPS)))
    assert PlanStep("counted").counted and not PlanStep("pending").counted


@pytest.fixture(scope="module")
def demo_texts() -> list[str]:
    from features.ingest import read_firms

    firms = read_firms(ROOT / "data" / "demo" / "firms.csv").data.astype(object).fillna("")
    return firms["certifications"].tolist()[:200]


@pytest.mark.parametrize("on", [date(2024, 1, 31), date(2025, 12, 31), date(2026, 11, 30), date(2028, 1, 1)])
def test_counted_is_valid_codes_international(demo_texts, on):
    """The step says counted exactly for the firms `cnht demo` counts (valid_codes, international)."""
    steps = [plan_step(text, on=on) for text in demo_texts]
    counted = [bool(valid_codes(text, as_of=on, international_only=True)) for text in demo_texts]
    assert [s.counted for s in steps] == counted
    assert {s.step for s in steps} - set(PLAN_STEPS) == set()


def test_international_counts_are_valid_codes_on_each_day(demo_texts):
    days = [date(2024, 1, 31), date(2025, 6, 30), date(2026, 11, 30), date(2027, 12, 31)]
    expected = [sum(bool(valid_codes(t, as_of=d, international_only=True)) for t in demo_texts) for d in days]
    assert international_counts(demo_texts, days) == expected
    assert international_counts([], days) == [0, 0, 0, 0]
