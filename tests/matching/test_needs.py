"""parse_need: certificates mentioned in free text, numbers written the Vietnamese way, dates, exclusions."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from matching import NeedError, parse_need
from matching.needs import parse_needs


def _certs(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    need = parse_need(text)
    return need.mandatory_certifications, need.preferred_certifications


@pytest.mark.parametrize(
    ("text", "mandatory", "preferred"),
    [
        ("Vỏ nhựa, không bắt buộc ISO 9001", (), ("iso_9001",)),
        ("Vo nhua, khong bat buoc ISO 9001", (), ("iso_9001",)),
        ("ISO 9001 không bắt buộc, ưu tiên ISO 14001", (), ("iso_14001", "iso_9001")),
        ("ISO 13485 preferred, ISO 9001 required", ("iso_9001",), ("iso_13485",)),
        ("not required: ISO 9001", (), ("iso_9001",)),
        ("Ép nhựa ABS, bắt buộc ISO 9001", ("iso_9001",), ()),
        ("Ep nhua ABS, bat buoc ISO 9001", ("iso_9001",), ()),
        ("Ép nhựa ABS, phải có IATF 16949 và ưu tiên ISO 14001", ("iatf_16949",), ("iso_14001",)),
        ("must have IATF 16949; ISO 14001 nice to have", ("iatf_16949",), ("iso_14001",)),
        ("IATF 16949 is mandatory and ISO 14001 is preferred", ("iatf_16949",), ("iso_14001",)),
        ("Cần ISO 9001. No ISO 14001 required", (), ("iso_14001", "iso_9001")),
        ("ưu tiên có ISO 9001, ISO 14001", (), ("iso_14001", "iso_9001")),
        ("ISO 9001 required, ISO 14001 also required", ("iso_14001", "iso_9001"), ()),
    ],
)
def test_each_mentioned_certificate_is_mandatory_only_when_its_own_clause_says_so(text, mandatory, preferred):
    assert _certs(text) == (mandatory, preferred)


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_certificate_hints_with_both_tone_placements_and_decomposed(form):
    # "bắt buộc" has no oa/oe/uy syllable; "ưu tiên" neither: both forms must read alike in NFD too.
    text = unicodedata.normalize(form, "ISO 9001 không bắt buộc, ưu tiên ISO 14001; phải có IATF 16949")
    assert _certs(text) == (("iatf_16949",), ("iso_14001", "iso_9001"))
    assert _certs(text.upper()) == (("iatf_16949",), ("iso_14001", "iso_9001"))


def test_structured_mandatory_field_wins_over_the_text():
    need = parse_need({"title": "ISO 14001 bắt buộc", "mandatory_certifications": "ISO 9001"})
    assert need.mandatory_certifications == ("iso_14001", "iso_9001")
    need = parse_need({"title": "ISO 9001 không bắt buộc", "mandatory_certifications": "ISO 9001"})
    assert need.mandatory_certifications == ("iso_9001",) and need.preferred_certifications == ()


@pytest.mark.parametrize(
    ("written", "number"),
    [("5.000", 5000.0), ("1.200", 1200.0), ("1.200.000", 1_200_000.0), ("1,5", 1.5), ("5,000", 5000.0),
     ("1,200,000", 1_200_000.0), ("5000", 5000.0), ("5 000", 5000.0), ("2.5", 2.5), ("0,25", 0.25),
     ("1.234,5", 1234.5), ("1,234.5", 1234.5), (" 12.000 ", 12000.0), (5000, 5000.0), (2.5, 2.5)],
)
def test_capacity_is_read_the_vietnamese_way(written, number):
    need = parse_need({"title": "ép nhựa", "min_monthly_capacity": written})
    assert need.min_monthly_capacity == number


@pytest.mark.parametrize("written", ["5.00.0", "1,2,3", "1.2.3", "12.34.567", "5.000,000,1", "năm nghìn", "1e"])
def test_ambiguous_or_garbled_numbers_are_refused_naming_the_field(written):
    with pytest.raises(NeedError, match=r"'min_monthly_capacity'.*" + __import__("re").escape(repr(written))):
        parse_need({"need_id": "N-7", "title": "ép nhựa", "min_monthly_capacity": written})


def test_created_date_is_read_day_first():
    assert parse_need({"title": "ép nhựa", "created": "03/05/2026"}).as_of == date(2026, 5, 3)
    assert parse_need({"title": "ép nhựa", "created": "3-5-2026"}).as_of == date(2026, 5, 3)
    assert parse_need({"title": "ép nhựa", "created": "03.05.2026"}).as_of == date(2026, 5, 3)
    assert parse_need({"title": "ép nhựa", "created": "2026-05-03"}).as_of == date(2026, 5, 3)
    assert parse_need({"title": "ép nhựa", "created": "2026-05-03 10:15:00"}).as_of == date(2026, 5, 3)
    assert parse_need({"title": "ép nhựa", "created": date(2026, 5, 3)}).as_of == date(2026, 5, 3)


@pytest.mark.parametrize("written", ["05/13/2026", "2026/13/01", "tháng 5", "31/02/2026"])
def test_unreadable_created_dates_list_the_accepted_formats(written):
    with pytest.raises(NeedError, match=r"yyyy-mm-dd.*dd/mm/yyyy"):
        parse_need({"need_id": "N-8", "title": "ép nhựa", "created": written})


def test_excluded_firms_are_split_on_commas_semicolons_and_spaces():
    need = parse_need({"title": "ép nhựa", "exclude_firms": "F0888, F0169;F0001  F0002"})
    assert need.exclude_firms == ("F0888", "F0169", "F0001", "F0002")
    assert parse_need({"title": "ép nhựa", "exclude_firms": ["F0888, F0169"]}).exclude_firms == ("F0888", "F0169")


def test_parse_needs_refuses_what_is_not_a_need_and_duplicate_ids():
    with pytest.raises(NeedError, match="got NoneType"):
        parse_needs(None)
    with pytest.raises(NeedError, match="got int"):
        parse_needs(123)
    with pytest.raises(NeedError, match=r"need_id.*'N-1'"):
        parse_needs([{"need_id": "N-1", "title": "ép nhựa"}, {"need_id": "N-1", "title": "phay CNC"}])


def test_a_custom_taxonomy_is_used_for_the_need_text_too():
    """Issue 9: ``_extract`` called extract_capabilities(text) without the matcher's taxonomy."""
    from dataclasses import replace

    import pandas as pd

    from features.taxonomy import Taxonomy, load_taxonomy
    from matching import SupplierMatcher

    default = load_taxonomy()
    custom = Taxonomy(
        [replace(t, aliases=(*t.aliases, "zorblax")) if t.code == "cnc_milling" else t for t in default.terms()],
        version="custom", ambiguities=default.ambiguities(), stop_phrases=default.stop_phrases,
    )
    assert "cnc_milling" not in parse_need({"need_id": "N-1", "title": "zorblax"}).processes
    assert "cnc_milling" in parse_need({"need_id": "N-1", "title": "zorblax"}, taxonomy=custom).processes
    firms = pd.DataFrame({"firm_id": ["F1", "F2"], "name": ["A", "B"],
                          "description": ["may mặc xuất khẩu", "zorblax cho vỏ nhôm"]})
    matcher = SupplierMatcher(geocode=False, taxonomy=custom).fit(firms)
    ranked = matcher.rank({"need_id": "N-1", "title": "zorblax"}, k=2)
    assert ranked["firm_id"].iloc[0] == "F2"
    assert ranked["process_fit"].iloc[0] > 0
