"""Ingestion: every bad value is a reject with reason and fix; good rows are never lost."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from features.exceptions import CnhtError, IngestError
from features.ingest import read_buyers, read_firms, read_needs, read_outcomes, read_table
from features.schemas import validate

FIXTURES = Path(__file__).parents[1] / "fixtures"
REPO = Path(__file__).parents[2]
CSV = FIXTURES / "firms_vi.csv"


@pytest.fixture(scope="module")
def firms():
    return read_firms(CSV)


def _rejects(result, row, column):
    r = result.rejects
    return r[(r["row"] == row) & (r["column"] == column)]


def test_counts_add_up(firms):
    assert firms.rows_read == 11
    assert firms.rows_read == firms.rows_accepted + firms.rows_rejected
    assert firms.rows_accepted == len(firms.data) == 8
    assert set(firms.data.index) == {2, 3, 4, 5, 7, 8, 10, 12}
    validate("firms", firms.data)


@pytest.mark.parametrize(
    ("row", "column", "value", "reason_part"),
    [
        (3, "tax_code", "0100109107", "check digit"),
        (4, "tax_code", "100109106", "9 digits"),
        (5, "employees", "nhiều", "expected a number"),
        (7, "ownership", "hợp tác xã kiểu mới", "ownership"),
        (8, "founded", "năm ngoái", "expected a number"),
    ],
)
def test_bad_field_is_emptied_and_row_kept(firms, row, column, value, reason_part):
    found = _rejects(firms, row, column)
    assert len(found) == 1
    assert found.iloc[0]["value"] == value
    assert reason_part in found.iloc[0]["reason"]
    assert found.iloc[0]["fix"]
    assert found.iloc[0]["scope"] == "field"
    assert row in firms.data.index and pd.isna(firms.data.loc[row, column])


def test_rows_without_identity_are_rejected_whole(firms):
    assert _rejects(firms, 6, "name")["scope"].tolist() == ["row"]
    assert "name" in _rejects(firms, 6, "name").iloc[0]["reason"]
    no_id = _rejects(firms, 11, "firm_id")
    assert no_id["scope"].tolist() == ["row"] and "tax code" in no_id.iloc[0]["reason"]
    assert "5 digits" in _rejects(firms, 11, "tax_code").iloc[0]["reason"]
    assert 6 not in firms.data.index and 11 not in firms.data.index


def test_duplicate_tax_code_with_branch_keeps_first(firms):
    assert firms.duplicates[["row", "other_row", "key"]].values.tolist() == [[9, 2, "tax_code"]]
    assert "duplicate of row 2" in _rejects(firms, 9, "tax_code").iloc[0]["reason"]
    assert 2 in firms.data.index and 9 not in firms.data.index


def test_text_is_normalised(firms):
    row = firms.data.loc[10]
    assert row["name"] == "Công ty TNHH Hòa Phát Linh kiện"
    assert unicodedata.is_normalized("NFC", row["description"])
    assert row["address"] == "Thanh Trì"
    assert firms.data.loc[2, "employees"] == 1200
    assert firms.data.loc[3, "employees"] == 300
    assert firms.data.loc[4, "employees"] == 85
    assert firms.data.loc[3, "ownership"] == "fdi"


def test_firm_id_derived_from_valid_tax_code(firms):
    assert firms.data.loc[12, "firm_id"] == "F0101258968"
    assert firms.data.loc[12, "tax_code"] == "0101258968"


def test_unknown_column_reported_not_imported(firms):
    assert firms.unknown_columns == ["Ghi chú riêng"]
    header = firms.rejects[firms.rejects["scope"] == "header"]
    assert header["column"].tolist() == ["Ghi chú riêng"] and header["row"].tolist() == [1]
    assert "Ghi chú riêng" not in firms.data.columns


@pytest.mark.parametrize("name", ["firms_vi_bom.csv", "firms_vi_cp1258.csv"])
def test_encodings_give_the_same_data(firms, name):
    other = read_firms(FIXTURES / name)
    pd.testing.assert_frame_equal(other.data, firms.data)
    assert other.rows_rejected == firms.rows_rejected


def test_cp1258_is_detected():
    assert read_firms(FIXTURES / "firms_vi_cp1258.csv").encoding == "cp1258"


def test_xlsx_named_sheet_bytes_and_file_object(firms):
    data = (FIXTURES / "firms_vi.xlsx").read_bytes()
    by_bytes = read_firms(data, sheet="Doanh nghiep")  # folded sheet name is accepted
    by_file = read_firms(io.BytesIO(data), sheet="Doanh nghiệp")
    pd.testing.assert_frame_equal(by_bytes.data, firms.data)
    assert by_file == by_bytes


def test_xlsx_unknown_sheet_names_the_sheets():
    with pytest.raises(IngestError, match="Doanh nghiệp"):
        read_firms(FIXTURES / "firms_vi.xlsx", sheet="Firms")


def test_missing_required_column_is_named():
    with pytest.raises(IngestError, match="'name'") as info:
        read_firms("Mã số thuế,Địa chỉ\n0100109106,Hà Nội\n".encode())
    assert "Tên doanh nghiệp" in str(info.value)  # lists the accepted headers
    assert isinstance(info.value, CnhtError)


def test_idempotent():
    assert read_firms(CSV) == read_firms(CSV)
    assert read_firms(CSV).rejects.equals(read_firms(CSV.read_bytes()).rejects)


def test_every_data_row_of_good_file_is_kept():
    text = "firm_id,name,tax_code\nF0001,Công ty A,0100109106\nF0002,Công ty B,\n"
    result = read_firms(text.encode())
    assert result.rows_accepted == 2 and result.rejects.empty


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("1.200", 1200), ("1,200", 1200), ("1 200", 1200), ("1.200 người", 1200),
     ("khoảng 300", 300), ("khoang 300", 300), ("~50", 50), ("Số: 7", None)],
)
def test_vietnamese_numbers(cell, expected):
    result = read_firms(f"firm_id\tname\tSố lao động\nF0001\tA\t{cell}\n".encode())
    assert result.rows_accepted == 1
    value = result.data.iloc[0]["employees"]
    if expected is None:
        assert pd.isna(value) and result.rejects.iloc[0]["column"] == "employees"
    else:
        assert value == expected and result.rejects.empty


def test_decimal_is_not_a_head_count():
    result = read_firms(b"firm_id;name;employees\nF0001;A;1,5\n")
    assert "whole number" in result.rejects.iloc[0]["reason"]


def test_near_identical_name_at_same_address_is_duplicate():
    text = (
        "firm_id,name,address\n"
        "F0001,Công ty TNHH Cơ khí Hòa Bình,\"Số 5, Kim Chung, Đông Anh\"\n"
        "F0002,Cty CP Co khi Hoa Binh,\"so 5 kim chung dong anh\"\n"
        "F0003,Công ty TNHH Cơ khí Hòa Bình,Gia Lâm\n"
    )
    result = read_firms(text.encode())
    assert result.duplicates[["row", "other_row", "key"]].values.tolist() == [
        [3, 2, "name+address"]
    ]
    assert list(result.data.index) == [2, 4]


def test_ragged_row_is_rejected_not_shifted():
    result = read_firms(b"firm_id,name\nF0001,A\nF0002,B,extra\n")
    assert result.rows_accepted == 1 and result.rows_rejected == 1
    assert "cells" in result.rejects.iloc[0]["reason"]


def test_buyers():
    text = (
        "Mã bên mua,Tên bên mua,Quốc gia,Khu công nghiệp,Ngành\n"
        "B001,Canon Việt Nam,Nhật Bản,KCN Thăng Long,điện tử\n"
        "B002,Foo,Atlantis,KCN Mặt Trăng,\n"
        "X9,Bar,JP,,\n"
    )
    result = read_buyers(text.encode())
    assert result.buyers.loc[2, ["country", "park_id", "sector"]].tolist() == [
        "JP", "thang_long", "electronics"
    ]
    assert set(_rejects(result, 3, "country")["scope"]) == {"field"}
    assert set(_rejects(result, 3, "park_id")["scope"]) == {"field"}
    assert result.rows_rejected == 1 and not _rejects(result, 4, "buyer_id").empty


def test_needs_certifications_resolve_to_codes():
    text = (
        "need_id,buyer_id,title,mandatory_certifications,deadline,status,annual_volume\n"
        "N-0001,B001,Bracket,IATF 16949; ISO9001,31/12/2026,mở,120.000\n"
        "N-0002,B001,Gear,ISO 99999,2026-13-01,open,\n"
    )
    result = read_needs(text.encode())
    first = result.needs.loc[2]
    assert first["mandatory_certifications"] == "iatf_16949;iso_9001"
    assert first["deadline"] == pd.Timestamp(2026, 12, 31) and first["status"] == "open"
    assert first["annual_volume"] == 120000
    bad = _rejects(result, 3, "mandatory_certifications")
    assert "ISO 99999" in bad.iloc[0]["value"] and bad.iloc[0]["fix"]
    assert "calendar date" in _rejects(result, 3, "deadline").iloc[0]["reason"]
    assert result.rows_accepted == 2


def test_outcomes_rejected_needs_reason():
    text = (
        "need_id,firm_id,status,reason,at\n"
        "N-0001,F0001,đã liên hệ,,05/01/2026 09:30\n"
        "N-0001,F0002,rejected,,2026-01-06\n"
        "N-0001,F0003,từ chối,thiếu IATF,2026-01-07\n"
        "N-0001,F0004,maybe,,2026-01-07\n"
    )
    result = read_outcomes(text.encode())
    assert result.outcomes["status"].tolist() == ["contacted", "rejected"]
    assert result.outcomes.loc[2, "at"] == pd.Timestamp(2026, 1, 5, 9, 30)
    assert "reason" in _rejects(result, 3, "reason").iloc[0]["reason"]
    assert not _rejects(result, 5, "status").empty
    assert result.rows_read == result.rows_accepted + result.rows_rejected == 4


def test_report_and_write_rejects(firms, tmp_path):
    vi, en = firms.report("vi"), firms.report("en")
    assert "Số dòng đọc: 11" in vi and "Rows read: 11" in en
    assert "tax_code" in en and "Ghi chú riêng" in en
    path = firms.write_rejects(tmp_path / "x.rejects.csv")
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(back) == len(firms.rejects)
    with pytest.raises(IngestError, match="lang"):
        firms.report("fr")


def test_unknown_kind():
    with pytest.raises(IngestError, match="firms, buyers"):
        read_table("suppliers", CSV)


def test_cli_dry_run_writes_rejects_beside_file(tmp_path):
    from api.cli import app

    target = tmp_path / "firms.csv"
    target.write_bytes(CSV.read_bytes())
    out = CliRunner().invoke(app, ["import", "firms", str(target), "--dry-run", "--lang", "en"])
    assert out.exit_code == 0, out.output
    assert "Rows read: 11" in out.output
    assert (tmp_path / "firms.rejects.csv").is_file()
    # Storing (without --dry-run) is tested on a temporary database in
    # tests/api/test_match_suggestions.py.


DEMO = REPO / "data" / "demo"


@pytest.mark.parametrize("kind", ["firms", "buyers", "needs", "outcomes"])
def test_demo_data_imports_with_only_deliberate_rejects(kind):
    result = read_table(kind, DEMO / f"{kind}.csv")
    assert result.rows_read == result.rows_accepted + result.rows_rejected
    assert result.unknown_columns == []
    rejects = result.rejects
    # the generator's deliberate mess: a few invalid tax codes (field rejects) and duplicates
    fields = rejects[rejects["scope"] == "field"]
    assert set(fields["column"]) <= {"tax_code"}, fields.head(10).to_string()
    rows = rejects[rejects["scope"] == "row"]
    assert rows["reason"].str.startswith("duplicate of row").all(), rows.head(10).to_string()
    assert result.rows_rejected == len(result.duplicates)
    if kind == "firms":
        assert len(result.duplicates) > 0 and len(fields) > 0
        assert "Trùng lặp" in result.report("vi")


@pytest.mark.parametrize("kind", ["firms", "buyers", "needs", "outcomes"])
def test_templates_have_only_known_headers(kind):
    template = DEMO / "templates" / f"{kind}_template.xlsx"
    assert template.exists(), f"{template} is part of the repository (cnht demo --generate)"
    result = read_table(kind, template)
    assert result.unknown_columns == []
    assert result.rows_read == result.rows_accepted + result.rows_rejected
