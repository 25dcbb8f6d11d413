"""Hard constraints: exact, before scoring, and visible on request."""

from __future__ import annotations

from datetime import date

import pytest

from matching import NeedQuery, SupplierMatcher
from tests.matching.conftest import AS_OF, make_firm, make_profiles

TEXT = "Gia công cơ khí chính xác, phay CNC nhôm"


def _fit(*firms, **params) -> SupplierMatcher:
    return SupplierMatcher(geocode=False, **params).fit(make_profiles(*firms))


def _need(**fields) -> NeedQuery:
    base = {"need_id": "N-1", "text": "phay CNC nhôm", "processes": ("cnc_milling",), "as_of": AS_OF}
    base.update(fields)
    return NeedQuery(**base)


@pytest.fixture
def firms():
    return [
        # The best text and process match, but its mandatory ISO 9001 expired before the need.
        make_firm("F1", text=TEXT + " phay CNC phay CNC", processes=("cnc_milling", "cnc_machining"),
                  certifications=(("iso_9001", date(2025, 1, 31), True),), monthly_capacity=5000),
        make_firm("F2", text=TEXT, processes=("cnc_milling", "cnc_machining"),
                  certifications=(("iso_9001", date(2027, 3, 31), True),), monthly_capacity=800,
                  sectors=("electronics",)),
        make_firm("F3", text=TEXT, processes=("cnc_milling", "cnc_machining"),
                  certifications=(("iso_9001", date(2026, 12, 31)),), sectors=("automotive",)),
        make_firm("F4", text="May mặc xuất khẩu", processes=("sewing",)),
    ]


def test_expired_mandatory_certificate_is_never_ranked(firms):
    matcher = _fit(*firms)
    need = _need(mandatory_certifications=("iso_9001",))
    ranked = matcher.rank([need], k=4)
    assert "F1" not in set(ranked["firm_id"])
    assert set(ranked["firm_id"]) >= {"F2", "F3"}
    # On text alone F1 is the best match: the filter, not the score, removed it.
    text_only = _fit(*firms, weights={"text": 1.0})
    assert text_only.rank([_need()], k=1)["firm_id"].iloc[0] == "F1"
    assert "F1" not in set(text_only.rank([need], k=4)["firm_id"])


def test_filtered_firm_is_shown_on_request_with_its_constraint(firms):
    matcher = _fit(*firms)
    need = _need(mandatory_certifications=("iso_9001",))
    ranked = matcher.rank([need], k=4, include_filtered=True)
    row = ranked[ranked["firm_id"] == "F1"].iloc[0]
    assert row["failed"] == "certification"
    assert row["rank"] > ranked.loc[ranked["failed"] == "", "rank"].max()
    explanation = matcher.explain(need, "F1")
    assert not explanation.passes
    assert "hết hạn 01/2025" in explanation.failed[0].vi and "expired 01/2025" in explanation.failed[0].en


def test_certificate_valid_on_the_need_date_not_today(firms):
    matcher = _fit(*firms)
    old_need = _need(mandatory_certifications=("iso_9001",), as_of=date(2024, 12, 1))
    assert "F1" in set(matcher.rank([old_need], k=4)["firm_id"])


def test_minimum_capacity_unknown_capacity_fails(firms):
    matcher = _fit(*firms)
    ranked = matcher.rank([_need(min_monthly_capacity=1000.0)], k=4, include_filtered=True)
    failed = dict(zip(ranked["firm_id"], ranked["failed"], strict=True))
    assert failed["F1"] == ""
    assert failed["F2"] == "capacity"  # 800 < 1000
    assert failed["F3"] == "capacity"  # not stated
    assert "dưới mức tối thiểu 1.000" in matcher.explain(_need(min_monthly_capacity=1000.0), "F2").failed[0].vi


def test_sector_required_by_need_or_hyper_parameter(firms):
    need = _need(sectors=("electronics",))
    assert set(_fit(*firms).rank([need], k=4)["firm_id"]) >= {"F1", "F2", "F3"}
    assert set(_fit(*firms).rank([_need(sectors=("electronics",), require_sector=True)], k=4)["firm_id"]) == {"F2"}
    assert set(_fit(*firms, require_sector=True).rank([need], k=4)["firm_id"]) == {"F2"}
    # The need's own "no" wins over the hyper-parameter.
    loose = _need(sectors=("electronics",), require_sector=False)
    assert "F3" in set(_fit(*firms, require_sector=True).rank([loose], k=4)["firm_id"])


def test_exclusions(firms):
    ranked = _fit(*firms).rank([_need(exclude_firms=("F1", "F3"))], k=4)
    assert not {"F1", "F3"} & set(ranked["firm_id"])


def test_certificate_not_yet_valid(firms):
    from features.certifications import Certification

    later = make_firm("F5", text=TEXT, processes=("cnc_milling",),
                      certifications=(Certification("iso_9001", issued=date(2025, 9, 1)),))
    matcher = _fit(*firms, later)
    need = _need(mandatory_certifications=("iso_9001",))
    assert "F5" not in set(matcher.rank([need], k=5)["firm_id"])
    assert "chưa có hiệu lực" in matcher.explain(need, "F5").failed[0].vi


@pytest.mark.parametrize("minimum", [0.0, -300.0])
def test_minimum_capacity_zero_or_less_is_no_constraint(firms, minimum):
    """Issue 9: ``~(NaN >= 0)`` used to drop every firm with unknown capacity."""
    matcher = _fit(*firms)
    need = _need(min_monthly_capacity=minimum)
    ranked = matcher.rank([need], k=4, include_filtered=True)
    assert set(ranked["failed"]) == {""}
    assert matcher.explain(need, "F3").passes
