"""Gaps in words, and best upgrades verified by re-scoring a refitted matcher."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from features.certifications import Certification
from matching import HyperParameterError, NeedQuery, SupplierMatcher
from tests.matching.conftest import AS_OF, fit_demo, make_firm, make_profiles

STAMPING = "Dập kim loại tấm, hàn, sơn tĩnh điện linh kiện ô tô"


def _firms(extra_cert_for_f5: bool = False):
    firms = [
        make_firm(f"F{i}", text=STAMPING, processes=("stamping", "welding", "powder_coating"),
                  materials=("carbon_steel",), monthly_capacity=10000.0, completeness=0.9,
                  certifications=(("iatf_16949", date(2027, 6, 30), True),))
        for i in range(1, 4)
    ]
    certs = (("iso_9001", date(2027, 1, 31), True),)
    if extra_cert_for_f5:
        certs += (Certification("iatf_16949"),)  # what apply_upgrade adds: valid, self-declared
    firms.append(make_firm("F4", text="Dập kim loại tấm", processes=("stamping",), monthly_capacity=2000.0,
                           completeness=0.3))
    firms.append(make_firm("F5", text=STAMPING, processes=("stamping", "welding"), materials=("carbon_steel",),
                           monthly_capacity=10000.0, completeness=0.95, certifications=certs))
    firms.append(make_firm("F6", text="May mặc", processes=("sewing",)))
    return make_profiles(*firms)


def _needs():
    return [
        NeedQuery("N-1", text="dập kim loại tấm ô tô", processes=("stamping",),
                  mandatory_certifications=("iatf_16949",), as_of=AS_OF),
        NeedQuery("N-2", text="hàn linh kiện ô tô", processes=("welding",), materials=("carbon_steel",),
                  mandatory_certifications=("iatf_16949",), as_of=AS_OF),
        NeedQuery("N-3", text="dập và sơn tĩnh điện", processes=("stamping", "powder_coating"), as_of=AS_OF),
        NeedQuery("N-4", text="may áo", processes=("sewing",), as_of=AS_OF),
    ]


def test_gaps_say_what_is_missing_in_both_languages():
    matcher = SupplierMatcher(geocode=False).fit(_firms())
    gaps = matcher.gaps("F5", _needs()[0])
    assert gaps[0].blocking and gaps[0].vi == "không có IATF 16949 (bắt buộc)"
    assert gaps[0].en == "no IATF 16949 (mandatory)"
    weak = matcher.gaps("F4", NeedQuery("N", processes=("stamping", "powder_coating"),
                                        preferred_certifications=("iso_14001",), target_capacity=5000.0,
                                        as_of=AS_OF))
    text = [str(g) for g in weak]
    assert not any(g.blocking for g in weak)
    assert "không có công nghệ Sơn tĩnh điện / no Powder coating process" in text, text
    assert "không có ISO 14001 (ưu tiên) / no ISO 14001 (preferred)" in text
    assert "công suất 2.000/tháng < 5.000 / capacity 2,000/month < 5,000" in text  # each language its separators
    assert matcher.gaps("F1", _needs()[0]) == []


def test_best_upgrade_is_verified_by_rescoring_a_refitted_matcher():
    needs = _needs()
    k = 4  # F1-F3 fill three places; F5 can take the fourth once it passes the constraint
    matcher = SupplierMatcher(geocode=False).fit(_firms(), needs=needs)
    upgrades = matcher.best_upgrades("F5", top=5, k=k)
    best = upgrades.iloc[0]
    assert (best["kind"], best["code"]) == ("certification", "iatf_16949")
    assert best["label_vi"] == "thêm IATF 16949" and best["label_en"] == "add IATF 16949"
    assert best["new_shortlists"] == 2 and best["needs"] == ["N-1", "N-2"]

    def shortlisted(m):
        ranked = m.rank(needs, k=k)
        return set(ranked.loc[ranked["firm_id"] == "F5", "need_id"])

    before = shortlisted(matcher)
    after = shortlisted(SupplierMatcher(geocode=False).fit(_firms(extra_cert_for_f5=True)))
    assert after - before == set(best["needs"])
    # Every returned upgrade is counted against the same baseline.
    assert (upgrades["new_shortlists"] >= 1).all()
    assert upgrades["new_shortlists"].is_monotonic_decreasing


def test_best_upgrades_of_a_process_and_capacity():
    needs = [NeedQuery("N-5", text="sơn tĩnh điện", processes=("powder_coating",), min_monthly_capacity=5000.0,
                       as_of=AS_OF)]
    matcher = SupplierMatcher(geocode=False).fit(_firms())
    upgrades = matcher.best_upgrades("F4", needs=needs, k=3)
    # F4 needs both the process (to beat F5) and the capacity (constraint): no single change suffices.
    assert upgrades.empty
    upgrades = matcher.best_upgrades("F5", needs=needs, k=4)
    assert upgrades.empty  # already on the list of four
    upgrades = matcher.best_upgrades("F5", needs=needs, k=3)
    assert upgrades[["kind", "code", "new_shortlists"]].values.tolist() == [["process", "powder_coating", 1]]
    # Re-scored: F5 with the process beats F1-F3 (same text, higher completeness).
    changed = _firms()
    changed.at["F5", "processes"] = ("powder_coating", "stamping", "welding")
    ranked = SupplierMatcher(geocode=False).fit(changed).rank(needs, k=3)
    assert ranked["firm_id"].iloc[0] == "F5"


def test_best_upgrades_needs_open_needs_and_a_valid_top():
    matcher = SupplierMatcher(geocode=False).fit(_firms())
    with pytest.raises(HyperParameterError, match="set_needs"):
        matcher.best_upgrades("F5")
    with pytest.raises(HyperParameterError, match="top=0"):
        matcher.best_upgrades("F5", needs=_needs(), top=0)
    assert isinstance(matcher.set_needs(pd.DataFrame({"need_id": ["N-9"], "title": ["ép nhựa"],
                                                      "status": ["closed"]})).needs_, list)
    assert matcher.needs_ == []


def _upgraded(profiles: pd.DataFrame, firm_id: str, kind: str, code: str, taxonomy) -> pd.DataFrame:
    """The profile table with one upgrade written into the firm's row, as an import would store it."""
    changed = profiles.copy()
    row = changed.loc[firm_id]
    if kind == "certification":
        changed.at[firm_id, "certifications"] = (*row["certifications"], Certification(code))
    elif kind == "process":
        changed.at[firm_id, "processes"] = tuple(sorted({*row["processes"], code, *taxonomy.ancestors(code)}))
        changed.at[firm_id, "evidence"] = {**(row["evidence"] or {}), code: code}
    elif kind == "material":
        changed.at[firm_id, "materials"] = tuple(sorted({*row["materials"], code}))
    else:
        raise AssertionError(f"upgrade kind {kind} is not written by this helper")
    return changed


def _shortlisted(matcher, firm_id: str, k: int) -> set[str]:
    ranked = matcher.rank(matcher.needs_, k=k)
    return set(ranked.loc[ranked["firm_id"] == firm_id, "need_id"])


@pytest.mark.parametrize("firm_id", ["F0100", "F0400", "F0555", "F0020", "F0250"])
def test_every_claimed_shortlist_of_the_demo_upgrades_holds_after_a_refit(
        firm_id, demo_matcher, demo_profiles, demo_buyers, demo_needs):
    """Issue #4: claims such as F0100 'add ISO 3834 -> N-0209' did not hold after a refit."""
    from features.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    k = 10
    before = _shortlisted(demo_matcher, firm_id, k)
    upgrades = demo_matcher.best_upgrades(firm_id, top=3, k=k)
    for _, upgrade in upgrades.iterrows():
        if upgrade["kind"] == "capacity":
            profiles = demo_profiles.copy()
            profiles.at[firm_id, "monthly_capacity"] = float(upgrade["label_en"].split()[2].replace(",", ""))
        else:
            profiles = _upgraded(demo_profiles, firm_id, upgrade["kind"], upgrade["code"], taxonomy)
        refitted = fit_demo(profiles, demo_buyers, demo_needs)
        gained = _shortlisted(refitted, firm_id, k) - before
        assert gained == set(upgrade["needs"]), (firm_id, upgrade["label_en"], sorted(gained))
