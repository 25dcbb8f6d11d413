"""Certification parsing, validity and the certification taxonomy."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.certifications import (
    Certification,
    CertificationError,
    ParsedCertifications,
    is_international,
    parse_certifications,
    valid_codes,
)
from features.exceptions import CnhtError, UnknownCodeError
from features.taxonomy import load_taxonomy
from features.text import fold

CONTRACT_CODES = [
    "iso_9001", "iso_14001", "iso_45001", "ohsas_18001", "iso_50001", "iatf_16949", "iso_13485",
    "as9100", "iso_17025", "iso_27001", "ipc_a_610", "ipc_j_std_001", "rohs", "reach", "ul", "ce",
    "oeko_tex_100", "grs", "amfori_bsci", "sa8000", "wrap", "smeta", "lwg", "bluesign", "gots",
    "iso_3834", "vda_6_3", "jis_mark", "kc_mark", "fsc_coc",
]  # fmt: skip
AS_OF = date(2026, 1, 1)


def fields(cert: Certification) -> tuple:
    return (
        cert.code,
        cert.version,
        cert.issued,
        cert.valid_until,
        cert.issuer,
        cert.national_equivalent,
    )


# ------------------------------------------------------------------ the taxonomy data


def test_taxonomy_has_exactly_the_contract_codes():
    terms = load_taxonomy().terms("certification")
    assert [t.code for t in terms] == CONTRACT_CODES


def test_the_international_flag_is_read_from_the_taxonomy_only():
    # No copy of the list here: the taxonomy's flag is the plan's list (issue 9).
    flagged = {t.code for t in load_taxonomy().terms("certification") if t.attrs["international"] is True}
    assert {c for c in CONTRACT_CODES if is_international(c)} == flagged
    assert {"iso_9001", "iatf_16949"} <= flagged and not {"amfori_bsci", "rohs", "ce"} & flagged


def test_every_term_has_the_certification_keys():
    keys = {
        "international", "sectors", "equivalents", "current_version", "versions",
        "superseded_by", "validity_years", "issuer_examples", "short_name",
    }  # fmt: skip
    for term in load_taxonomy().terms("certification"):
        assert keys <= set(term.attrs) | {"sectors"}, term.code
        assert term.sectors, term.code
        assert term.attrs["issuer_examples"], term.code
        versions = term.attrs["versions"]
        current = term.attrs["current_version"]
        assert current is None or str(current) in versions, term.code
        for version, spec in versions.items():
            on = spec["superseded_on"]
            assert on is None or isinstance(on, date), (term.code, version)
        successor = term.attrs["superseded_by"]
        assert successor is None or successor in CONTRACT_CODES


def test_supersession_facts():
    tax = load_taxonomy()
    ohsas = tax.get("ohsas_18001").attrs
    assert ohsas["superseded_by"] == "iso_45001"
    assert ohsas["superseded_on"] == date(2021, 3, 12)
    assert tax.get("iso_9001").attrs["versions"]["2008"]["superseded_on"] == date(2018, 9, 15)
    assert tax.get("iso_14001").attrs["versions"]["2004"]["superseded_on"] == date(2018, 9, 15)
    iatf = tax.get("iatf_16949").attrs
    assert iatf["versions"]["TS 16949:2009"]["superseded_on"] == date(2018, 9, 14)
    assert tax.resolve("TS 16949", kind="certification") == "iatf_16949"


def test_every_alias_and_label_parses_to_its_code():
    failures = []
    for term in load_taxonomy().terms("certification"):
        for name in (*term.aliases, term.label_vi, term.label_en, term.label_ja, term.code):
            parsed = parse_certifications(name, as_of=AS_OF)
            if [c.code for c in parsed] != [term.code] or parsed.unparsed:
                failures.append((term.code, name, [c.code for c in parsed], parsed.unparsed))
            folded = parse_certifications(fold(name), as_of=AS_OF)
            if [c.code for c in folded] != [term.code]:
                failures.append((term.code, fold(name), [c.code for c in folded], []))
    assert failures == []


# ------------------------------------------------------------------ parsing: the examples

EXAMPLES = [
    ("ISO 9001:2015", [("iso_9001", "2015", None, None, None, False)]),
    ("ISO9001", [("iso_9001", None, None, None, None, False)]),
    ("iso 9001-2008", [("iso_9001", "2008", None, None, None, False)]),
    ("TCVN ISO 9001:2015", [("iso_9001", "2015", None, None, None, True)]),
    ("TCVN ISO 14001:2010", [("iso_14001", "2004", None, None, None, True)]),
    ("IATF16949", [("iatf_16949", None, None, None, None, False)]),
    ("IATF 16949:2016", [("iatf_16949", "2016", None, None, None, False)]),
    ("ISO/TS 16949:2009", [("iatf_16949", "TS 16949:2009", None, None, None, False)]),
    ("AS9100D", [("as9100", "D", None, None, None, False)]),
    ("AS9100:2016", [("as9100", "D", None, None, None, False)]),
    ("ISO 14001 (hết hạn 12/2024)", [("iso_14001", None, None, date(2024, 12, 31), None, False)]),
    (
        "chứng nhận ISO 13485 cấp ngày 05/03/2023",
        [("iso_13485", None, date(2023, 3, 5), None, None, False)],
    ),
    (
        "ISO 45001 hiệu lực đến 31/12/2026",
        [("iso_45001", None, None, date(2026, 12, 31), None, False)],
    ),
    ("ISO 9001 valid until 2027-03", [("iso_9001", None, None, date(2027, 3, 31), None, False)]),
    ("IATF 16949 exp. 03/2027", [("iatf_16949", None, None, date(2027, 3, 31), None, False)]),
    ("ISO 9001:2015 do QUACERT cấp", [("iso_9001", "2015", None, None, "QUACERT", False)]),
    ("ISO 14001 issued by TÜV SÜD", [("iso_14001", None, None, None, "TÜV SÜD", False)]),
    (
        "ISO 9001 và 14001",
        [
            ("iso_9001", None, None, None, None, False),
            ("iso_14001", None, None, None, None, False),
        ],
    ),
    (
        "ISO 9001:2015, 14001:2015 và 45001",
        [
            ("iso_9001", "2015", None, None, None, False),
            ("iso_14001", "2015", None, None, None, False),
            ("iso_45001", None, None, None, None, False),
        ],
    ),
    (
        "ISO/IEC 17025:2017 và 27001",
        [
            ("iso_17025", "2017", None, None, None, False),
            ("iso_27001", None, None, None, None, False),
        ],
    ),
    (
        "TCVN ISO 9001:2015 và 14001:2015",
        [
            ("iso_9001", "2015", None, None, None, True),
            ("iso_14001", "2015", None, None, None, True),
        ],
    ),
    (
        "ISO 9001:2015/ISO 14001:2015",
        [
            ("iso_9001", "2015", None, None, None, False),
            ("iso_14001", "2015", None, None, None, False),
        ],
    ),
    (
        "IPC-A-610H/J-STD-001",
        [
            ("ipc_a_610", "H", None, None, None, False),
            ("ipc_j_std_001", None, None, None, None, False),
        ],
    ),
    (
        "ISO 9001 cấp tháng 3 năm 2024, hết hạn 2027",
        [("iso_9001", None, date(2024, 3, 1), date(2027, 12, 31), None, False)],
    ),
    ("ISO 9001 cấp tháng 3/2024", [("iso_9001", None, date(2024, 3, 1), None, None, False)]),
    (
        "ISO 9001 cấp ngày 5 tháng 3 năm 2023",
        [("iso_9001", None, date(2023, 3, 5), None, None, False)],
    ),
    ("ISO 14001 hết hạn 5-3-2027", [("iso_14001", None, None, date(2027, 3, 5), None, False)]),
    ("ISO 14001 hết hạn 2026-11-30", [("iso_14001", None, None, date(2026, 11, 30), None, False)]),
    ("ISO 9001 exp. 03/27", [("iso_9001", None, None, date(2027, 3, 31), None, False)]),
    (
        "IATF 16949 cấp 2019, hết hạn 05/2025, tổ chức chứng nhận: DNV",
        [("iatf_16949", None, date(2019, 1, 1), date(2025, 5, 31), "DNV", False)],
    ),
    (
        "ISO 9001:2015 cấp bởi Vinacontrol, hết hạn ngày 15/08/2026",
        [("iso_9001", "2015", None, date(2026, 8, 15), "Vinacontrol", False)],
    ),
    ("ISO 9001 (SGS)", [("iso_9001", None, None, None, "SGS", False)]),
    (
        "ISO 14001 hiệu lực từ 01/03/2023 đến 28/02/2026",
        [("iso_14001", None, date(2023, 3, 1), date(2026, 2, 28), None, False)],
    ),
    ("OHSAS 18001:2007", [("ohsas_18001", "2007", None, None, None, False)]),
    (
        "ISO 13485 hiệu lực: 15/03/2023 - 14/03/2026",
        [("iso_13485", None, date(2023, 3, 15), date(2026, 3, 14), None, False)],
    ),
    (
        "ISO 9001:2015 (hiệu lực: 2023-2026)",
        [("iso_9001", "2015", date(2023, 1, 1), date(2026, 12, 31), None, False)],
    ),
    (
        "Certified ISO 9001:2015 by SGS, expiry date: 2026-05-31",
        [("iso_9001", "2015", None, date(2026, 5, 31), "SGS", False)],
    ),
    (
        "ISO9001/14001/45001",
        [
            ("iso_9001", None, None, None, None, False),
            ("iso_14001", None, None, None, None, False),
            ("iso_45001", None, None, None, None, False),
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_examples(text, expected):
    parsed = parse_certifications(text, as_of=AS_OF)
    assert [fields(c) for c in parsed] == expected
    assert parsed.unparsed == []


def test_raw_keeps_the_original_piece():
    parsed = parse_certifications("ISO 9001:2015 do QUACERT cấp; ISO 14001 (hết hạn 12/2024)")
    assert [c.raw for c in parsed] == [
        "ISO 9001:2015 do QUACERT cấp",
        "ISO 14001 (hết hạn 12/2024)",
    ]


@pytest.mark.parametrize(
    "separator", [", ", "; ", " và ", " and ", " + ", " / ", "\n", "\r\n", " & "]
)
def test_list_separators(separator):
    text = separator.join(["ISO 9001:2015", "IATF 16949", "Oeko-Tex", "amfori BSCI"])
    parsed = parse_certifications(text)
    assert [c.code for c in parsed] == ["iso_9001", "iatf_16949", "oeko_tex_100", "amfori_bsci"]
    assert parsed.unparsed == []


def test_slash_inside_a_name_is_not_a_separator():
    parsed = parse_certifications("ISO/IEC 17025 / ISO/TS 16949")
    assert [c.code for c in parsed] == ["iso_17025", "iatf_16949"]
    assert parsed[1].version == "TS 16949:2009"


def test_generic_iso_does_not_swallow_the_number():
    parsed = parse_certifications("Chứng nhận ISO 13485")
    assert [c.code for c in parsed] == ["iso_13485"]


def test_nfd_input_gives_the_same_records():
    text = "Chứng nhận ISO 13485 cấp ngày 05/03/2023; ISO 14001 (hết hạn 12/2024) do QUACERT cấp"
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    assert parse_certifications(nfd) == parse_certifications(text)
    assert all(unicodedata.is_normalized("NFC", c.raw) for c in parse_certifications(nfd))


def test_without_diacritics():
    accented = parse_certifications("ISO 14001 hết hạn 12/2024; ISO 13485 cấp ngày 05/03/2023")
    plain = parse_certifications("ISO 14001 het han 12/2024; ISO 13485 cap ngay 05/03/2023")
    assert [fields(c) for c in plain] == [fields(c) for c in accented]
    assert plain[0].raw == "ISO 14001 het han 12/2024"
    upper = parse_certifications("ISO 9001 HẾT HẠN THÁNG 3 NĂM 2027")
    assert upper[0].valid_until == date(2027, 3, 31)


def test_tone_placement_and_d_bar():
    old_style = parse_certifications("ĐẠT an toàn sức khoẻ nghề nghiệp ISO 45001, HẾT HẠN 06/2026")
    new_style = parse_certifications("đạt an toàn sức khỏe nghề nghiệp ISO 45001, hết hạn 06/2026")
    plain = parse_certifications("dat an toan suc khoe nghe nghiep ISO 45001, het han 06/2026")
    expected = [("iso_45001", None, None, date(2026, 6, 30), None, False)]
    for parsed in (old_style, new_style, plain):
        assert [fields(c) for c in parsed] == expected
        assert parsed.unparsed == []


def test_unparsable_piece_is_kept():
    parsed = parse_certifications("ISO 9001, chứng chỉ xanh nội bộ; GRS")
    assert [c.code for c in parsed] == ["iso_9001", "grs"]
    assert parsed.unparsed == ["chứng chỉ xanh nội bộ"]
    alone = parse_certifications("chứng chỉ xanh nội bộ")
    assert list(alone) == [] and alone.unparsed == ["chứng chỉ xanh nội bộ"]


def test_impossible_date_is_reported_not_dropped():
    parsed = parse_certifications("ISO 45001 cấp ngày 31/02/2024")
    assert parsed[0].issued is None
    assert parsed.unparsed == ["cấp ngày 31/02/2024"]


def test_issuer_in_parentheses_keeps_the_rest_unparsed():
    parsed = parse_certifications("ISO 9001, ISO 45001 (SGS, 2023)")
    assert [(c.code, c.issuer) for c in parsed] == [("iso_9001", None), ("iso_45001", "SGS")]
    assert parsed[1].raw == "ISO 45001 (SGS, 2023)"
    assert parsed.unparsed == ["2023"]


def test_a_date_with_no_certificate_is_unparsed():
    parsed = parse_certifications("hết hạn 12/2024")
    assert list(parsed) == [] and parsed.unparsed == ["hết hạn 12/2024"]


def test_empty_inputs():
    for text in (None, "", "   ", "\n\n", float("nan"), pd.NA, pd.NaT):
        parsed = parse_certifications(text)
        assert isinstance(parsed, ParsedCertifications)
        assert list(parsed) == [] and parsed.unparsed == []


def test_verified_flag_is_copied():
    assert all(c.verified for c in parse_certifications("ISO 9001; ISO 14001", verified=True))
    assert not any(c.verified for c in parse_certifications("ISO 9001; ISO 14001"))


# ------------------------------------------------------------------ validity


def test_superseded_version_is_not_valid():
    (old,) = parse_certifications("iso 9001-2008")
    assert not old.is_valid(date(2024, 1, 1))
    assert old.is_valid(date(2018, 9, 14))
    assert not old.is_valid(date(2018, 9, 15))
    assert old.expires() == date(2018, 9, 14)
    (current,) = parse_certifications("ISO 9001:2015")
    assert current.is_valid(date(2024, 1, 1))


def test_superseded_code_is_not_valid():
    (ohsas,) = parse_certifications("OHSAS 18001")
    assert ohsas.is_valid(date(2021, 3, 11))
    assert not ohsas.is_valid(date(2021, 3, 12))
    (ts,) = parse_certifications("ISO/TS 16949")
    assert ts.is_valid(date(2018, 9, 13))
    assert not ts.is_valid(date(2018, 9, 14))
    (iatf,) = parse_certifications("IATF 16949")
    assert iatf.is_valid(date(2018, 9, 14))


def test_month_only_expiry_runs_to_the_end_of_the_month():
    (cert,) = parse_certifications("ISO 14001 hết hạn 02/2024")
    assert cert.valid_until == date(2024, 2, 29)
    assert cert.is_valid(date(2024, 2, 29))
    assert not cert.is_valid(date(2024, 3, 1))
    (issued,) = parse_certifications("ISO 14001 cấp 02/2024")
    assert issued.issued == date(2024, 2, 1)


def test_expiry_from_issue_date_and_validity_years():
    (cert,) = parse_certifications("chứng nhận ISO 13485 cấp ngày 05/03/2023")
    assert cert.expires() == date(2026, 3, 4)
    assert cert.is_valid(date(2026, 3, 4))
    assert not cert.is_valid(date(2026, 3, 5))
    assert not cert.is_valid(date(2023, 3, 4))  # not issued yet
    assert cert.is_valid(date(2023, 3, 5))


def test_expiry_takes_the_earliest_bound():
    cert = Certification("iso_9001", version="2008", valid_until=date(2019, 6, 30))
    assert cert.expires() == date(2018, 9, 14)
    leap = Certification("iso_9001", issued=date(2024, 2, 29))
    assert leap.expires() == date(2027, 2, 27)


def test_self_declared_without_dates_counts_until_superseded():
    cert = Certification("iso_9001", raw="ISO 9001")
    assert cert.expires() is None
    assert cert.is_valid(date(2030, 1, 1))
    assert not Certification("ohsas_18001").is_valid(date(2030, 1, 1))
    marks = Certification("rohs", issued=date(2010, 1, 1))  # no fixed term
    assert marks.expires() is None and marks.is_valid(date(2030, 1, 1))


def test_is_valid_defaults_to_today():
    assert Certification("iso_9001", valid_until=date(2000, 1, 31)).is_valid() is False
    assert Certification("iso_9001", valid_until=date(9999, 12, 31)).is_valid() is True


def test_unknown_code_in_a_record():
    with pytest.raises(UnknownCodeError, match=r"Expected a certification code.*'iso9001'"):
        Certification("iso9001")


def test_record_dates_are_coerced_or_rejected():
    cert = Certification("iso_9001", issued="2024-03-05", valid_until=datetime(2027, 3, 4, 12))
    assert (cert.issued, cert.valid_until) == (date(2024, 3, 5), date(2027, 3, 4))
    assert cert.is_valid(datetime(2027, 3, 4, 23, 59))
    with pytest.raises(CertificationError, match=r"Expected valid_until to be a date.*'12/2024'"):
        Certification("iso_9001", valid_until="12/2024")


# ------------------------------------------------------------------ describe, helpers


def test_describe():
    cert = Certification("iso_9001", version="2015", valid_until=date(2027, 3, 31))
    assert cert.describe(as_of=AS_OF) == "ISO 9001:2015, còn hiệu lực đến 03/2027"
    assert cert.describe("en", as_of=AS_OF) == "ISO 9001:2015, valid until 03/2027"
    old = Certification("iso_14001", valid_until=date(2024, 12, 31))
    assert old.describe(as_of=AS_OF) == "ISO 14001, hết hạn 12/2024"
    assert old.describe("en", as_of=AS_OF) == "ISO 14001, expired 12/2024"
    superseded = Certification("iso_9001", version="2008")
    assert superseded.describe("en", as_of=AS_OF) == "ISO 9001:2008, expired 09/2018"
    future = Certification("iso_9001", issued=date(2026, 6, 1))
    assert future.describe(as_of=AS_OF) == "ISO 9001, chưa hiệu lực"
    assert Certification("as9100", version="D").describe("en") == "AS9100D, expiry unknown"
    with pytest.raises(CertificationError, match=r"Expected lang 'vi' or 'en', got 'fr'"):
        cert.describe("fr")


def test_is_international_rejects_unknown_codes():
    with pytest.raises(UnknownCodeError, match=r"got 'ISO 9001'.*'iso_9001'"):
        is_international("ISO 9001")
    assert issubclass(CertificationError, CnhtError)


def test_valid_codes():
    text = (
        "ISO 9001:2015; iso 14001:2004; OHSAS 18001; IATF 16949 hết hạn 12/2025; "
        "amfori BSCI; ISO 45001 hiệu lực đến 31/12/2026"
    )
    certs = parse_certifications(text)
    assert valid_codes(certs, as_of=AS_OF) == {"iso_9001", "amfori_bsci", "iso_45001"}
    assert valid_codes(certs, as_of=AS_OF, international_only=True) == {"iso_9001", "iso_45001"}
    assert valid_codes(certs, as_of=date(2025, 12, 31), international_only=True) == {
        "iso_9001",
        "iatf_16949",
        "iso_45001",
    }
    assert valid_codes(text, as_of=AS_OF) == valid_codes(certs, as_of=AS_OF)
    assert valid_codes([{"code": "iso_9001"}]) == {"iso_9001"}  # stored rows and mappings are records too
    with pytest.raises(CertificationError, match="Expected Certification records"):
        valid_codes([("iso_9001",)])


# ------------------------------------------------------------------ nothing is lost

_KNOWN = {
    "ISO 9001:2015": "iso_9001",
    "IATF16949 hết hạn 12/2024": "iatf_16949",
    "GRS": "grs",
    "TCVN ISO 14001": "iso_14001",
    "ISO 13485 cấp ngày 05/03/2023": "iso_13485",
    "OEKO TEX 100": "oeko_tex_100",
    "ISO/IEC 17025": "iso_17025",
}
_UNKNOWN = ["chứng chỉ xanh nội bộ", "giải thưởng sao vàng", "bằng khen thành phố"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([*_KNOWN, *_UNKNOWN]), min_size=1, max_size=5),
    st.lists(st.sampled_from(["; ", ", ", " và ", "\n", " + ", " / "]), min_size=4, max_size=4),
)
def test_every_piece_lands_in_a_record_or_in_unparsed(pieces, separators):
    text = pieces[0] + "".join(s + p for s, p in zip(separators, pieces[1:], strict=False))
    parsed = parse_certifications(text, as_of=AS_OF)
    assert [c.code for c in parsed] == [_KNOWN[p] for p in pieces if p in _KNOWN]
    assert [c.raw for c in parsed] == [p for p in pieces if p in _KNOWN]
    assert parsed.unparsed == [p for p in pieces if p in _UNKNOWN]


# ------------------------------------------------------------------ status (issue #3, defect 1)

ISSUE_DAY = date(2025, 6, 1)
STATUS_PHRASES = [
    ("Không có ISO 9001", "iso_9001", "absent"),
    ("ISO 9001 (đã hết hạn)", "iso_9001", "expired"),
    ("ISO 9001 expired", "iso_9001", "expired"),
    ("ISO 9001 (bị thu hồi)", "iso_9001", "revoked"),
    ("ISO 9001 (chưa đạt)", "iso_9001", "absent"),
    ("Đang xây dựng ISO 9001", "iso_9001", "planned"),
    ("Dự kiến đạt ISO 9001 năm 2026", "iso_9001", "planned"),
    ("sắp có ISO 14001", "iso_14001", "planned"),
    ("chưa có ISO 14001", "iso_14001", "absent"),
    ("Đang áp dụng thử ISO 14001", "iso_14001", "planned"),
    ("IATF 16949 hết hiệu lực", "iatf_16949", "expired"),
    ("ISO 45001 bị đình chỉ", "iso_45001", "suspended"),
    ("ISO 45001 suspended", "iso_45001", "suspended"),
    ("ISO 14001 revoked", "iso_14001", "revoked"),
    ("ISO 9001 thu hồi", "iso_9001", "revoked"),
    ("ISO 13485 in progress", "iso_13485", "planned"),
    ("ISO 13485 planned", "iso_13485", "planned"),
    ("IATF 16949 đã bị huỷ", "iatf_16949", "revoked"),
    ("chưa đạt RoHS", "rohs", "absent"),  # "đạt RoHS" is also a name of RoHS
    ("not certified ISO 27001", "iso_27001", "absent"),
]


@pytest.mark.parametrize(
    ("text", "code", "status"), STATUS_PHRASES, ids=[s[0] for s in STATUS_PHRASES]
)
def test_status_phrases_make_a_certificate_not_valid(text, code, status):
    variants = {
        text,
        fold(text),  # without diacritics
        text.upper(),
        unicodedata.normalize("NFD", text),
        text.replace("huỷ", "hủy"),  # both tone placements
    }
    for variant in variants:
        parsed = parse_certifications(variant, as_of=ISSUE_DAY)
        assert [(c.code, c.status) for c in parsed] == [(code, status)], variant
        assert not parsed[0].is_valid(ISSUE_DAY), variant
        assert valid_codes(parsed, as_of=ISSUE_DAY) == set(), variant
        assert parsed.unparsed == [], variant  # the phrase was understood


def test_status_raw_keeps_the_phrase():
    assert [c.raw for c in parse_certifications("Không có ISO 9001")] == ["Không có ISO 9001"]
    assert [c.raw for c in parse_certifications("ISO 9001 (đã hết hạn)")] == [
        "ISO 9001 (đã hết hạn)"
    ]


def test_status_belongs_to_its_own_mention():
    parsed = parse_certifications("ISO 9001:2015; đang xây dựng ISO 14001", as_of=ISSUE_DAY)
    assert [(c.code, c.status) for c in parsed] == [("iso_9001", "held"), ("iso_14001", "planned")]
    assert valid_codes(parsed, as_of=ISSUE_DAY) == {"iso_9001"}
    after = parse_certifications("ISO 9001 chưa đạt, ISO 14001", as_of=ISSUE_DAY)
    assert [(c.code, c.status) for c in after] == [("iso_9001", "absent"), ("iso_14001", "held")]
    expired = parse_certifications("IATF 16949 (đã hết hạn); ISO 9001", as_of=ISSUE_DAY)
    assert [(c.code, c.status) for c in expired] == [
        ("iatf_16949", "expired"),
        ("iso_9001", "held"),
    ]


def test_a_leading_negation_covers_the_numbers_listed_with_it():
    parsed = parse_certifications("Không có ISO 9001 và 14001", as_of=ISSUE_DAY)
    assert [(c.code, c.status) for c in parsed] == [("iso_9001", "absent"), ("iso_14001", "absent")]
    assert parsed.unparsed == []


def test_dated_expiry_is_a_date_not_a_status():
    (cert,) = parse_certifications("ISO 14001 (đã hết hạn 12/2024)", as_of=ISSUE_DAY)
    assert (cert.status, cert.valid_until) == ("held", date(2024, 12, 31))
    assert cert.is_valid(date(2024, 12, 31)) and not cert.is_valid(date(2025, 1, 1))
    impossible = parse_certifications("ISO 45001 hết hạn 31/02/2026", as_of=ISSUE_DAY)
    assert [c.status for c in impossible] == ["held"]
    assert impossible.unparsed == ["hết hạn 31/02/2026"]  # reported, not read as "expired"


def test_words_that_only_look_like_a_status():
    # "chứa" (contains) folds like "chưa"; "không có thời hạn" is about the term, not the holding
    oeko = parse_certifications("OEKO-TEX Standard 100 - Dệt may không chứa chất độc hại")
    assert [c.status for c in oeko] == ["held"]
    open_ended = parse_certifications("ISO 9001 không có thời hạn")
    assert [c.status for c in open_ended] == ["held"]
    applied = parse_certifications("hiện đang áp dụng ISO 9001", as_of=ISSUE_DAY)
    assert [c.status for c in applied] == ["held"] and applied.unparsed == []


def test_planned_target_date_is_read():
    (cert,) = parse_certifications("Dự kiến đạt ISO 9001 năm 2026", as_of=ISSUE_DAY)
    assert (cert.status, cert.issued) == ("planned", date(2026, 1, 1))
    assert not cert.is_valid(date(2027, 1, 1))  # a plan never becomes a certificate by itself
    assert cert.raw == "Dự kiến đạt ISO 9001 năm 2026"
    (later,) = parse_certifications("ISO 14001 dự kiến 06/2027", as_of=ISSUE_DAY)
    assert (later.status, later.issued) == ("planned", date(2027, 6, 1))


@pytest.mark.parametrize("text", ["Không có", "không", "chưa có chứng chỉ nào", "N/A", "none"])
def test_a_cell_saying_none_is_empty(text):
    parsed = parse_certifications(text)
    assert list(parsed) == [] and parsed.unparsed == []


def test_a_status_with_no_certificate_is_unparsed():
    parsed = parse_certifications("đã hết hạn")
    assert list(parsed) == [] and parsed.unparsed == ["đã hết hạn"]


def test_describe_states_the_status():
    expected = {
        "expired": ("ISO 9001, đã hết hạn", "ISO 9001, expired"),
        "revoked": ("ISO 9001, bị thu hồi", "ISO 9001, revoked"),
        "suspended": ("ISO 9001, bị đình chỉ", "ISO 9001, suspended"),
        "planned": ("ISO 9001, chưa đạt (đang chuẩn bị)", "ISO 9001, not yet certified (planned)"),
        "absent": ("ISO 9001, không có", "ISO 9001, not held"),
    }
    for status, (vi, en) in expected.items():
        cert = Certification("iso_9001", status=status)
        assert (cert.describe(as_of=AS_OF), cert.describe("en", as_of=AS_OF)) == (vi, en)
        assert not cert.is_valid(AS_OF)
    target = Certification("iso_9001", status="planned", issued=date(2026, 1, 1))
    assert target.describe(as_of=AS_OF) == "ISO 9001, chưa đạt, dự kiến năm 2026"
    assert target.describe("en", as_of=AS_OF) == "ISO 9001, not yet certified, planned for 2026"
    dated = Certification("iso_9001", status="expired", valid_until=date(2024, 12, 31))
    assert dated.describe("en", as_of=AS_OF) == "ISO 9001, expired 12/2024"
    assert Certification("iso_9001").status == "held"


def test_unknown_status_is_refused():
    with pytest.raises(CertificationError, match=r"Expected status one of .*'held'.*got 'valid'"):
        Certification("iso_9001", status="valid")


# ------------------------------------------------------------------ versions (issue #3, defect 6)


@pytest.mark.parametrize(
    ("text", "code", "year"),
    [
        ("ISO 9001:2016", "iso_9001", "2016"),
        ("ISO 9001:2025", "iso_9001", "2025"),
        ("ISO 9001-2025", "iso_9001", "2025"),
        ("ISO 14001:2010", "iso_14001", "2010"),  # 2010 is the TCVN adoption's year only
        ("IATF 16949:2009", "iatf_16949", "2009"),  # 2009 was ISO/TS 16949, not IATF
    ],
)
def test_a_year_that_is_no_version_is_unparsed(text, code, year):
    parsed = parse_certifications(text, as_of=ISSUE_DAY)
    assert [(c.code, c.version) for c in parsed] == [(code, None)]
    assert parsed.unparsed == [year]


def test_a_bare_year_is_not_a_date_without_a_keyword():
    bare = parse_certifications("ISO 9001 2025", as_of=ISSUE_DAY)
    assert [(c.version, c.issued) for c in bare] == [(None, None)]
    assert bare.unparsed == ["2025"]
    (issued,) = parse_certifications("ISO 9001 cấp 2025", as_of=ISSUE_DAY)
    assert (issued.version, issued.issued) == (None, date(2025, 1, 1))


def test_listed_years_national_years_and_implied_versions_are_read():
    cases = {
        "ISO 9001:1987": "1987",
        "TCVN ISO 14001:2010": "2004",  # the national adoption's year, not a version of ISO
        "TCVN ISO 50001:2012": "2011",
        "AS9100:2016": "D",
        "ISO/TS 16949:2009": "TS 16949:2009",
        "VDA 6.3:2010": "2010",
        "GRS:2023": "2023",  # the taxonomy lists no versions of GRS: kept as written
    }
    for text, version in cases.items():
        parsed = parse_certifications(text, as_of=ISSUE_DAY)
        assert [c.version for c in parsed] == [version], text
        assert parsed.unparsed == [], text
    (old,) = parse_certifications("ISO 9001:1987")
    assert not old.is_valid(ISSUE_DAY)
    wrong_national = parse_certifications("TCVN ISO 9001:2016", as_of=ISSUE_DAY)
    assert [c.version for c in wrong_national] == [None] and wrong_national.unparsed == ["2016"]


def test_record_with_an_unlisted_version_is_refused():
    with pytest.raises(CertificationError, match=r"version of ISO 9001.*2015\).*'2025'"):
        Certification("iso_9001", version="2025")
    assert Certification("as9100", version="2016").version == "D"  # a spelling of rev. D
    assert Certification("grs", version="2023").version == "2023"  # no versions listed


def test_every_equivalent_and_implied_version_is_listed():
    for term in load_taxonomy().terms("certification"):
        versions = {str(v) for v in term.attrs["versions"]}
        for eq in term.attrs["equivalents"]:
            assert str(eq["version"]) in versions, (term.code, eq)
        for alias, version in (term.attrs.get("alias_versions") or {}).items():
            assert str(version) in versions, (term.code, alias)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("chứng nhận ISO/IEC 27001", "iso_27001"),
        ("chứng nhận ISO/IEC 17025 cấp ngày 06/03/2025", "iso_17025"),
        ("chứng nhận ISO/TS 16949", "iatf_16949"),
    ],
)
def test_a_certificate_word_before_iso_does_not_invent_iso_9001(text, code):
    parsed = parse_certifications(text)
    assert [c.code for c in parsed] == [code]
    assert parsed.unparsed == []


def test_iso_without_a_number_is_reported_not_guessed():
    parsed = parse_certifications("chứng nhận ISO")
    assert list(parsed) == [] and parsed.unparsed == ["chứng nhận ISO"]
