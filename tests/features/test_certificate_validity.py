"""The one validity rule (features.certifications.validity): which of a firm's certificates are
valid on a day, and why not (issue 9)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.certifications import (
    STATUSES,
    VALIDITY_STATUSES,
    Certification,
    CertificationError,
    as_certification,
    certificate_status,
    international_codes,
    label,
    parse_certifications,
    valid_codes,
    validity_periods,
)
from features.exceptions import UnknownCodeError
from features.taxonomy import load_taxonomy

ON = date(2026, 1, 1)


def status_of(certs, code: str, on: date = ON):
    return certificate_status(certs, on=on, codes=[code])[code]


# ------------------------------------------------------------------ each answer


@pytest.mark.parametrize(
    "text, expected",
    [
        ("IATF 16949 hiệu lực đến 31/03/2027", "held"),
        ("IATF 16949", "held"),  # self-declared, no dates: held until superseded
        ("Không có IATF 16949", "lacking"),
        ("chưa có IATF 16949", "lacking"),
        ("đang xây dựng IATF 16949", "lacking"),
        ("IATF 16949 đã bị thu hồi", "revoked"),
        ("IATF 16949 bị đình chỉ", "revoked"),
        ("IATF 16949 đã hết hạn", "expired"),
        ("IATF 16949 hết hạn 12/2024", "expired"),
        ("IATF 16949 cấp ngày 01/03/2026", "pending"),
        ("ISO/TS 16949:2009", "superseded"),
        ("", "lacking"),
    ],
)
def test_each_answer_of_the_rule(text, expected):
    answer = status_of(text, "iatf_16949")
    assert answer.status == expected
    assert answer.valid is (expected == "held")
    assert expected in VALIDITY_STATUSES


def test_a_code_with_no_record_is_lacking_and_has_no_record():
    answer = status_of([Certification("iso_9001")], "iatf_16949")
    assert (answer.status, answer.record, answer.valid_until) == ("lacking", None, None)
    assert set(certificate_status([Certification("iso_9001")], on=ON)) == {"iso_9001"}


def test_held_answer_carries_its_dates_and_verification():
    cert = Certification("iso_9001", issued=date(2024, 4, 1), valid_until=date(2027, 3, 31), verified=True)
    answer = status_of([cert], "iso_9001")
    assert (answer.valid_from, answer.valid_until, answer.verified, answer.record) == (
        date(2024, 4, 1), date(2027, 3, 31), True, cert)


# ------------------------------------------------------------------ renewals, several records


def test_a_valid_certificate_plus_a_future_renewal_is_valid_now():
    """Issue 9: only the record with the latest end was kept, so this read 'not yet valid'."""
    current = Certification("iso_9001", valid_until=date(2026, 3, 31))
    renewal = Certification("iso_9001", issued=date(2026, 3, 1), valid_until=date(2029, 2, 28))
    for certs in ([current, renewal], [renewal, current]):
        answer = status_of(certs, "iso_9001")
        assert answer.status == "held"
        assert answer.valid_until == date(2029, 2, 28)  # the renewal continues it
        assert status_of(certs, "iso_9001", date(2026, 3, 15)).status == "held"
        assert status_of(certs, "iso_9001", date(2029, 3, 1)).status == "expired"
    text = "ISO 9001:2015 hiệu lực đến 31/03/2026; ISO 9001:2015 cấp ngày 01/03/2026 hiệu lực đến 28/02/2029"
    assert valid_codes(text, as_of=ON) == {"iso_9001"}


def test_a_lapse_between_two_certificates():
    old = Certification("iso_14001", valid_until=date(2025, 6, 30))
    new = Certification("iso_14001", issued=date(2026, 2, 1), valid_until=date(2029, 1, 31))
    gap = status_of([old, new], "iso_14001")
    assert (gap.status, gap.valid_from, gap.valid_until) == ("pending", date(2026, 2, 1), date(2029, 1, 31))
    assert status_of([old, new], "iso_14001", date(2025, 1, 1)).valid_until == date(2025, 6, 30)
    assert status_of([old, new], "iso_14001", date(2026, 2, 1)).status == "held"
    assert validity_periods([new, old])["iso_14001"] == (
        (None, date(2025, 6, 30), False), (date(2026, 2, 1), date(2029, 1, 31), False))


def test_verification_is_that_of_the_certificate_in_force():
    checked = Certification("iso_9001", valid_until=date(2026, 3, 31), verified=True)
    renewal = Certification("iso_9001", issued=date(2026, 3, 1), valid_until=date(2029, 2, 28))
    assert status_of([checked, renewal], "iso_9001").verified is True
    later = status_of([checked, renewal], "iso_9001", date(2026, 6, 1))
    assert (later.verified, later.valid_until) == (False, date(2029, 2, 28))


# ------------------------------------------------------------------ taxonomy facts


def test_validity_years_come_from_the_code():
    """ISO/IEC 17025 runs five years, IPC-A-610 two: not a flat 3 x 365 days."""
    lab = Certification("iso_17025", issued=date(2022, 1, 10))
    assert status_of([lab], "iso_17025", date(2026, 6, 1)).valid_until == date(2027, 1, 9)
    ipc = Certification("ipc_a_610", issued=date(2024, 3, 1))
    assert status_of([ipc], "ipc_a_610", date(2026, 3, 1)).status == "expired"
    assert status_of([ipc], "ipc_a_610", date(2026, 2, 28)).status == "held"


def test_superseded_versions_and_codes():
    old = Certification("iso_9001", version="2008", issued=date(2017, 1, 10))
    answer = status_of([old], "iso_9001", date(2019, 1, 1))
    assert (answer.status, answer.valid_until) == ("superseded", date(2018, 9, 14))
    assert status_of([Certification("ohsas_18001")], "ohsas_18001", ON).status == "superseded"
    late = Certification("iso_9001", version="2008", issued=date(2019, 1, 1))  # issued after 2018-09-15
    assert status_of([late], "iso_9001", date(2019, 6, 1)).status == "superseded"


def test_labels_and_the_international_flag_come_from_the_taxonomy():
    assert (label("as9100"), label("vda_6_3"), label("ipc_a_610"), label("iso_17025")) == (
        "AS9100", "VDA 6.3", "IPC-A-610", "ISO/IEC 17025")
    terms = load_taxonomy().terms("certification")
    assert international_codes() == frozenset(t.code for t in terms if t.attrs["international"] is True)
    assert label("not_a_code") == "not_a_code"


def test_describe_says_why_not():
    assert status_of("IATF 16949 đã bị thu hồi", "iatf_16949").describe("en") == "IATF 16949 revoked"
    assert status_of("Không có VDA 6.3", "vda_6_3").describe("vi") == "không có VDA 6.3"
    held = status_of([Certification("as9100", valid_until=date(2027, 3, 31), verified=True)], "as9100")
    assert held.describe("vi") == "AS9100 còn hiệu lực đến 03/2027 (đã xác minh)"
    with pytest.raises(CertificationError, match="Expected lang 'vi' or 'en', got 'fr'"):
        held.describe("fr")


# ------------------------------------------------------------------ records from elsewhere


def test_stored_records_are_read_leniently_on_request():
    row = {"code": "iso_9001", "version": "ISO 9001:2015 rev", "issued": "2024-01-02", "verified": True}
    with pytest.raises(CertificationError, match="version"):
        as_certification(row)
    cert = as_certification(row, strict=False)
    assert (cert.code, cert.version, cert.issued, cert.verified) == ("iso_9001", None, date(2024, 1, 2), True)
    assert as_certification({"code": "made_up"}, strict=False) is None
    with pytest.raises(UnknownCodeError, match="made_up"):
        as_certification({"code": "made_up"})
    with pytest.raises(CertificationError, match="Expected Certification records"):
        certificate_status([42], on=ON)


# ------------------------------------------------------------------ one rule, checked as such

_DAYS = st.integers(min_value=-2000, max_value=2000).map(lambda d: ON + timedelta(days=d))
_RECORDS = st.lists(
    st.builds(
        lambda code, status, issued, until, verified: Certification(
            code, status=status, issued=issued, valid_until=until, verified=verified),
        st.sampled_from(["iso_9001", "iatf_16949", "iso_17025", "ohsas_18001"]),
        st.sampled_from(STATUSES),
        st.none() | _DAYS,
        st.none() | _DAYS,
        st.booleans(),
    ),
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(certs=_RECORDS, on=_DAYS)
def test_a_code_is_valid_exactly_when_one_of_its_records_is(certs, on):
    answers = certificate_status(certs, on=on)
    for code, answer in answers.items():
        assert answer.valid == any(c.is_valid(on) for c in certs if c.code == code)
        in_period = any((s is None or s <= on) and (e is None or on <= e)
                        for s, e, _ in validity_periods(certs).get(code, ()))
        assert answer.valid == in_period
        if answer.valid:
            assert answer.verified == any(c.verified and c.is_valid(on) for c in certs if c.code == code)
    # What the text says about certificates the firm does not hold never changes the answer:
    # profiles and the database keep held records only, and must agree with the full list.
    held = [c for c in certs if c.status == "held"]
    assert valid_codes(held, as_of=on) == valid_codes(certs, as_of=on)


def test_parsed_text_and_its_held_records_agree():
    text = "ISO 9001:2015; IATF 16949 đã bị thu hồi; không có ISO 14001; dự kiến đạt ISO 45001 năm 2027"
    parsed = parse_certifications(text, as_of=ON)
    assert valid_codes(parsed, as_of=ON) == {"iso_9001"}
    answers = certificate_status(parsed, on=ON)
    assert {c: a.status for c, a in answers.items()} == {
        "iso_9001": "held", "iatf_16949": "revoked", "iso_14001": "lacking", "iso_45001": "lacking"}
