"""CertificationFit and the certification constraint follow the one validity rule of
features.certifications (issue 9): status, renewals, lapses, taxonomy labels and flags."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from features.certifications import Certification
from features.taxonomy import load_taxonomy
from matching import CertificationFit, NeedQuery, SupplierMatcher
from tests.matching.conftest import AS_OF, make_firm, make_profiles

TEXT = "Gia công cơ khí chính xác, phay CNC nhôm"


def _need(**fields) -> NeedQuery:
    base = {"need_id": "N-1", "text": "phay CNC nhôm", "as_of": AS_OF}
    base.update(fields)
    return NeedQuery(**base)


def _passing(matcher: SupplierMatcher, need: NeedQuery) -> set[str]:
    ranked = matcher.rank([need], k=len(matcher.firms_), include_filtered=True)
    return set(ranked.loc[ranked["failed"] == "", "firm_id"])


@pytest.fixture(scope="module")
def from_text() -> SupplierMatcher:
    from features.profile import build_profiles

    firms = pd.DataFrame(
        [
            ("F1", "Cơ khí Một", TEXT, "Không có IATF 16949"),
            ("F2", "Cơ khí Hai", TEXT, "IATF 16949 đã bị thu hồi"),
            ("F3", "Cơ khí Ba", TEXT, "IATF 16949"),
            ("F4", "Cơ khí Bốn", TEXT, "chưa đạt IATF 16949, đang xây dựng"),
        ],
        columns=["firm_id", "name", "description", "certifications"],
    )
    return SupplierMatcher(geocode=False).fit(build_profiles(firms, as_of=AS_OF, geocode=False))


def test_a_lacking_or_revoked_certificate_fails_the_mandatory_filter(from_text):
    """Issue 9: 'Không có IATF 16949' and 'IATF 16949 đã bị thu hồi' passed as held."""
    assert _passing(from_text, _need(mandatory_certifications=("iatf_16949",))) == {"F3"}
    for firm in ("F1", "F2", "F4"):
        explanation = from_text.explain(_need(mandatory_certifications=("iatf_16949",)), firm)
        assert not explanation.passes
        assert [r.en for r in explanation.failed] == ["no IATF 16949 (mandatory)"]


def test_a_lacking_or_revoked_certificate_gives_no_holds_reason(from_text):
    need = _need(preferred_certifications=("iatf_16949",))
    for firm in ("F1", "F2", "F4"):
        lines = from_text.explain(need, firm).lines()
        assert not any(line.startswith("có IATF") or "holds IATF" in line or "valid until" in line
                       for line in lines), lines
        assert "không có IATF 16949 (ưu tiên) / no IATF 16949 (preferred)" in lines
    assert "có IATF 16949 (tự khai, không rõ hạn) / holds IATF 16949 (self-declared, no expiry stated)" in (
        from_text.explain(need, "F3").lines())
    # With nothing asked for, only held international standards are credited.
    ctx = from_text._context(_need())
    values = CertificationFit().values(from_text.firms_, ctx, np.arange(4))
    assert values.tolist() == pytest.approx([0.0, 0.0, 0.3, 0.0])


def test_a_valid_certificate_plus_a_future_renewal_passes_now():
    """Issue 9: the renewal (latest end) was the only record kept, so the firm read 'not yet valid'."""
    current = Certification("iatf_16949", valid_until=date(2025, 9, 30), verified=True)
    renewal = Certification("iatf_16949", issued=date(2025, 9, 1), valid_until=date(2028, 8, 31))
    matcher = SupplierMatcher(geocode=False).fit(make_profiles(
        make_firm("F1", text=TEXT, certifications=(current, renewal)),
        make_firm("F2", text=TEXT, certifications=(renewal,)),
    ))
    need = _need(mandatory_certifications=("iatf_16949",))
    assert _passing(matcher, need) == {"F1"}
    lines = matcher.explain(need, "F1").lines()
    assert "IATF 16949 còn hiệu lực đến 08/2028 (đã xác minh) / IATF 16949 valid until 08/2028 (verified)" in lines
    failed = matcher.explain(need, "F2").failed
    assert [r.en for r in failed] == ["IATF 16949 (mandatory) not yet valid (from 09/2025)"]


def test_each_period_of_a_lapsed_certificate_counts_on_its_own_dates():
    first = Certification("iso_9001", issued=date(2020, 1, 1), valid_until=date(2022, 12, 31))
    second = Certification("iso_9001", issued=date(2024, 1, 1), valid_until=date(2026, 12, 31))
    matcher = SupplierMatcher(geocode=False).fit(make_profiles(make_firm("F1", text=TEXT, certifications=(second, first))))
    for day, passes in [(date(2021, 6, 1), True), (date(2023, 6, 1), False), (date(2025, 6, 1), True)]:
        need = _need(mandatory_certifications=("iso_9001",), as_of=day)
        assert (_passing(matcher, need) == {"F1"}) is passes, day
    lapsed = matcher.explain(_need(mandatory_certifications=("iso_9001",), as_of=date(2023, 6, 1)), "F1")
    assert [r.en for r in lapsed.failed] == ["ISO 9001 (mandatory) not yet valid (from 01/2024)"]


def test_explanations_print_the_taxonomy_labels():
    """Issue 9: reasons printed 'As9100', 'VDA 6 3', 'IPC A 610'."""
    firm = make_firm("F1", text=TEXT, certifications=(("as9100", date(2027, 3, 31), True),
                                                      ("ipc_a_610", date(2026, 12, 31), True)))
    matcher = SupplierMatcher(geocode=False).fit(make_profiles(firm, make_firm("F2", text=TEXT)))
    need = _need(preferred_certifications=("as9100", "ipc_a_610", "vda_6_3"))
    lines = matcher.explain(need, "F1").lines()
    assert "AS9100 còn hiệu lực đến 03/2027 (đã xác minh) / AS9100 valid until 03/2027 (verified)" in lines
    assert "IPC-A-610 còn hiệu lực đến 12/2026 (đã xác minh) / IPC-A-610 valid until 12/2026 (verified)" in lines
    assert "không có VDA 6.3 (ưu tiên) / no VDA 6.3 (preferred)" in lines
    failed = matcher.explain(_need(mandatory_certifications=("vda_6_3",)), "F1").failed
    assert [r.vi for r in failed] == ["không có VDA 6.3 (bắt buộc)"]


def test_only_the_taxonomys_international_standards_count_when_none_is_asked():
    from features.certifications import international_codes

    codes = [t.code for t in load_taxonomy().terms("certification")]
    firms = [make_firm(f"F{i:02d}", text=TEXT, certifications=((code, date(2030, 1, 1), True),))
             for i, code in enumerate(codes)]
    matcher = SupplierMatcher(geocode=False).fit(make_profiles(*firms))
    values = CertificationFit().values(matcher.firms_, matcher._context(_need()), np.arange(len(codes)))
    credited = {code for code, value in zip(codes, values, strict=True) if value > 0}
    assert credited == international_codes()
