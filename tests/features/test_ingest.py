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
    assert firms.rows_read == 13
    assert firms.rows_read == firms.rows_accepted + firms.rows_rejected
    assert firms.rows_accepted == len(firms.data) == 10
    assert set(firms.data.index) == {2, 3, 4, 5, 7, 8, 9, 10, 12, 14}
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


def test_same_tax_code_is_a_duplicate_and_a_branch_a_firm_of_its_own(firms):
    listed = firms.duplicates[["row", "other_row", "key", "value", "kept"]].values.tolist()
    assert listed == [[9, 2, "tax_code", "0100109106-001", True],
                      [13, 2, "tax_code", "0100109106", False]]
    assert "branch of row 2" in firms.duplicates.iloc[0]["reason"]
    duplicate = _rejects(firms, 13, "tax_code")
    assert duplicate["value"].tolist() == ["0100109106"]
    assert "duplicate of row 2" in duplicate.iloc[0]["reason"]
    assert _rejects(firms, 9, "tax_code").empty  # the branch is not a reject
    assert {2, 9} <= set(firms.data.index) and 13 not in firms.data.index
    assert firms.data.loc[9, "tax_code"] == "0100109106-001"


def test_problems_of_a_rejected_row_are_row_problems(firms):
    assert _rejects(firms, 11, "tax_code")["scope"].tolist() == ["row"]
    assert _rejects(firms, 13, "employees")["scope"].tolist() == ["row"]  # a duplicate
    kept = firms.rejects[firms.rejects["scope"] == "field"]
    assert set(kept["row"]) == {3, 4, 5, 7, 8} and set(kept["row"]) <= set(firms.data.index)
    assert "Cells rejected (row kept): 5 " in firms.report("en")


def test_unreadable_certifications_and_sectors_are_notes_and_cells_kept(firms):
    certs = _rejects(firms, 14, "certifications")
    assert certs["value"].tolist() == ["ISO 9999 hết hạn 31/02/2026", "chứng chỉ lung tung"]
    assert set(certs["scope"]) == {"note"} and all(certs["fix"])
    sectors = _rejects(firms, 14, "sectors")
    assert sectors["value"].tolist() == ["làm bánh kẹo"] and sectors["scope"].tolist() == ["note"]
    assert firms.data.loc[14, "certifications"] == (
        "ISO 9999 hết hạn 31/02/2026; chứng chỉ lung tung"
    )
    assert firms.data.loc[14, "sectors"] == "làm bánh kẹo"
    # readable ones, with or without diacritics, give no note
    assert _rejects(firms, 2, "certifications").empty and _rejects(firms, 2, "sectors").empty
    plain = read_firms(b"firm_id,name,sectors,certifications\nF0001,A,co khi,iso 9001\n")
    assert plain.rejects.empty


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


def test_xlsx_cover_sheet_is_skipped_and_said(firms):
    result = read_firms(FIXTURES / "firms_vi.xlsx")  # the first sheet is a cover page
    assert result.sheet == "Doanh nghiệp"
    pd.testing.assert_frame_equal(result.data, firms.data)
    assert "'Hướng dẫn'" in result.report("en") and "--sheet" in result.report("en")
    assert "Đã đọc sheet 'Doanh nghiệp'" in result.report("vi")


def test_xlsx_without_the_table_names_the_sheets_and_sheet_option():
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Bìa"
    book.active.append(["Danh sách"])
    book.create_sheet("Ghi chú").append(["Ghi chú", "Người lập"])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(IngestError, match="--sheet") as info:
        read_firms(buffer.getvalue())
    assert "'Bìa'" in str(info.value) and "'Ghi chú'" in str(info.value)


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
    assert result.duplicates[["row", "other_row", "key", "value"]].values.tolist() == [
        [3, 2, "name", "Cty CP Co khi Hoa Binh"]
    ]
    assert _rejects(result, 3, "name")["value"].tolist() == ["Cty CP Co khi Hoa Binh"]
    assert list(result.data.index) == [2, 4]


def test_different_firms_at_one_address_are_kept():
    text = (
        "firm_id,name,tax_code,address\n"
        "F0001,Công ty TNHH Điện tử Meiko Việt Nam,0100109106,\"Lô 5, KCN Thạch Thất\"\n"
        "F0002,Công ty TNHH Điện tử Meiko,0101245486,\"Lô 5, KCN Thạch Thất\"\n"
        "F0003,Công ty CP Nhựa An Phát 1,0101243150,\"Số 1, Cầu Giấy\"\n"
        "F0004,Công ty CP Nhựa An Phát 2,0101250140,\"Số 1, Cầu Giấy\"\n"
        "F0005,Công ty CP Nhựa Tân Phú 1,,\"Số 9, Hà Đông\"\n"
        "F0006,Công ty CP Nhựa Tân Phú 2,,\"Số 9, Hà Đông\"\n"
    )
    result = read_firms(text.encode())
    assert result.duplicates.empty and result.rejects.empty
    assert result.rows_accepted == 6


def test_full_width_tax_code_is_the_ascii_code():
    text = "name,tax_code\nCông ty A,0100109106\nCông ty A (nhập lại),０１００１０９１０６\n"
    result = read_firms(text.encode())
    assert result.data["firm_id"].tolist() == ["F0100109106"]  # derived from the same code
    assert result.duplicates[["row", "other_row"]].values.tolist() == [[3, 2]]
    with_ids = read_firms(("firm_id," + text.replace("\nC", "\nF0001,C", 1)
                           .replace("\nC", "\nF0002,C", 1)).encode())
    assert with_ids.duplicates[["row", "other_row", "key", "value"]].values.tolist() == [
        [3, 2, "tax_code", "0100109106"]
    ]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("'0100109106", "0100109106"), ("0100109106.0", "0100109106"),
     ("０１００１０９１０６", "0100109106"), ("0100 109 106-001", "0100109106-001")],
)
def test_spreadsheet_artefacts_in_tax_codes_are_undone(cell, expected):
    result = read_firms(f"firm_id;name;tax_code\nF0001;A;{cell}\n".encode())
    assert result.rejects.empty and result.data.iloc[0]["tax_code"] == expected


@pytest.mark.parametrize(
    ("column", "cell", "says", "not_says"),
    [("tax_code", "0100109106-000", "branch 000", "check digit"),
     ("tax_code", "F0100109106", "not only digits", "check digit"),
     ("employees", "1e6", "scientific notation (= 1000000)", "range"),
     ("employees", "1E+06", "scientific notation", "range")],
)
def test_messages_name_the_real_problem(column, cell, says, not_says):
    result = read_firms(f"firm_id;name;{column}\nF0001;A;{cell}\n".encode())
    problem = result.rejects.iloc[0]
    assert says in problem["reason"] and not_says not in problem["reason"]
    assert problem["fix"] and problem["reason_vi"] != problem["reason"]


def test_fix_text_reads_as_one_sentence(firms):
    fix = _rejects(firms, 4, "tax_code").iloc[0]["fix"]
    assert "; if Excel removed a leading 0" in fix and " If " not in fix


def test_vietnamese_report_gives_vietnamese_reasons(firms):
    vi, en = firms.report("vi"), firms.report("en")
    assert "sai chữ số kiểm tra" in vi and "check digit fails" not in vi
    assert "cần một con số, nhận 'nhiều'" in vi and "loại hình sở hữu" in vi
    assert "check digit fails" in en
    assert (firms.rejects["reason_vi"] != "").all() and (firms.rejects["fix_vi"] != "").all()


def _cp1258(text: str) -> bytes:
    return text.encode("cp1258")


def test_one_cp1258_line_in_a_utf8_file_is_read_and_noted():
    data = (
        "firm_id,name,address\nF0001,Công ty Cơ khí Đông Anh,Đông Anh\n".encode()
        + _cp1258("F0002,Công ty Cơ khí Đông Á,Gia Lâm\n")
        + "F0003,Công ty Điện tử Sóc Sơn,Sóc Sơn\n".encode()
    )
    result = read_firms(data)
    assert result.rows_accepted == 3 and result.rows_rejected == 0
    assert result.data.loc[3, "name"] == "Công ty Cơ khí Đông Á"
    note = result.rejects
    assert note[["row", "scope"]].values.tolist() == [[3, "note"]]
    assert "Windows-1258" in note.iloc[0]["reason"]


def test_a_stray_byte_rejects_its_row_only():
    head = "firm_id,name,address\nF0001,Công ty Cơ khí Đông Anh,Đông Anh\n".encode()
    bad = "F0002,Công ty Nhựa".encode() + b"\xa0" + "Hà Nội,Gia Lâm\n".encode()
    tail = "F0003,Công ty Điện tử Sóc Sơn,Sóc Sơn\n".encode()
    result = read_firms(head + bad + tail)
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (3, 2, 1)
    assert list(result.data.index) == [2, 4]
    problem = result.rejects.iloc[0]
    assert (problem["row"], problem["scope"]) == (3, "row")
    offset = len(head) + len("F0002,Công ty Nhựa".encode())
    assert f"0xA0 at byte offset {offset}" in problem["reason"] and problem["fix"]
    assert "Whole-row problems" in result.report("en")


def test_a_mostly_cp1258_file_is_still_cp1258():
    data = _cp1258("firm_id,name\nF0001,Công ty Cơ khí Đông Á\nF0002,Công ty Đông Á\n")
    result = read_firms(data)
    assert result.encoding == "cp1258" and result.rejects.empty


def test_ragged_row_is_rejected_not_shifted():
    result = read_firms(b"firm_id,name\nF0001,A\nF0002,B,extra\n")
    assert result.rows_accepted == 1 and result.rows_rejected == 1
    assert "cells" in result.rejects.iloc[0]["reason"]


def test_buyers():
    text = (
        "Mã bên mua,Tên bên mua,Quốc gia,Khu công nghiệp,Ngành\n"
        "B001,Canon Việt Nam,Nhật Bản,KCN Thăng Long,điện tử\n"
        "B002,Foo,Atlantis,KCN Mặt Trăng,\n"
        "Canon/TL,Bar,JP,,\n"
        "CANON-TL 2,Baz,JP,,\n"
    )
    result = read_buyers(text.encode())
    assert result.buyers.loc[2, ["country", "park_id", "sector"]].tolist() == [
        "JP", "thang_long", "electronics"
    ]
    assert set(_rejects(result, 3, "country")["scope"]) == {"field"}
    assert set(_rejects(result, 3, "park_id")["scope"]) == {"field"}
    # the buyer's own ID is kept as written; only a '/' (unusable in a URL) rejects the row
    assert result.buyers.loc[5, "buyer_id"] == "CANON-TL 2"
    slash = _rejects(result, 4, "buyer_id")
    assert result.rows_rejected == 1 and "without '/'" in slash["reason"].iloc[0]
    assert "'Canon-TL'" in slash["fix"].iloc[0]


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
    assert "Số dòng đọc: 13" in vi and "Rows read: 13" in en
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
    assert "Rows read: 13" in out.output
    assert (tmp_path / "firms.rejects.csv").is_file()


def test_cli_dry_run_on_a_workbook_with_a_cover_sheet(tmp_path):
    from api.cli import app

    target = tmp_path / "firms.xlsx"
    target.write_bytes((FIXTURES / "firms_vi.xlsx").read_bytes())
    out = CliRunner().invoke(app, ["import", "firms", str(target), "--dry-run", "--lang", "en"])
    assert out.exit_code == 0, out.output
    assert "Read sheet 'Doanh nghiệp'" in out.output and "Rows read: 13" in out.output
    # Storing (without --dry-run) is tested on a temporary database in
    # tests/api/test_match_suggestions.py.


DEMO = REPO / "data" / "demo"


def test_demo_firms_reject_exactly_the_generators_broken_codes_and_duplicates():
    from stdnum.vn import mst

    result = read_table("firms", DEMO / "firms.csv")
    cells = pd.read_csv(DEMO / "firms.csv", dtype=str, keep_default_na=False)
    cells.index = cells.index + 2  # spreadsheet rows: the header is row 1
    truth = pd.read_csv(DEMO / "truth" / "firm_truth.csv", dtype=str, keep_default_na=False)
    row_of = {firm_id: row for row, firm_id in cells["firm_id"].items()}
    # duplicates: exactly the rows the generator re-entered, each pointing at its original
    copies = truth[truth["duplicate_of"] != ""]
    expected = sorted((row_of[c], row_of[o]) for c, o in zip(copies["firm_id"], copies["duplicate_of"], strict=True))
    assert len(expected) == len(cells) - 900
    assert sorted(map(tuple, result.duplicates[["row", "other_row"]].values.tolist())) == expected
    assert not result.duplicates["kept"].any()
    rejects = result.rejects
    rows = rejects[rejects["scope"] == "row"]
    assert sorted(set(rows["row"])) == [row for row, _ in expected]
    assert rows["reason"].str.startswith("duplicate of row").all(), rows.to_string()
    # tax codes: the generator breaks five (check digit, a digit missing, a dash, a letter O);
    # the rejected values are exactly those, and every other code is kept as written
    broken = {(row, code) for row, code in cells["tax_code"].items()
              if code and not mst.is_valid(code) and row in result.data.index}
    assert len(broken) == 5
    fields = rejects[rejects["scope"] == "field"]
    assert set(fields["column"]) == {"tax_code"}
    assert set(zip(fields["row"], fields["value"], strict=True)) == broken
    kept = result.data["tax_code"].dropna()
    assert (kept == cells.loc[kept.index, "tax_code"]).all()
    assert kept.str.contains("-").sum() >= 10  # branch codes are good codes
    # what else is said is a note on a cell kept as written
    notes = rejects[rejects["scope"] == "note"]
    assert set(notes["column"]) <= {"certifications", "sectors"}
    assert set(rejects["scope"]) <= {"field", "row", "note"}
    assert result.rows_rejected == len(expected) and result.unknown_columns == []
    assert "Trùng lặp" in result.report("vi")


@pytest.mark.parametrize("kind", ["buyers", "needs", "outcomes"])
def test_demo_buyers_needs_outcomes_import_without_a_reject(kind):
    result = read_table(kind, DEMO / f"{kind}.csv")
    assert result.rejects.empty, result.rejects.head(10).to_string()
    assert result.duplicates.empty and result.rows_rejected == 0
    assert result.rows_read == result.rows_accepted == len(pd.read_csv(DEMO / f"{kind}.csv"))


@pytest.mark.parametrize("kind", ["firms", "buyers", "needs", "outcomes"])
def test_templates_have_only_known_headers(kind):
    template = DEMO / "templates" / f"{kind}_template.xlsx"
    assert template.exists(), f"{template} is part of the repository (cnht demo --generate)"
    result = read_table(kind, template)
    assert result.unknown_columns == []
    assert result.rows_read == result.rows_accepted + result.rows_rejected


def _filled_template(kind: str, title: str | None = None, numbered: bool = False) -> bytes:
    """The project's template filled below its help rows with the first demo row."""
    from openpyxl import load_workbook

    book = load_workbook(DEMO / "templates" / f"{kind}_template.xlsx")
    sheet = book.worksheets[0]
    names = [cell.value for cell in sheet[2]]
    first = pd.read_csv(DEMO / f"{kind}.csv", dtype=str, keep_default_na=False).iloc[0]
    sheet.append([first.get(name, "") or None for name in names])
    if numbered:
        sheet.insert_cols(1)
        sheet.cell(row=1, column=1, value="STT")
        sheet.cell(row=4, column=1, value=1)
    if title:
        sheet.insert_rows(1)
        sheet.cell(row=1, column=1, value=title)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["firms", "buyers", "needs", "outcomes"])
@pytest.mark.parametrize(("title", "numbered"), [(None, False), ("DANH SÁCH NĂM 2026", True)])
def test_filled_templates_import_without_a_false_problem(kind, title, numbered):
    result = read_table(kind, _filled_template(kind, title, numbered), filename=f"{kind}.xlsx")
    assert result.rejects.empty, result.rejects.to_string()
    assert result.unknown_columns == []
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (1, 1, 0)
    if title:
        assert any("row 2" in notice["en"] for notice in result.notices)


@pytest.mark.parametrize("kind", ["firms", "buyers", "needs", "outcomes"])
def test_templates_downloaded_before_the_vietnamese_help_still_import(kind):
    # Templates handed out earlier hold the English description alone on their help row.
    from openpyxl import load_workbook

    from features.columns import BUYER_COLUMNS, FIRM_COLUMNS, NEED_COLUMNS, OUTCOME_COLUMNS

    english = {"firms": FIRM_COLUMNS, "buyers": BUYER_COLUMNS, "needs": NEED_COLUMNS, "outcomes": OUTCOME_COLUMNS}[kind]
    book = load_workbook(io.BytesIO(_filled_template(kind)))
    sheet = book.worksheets[0]
    for cell in sheet[3]:
        cell.value = english[sheet.cell(row=2, column=cell.column).value]
    out = io.BytesIO()
    book.save(out)
    result = read_table(kind, out.getvalue(), filename=f"{kind}.xlsx")
    assert result.rejects.empty, result.rejects.to_string()
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (1, 1, 0)


def test_needs_certifications_accept_national_equivalents_and_versions():
    table = (
        "need_id,buyer_id,title,mandatory_certifications,preferred_certifications\n"
        "N-0001,B001,Vỏ nhôm,TCVN ISO 9001:2015,ISO9001:2015; IATF 16949:2016\n"
    )
    result = read_table("needs", table.encode(), filename="needs.csv")
    row = result.data.iloc[0]
    assert row["mandatory_certifications"] == "iso_9001"
    assert set(row["preferred_certifications"].split(";")) == {"iso_9001", "iatf_16949"}
    assert result.rejects.empty


# --- any stable ID (issue 8 §1) ---------------------------------------------------------------
def test_firms_keep_their_own_ids():
    text = (
        "firm_id,name,description\n"
        "VN-0001,An Phát,dập kim loại\n"
        "  ＳＨＴＰ－００１ ,Bình Minh,ép nhựa\n"  # full-width, padded: the same key as SHTP-001
        "acme plant\t 2,Acme,CNC\n"
        "f0001,Lower,lowercase kept\n"
    )
    result = read_firms(text.encode())
    assert result.firms["firm_id"].tolist() == ["VN-0001", "SHTP-001", "acme plant 2", "f0001"]
    assert result.rows_rejected == 0
    validate("firms", result.firms)


def test_duplicate_ids_are_rejected_and_good_rows_kept():
    text = (
        "need_id,buyer_id,title\n"
        "REQ-1,CANON,vỏ nhôm\n"
        "REQ-2,CANON,bánh răng\n"
        "REQ-1,CANON,lò xo\n"
        "Ｒ Ｅ Ｑ,CANON,trục\n"
    )
    result = read_needs(text.encode())
    assert result.needs["need_id"].tolist() == ["REQ-1", "REQ-2", "R E Q"]
    duplicate = _rejects(result, 4, "need_id")
    assert duplicate["scope"].tolist() == ["row"]
    assert "duplicate of row 2" in duplicate["reason"].iloc[0]
    assert duplicate["fix"].iloc[0]
    assert result.rows_read == result.rows_accepted + result.rows_rejected == 4


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("x" * 500, "Expected a firm_id of at most 64 characters, got 500"),
        ("acme/plant 2", "Expected a firm_id without '/'"),
        ("VN\x07-1", "Expected a firm_id without control characters"),
        ("..", "Expected a firm_id other than '..'"),
    ],
)
def test_unusable_id_is_a_reject_with_reason_and_fix(cell, reason):
    result = read_firms(f"firm_id,name\nVN-0001,Good\n{cell},Bad\n".encode())
    assert result.firms["firm_id"].tolist() == ["VN-0001"]  # the good row goes in
    problem = _rejects(result, 3, "firm_id")
    assert problem["reason"].iloc[0].startswith(reason)
    assert problem["fix"].iloc[0] and problem["reason_vi"].iloc[0]
    assert set(problem["scope"]) == {"row"}


def test_empty_id_without_tax_code_rejects_the_row():
    result = read_firms(b"firm_id,name\n   ,Nameless\nVN-2,Named\n")
    assert result.firms["firm_id"].tolist() == ["VN-2"]
    assert "neither a valid firm_id" in _rejects(result, 2, "firm_id")["reason"].iloc[0]


def test_ids_are_generated_only_where_the_file_has_none():
    text = "firm_id,name,tax_code\n,A,0100109106\nOWN-7,B,0101248141\n"
    first, again = read_firms(text.encode()), read_firms(text.encode())
    assert first.firms["firm_id"].tolist() == ["F0100109106", "OWN-7"]
    assert again.firms["firm_id"].tolist() == first.firms["firm_id"].tolist()  # deterministic


def test_numeric_ids_from_a_workbook_are_text(tmp_path):
    path = tmp_path / "buyers.xlsx"
    pd.DataFrame({"buyer_id": [1001, 1002], "name": ["A", "B"]}).to_excel(path, index=False)
    assert read_buyers(path).buyers["buyer_id"].tolist() == ["1001", "1002"]


def test_province_stands_in_for_a_missing_address():
    text = "firm_id,name,province,lang,source\nVN-0001,A,Vĩnh Phúc,ja,web\n"
    result = read_firms(text.encode())
    assert result.firms.loc[2, "address"] == "Vĩnh Phúc"
    assert result.unknown_columns == ["lang", "source"]
    both = read_firms("firm_id,name,address,province\nVN-1,A,12 Lê Lợi,Hà Nội\n".encode())
    assert both.firms.loc[2, "address"] == "12 Lê Lợi"
    assert both.unknown_columns == ["province"]


@pytest.mark.parametrize("text", ["01/05/2026", "1-5-2026", "01.05.2026", "2026-05-01", "2026/5/1",
                                  "31/02/2026", "2026.05.01", "05/01-2026", "May 1 2026"])  # fmt: skip
def test_import_dates_follow_the_one_date_reader(text):
    """A date cell reads as :func:`features.dates.read_date` reads it (day first), or is refused
    with the accepted formats; Excel serials and "ngày 5 tháng 3 năm 2025" come on top."""
    from features.dates import DATE_FORMATS, read_date
    from features.ingest._parse import CellProblem, date

    expected = read_date(text)
    if expected is not None:
        assert date(text) == pd.Timestamp(expected)
        return
    with pytest.raises(CellProblem) as refused:
        date(text)
    assert all(f in refused.value.fix for f in DATE_FORMATS), refused.value.fix
    assert all(f in refused.value.fix_vi for f in DATE_FORMATS), refused.value.fix_vi


# A sheet numbered down its STT column before it is filled: rows with nothing but their number.
_NUMBERED_CSV = ("STT,firm_id,name,employees\n"
                 "1,STT-1,Công ty Một,10\n"
                 "2,,,\n"
                 "3,STT-3,Công ty Ba,30\n"
                 "4,,,\n"
                 "5,,,\n").encode()  # fmt: skip


def test_a_row_with_only_its_stt_is_a_blank_row_in_csv():
    result = read_table("firms", _NUMBERED_CSV, filename="so-thu-tu.csv")
    assert result.rejects.empty, result.rejects.to_string()
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (2, 2, 0)
    assert list(result.data["firm_id"]) == ["STT-1", "STT-3"]
    assert list(result.data.index) == [2, 4]  # rows keep the numbers of the file


def test_a_row_with_an_stt_and_some_data_is_still_read_and_checked():
    table = "STT,firm_id,name\n1,STT-1,Công ty Một\n2,,Công ty Hai\n3,STT-3,\n".encode()
    result = read_table("firms", table)
    # row 2 has a name but no id nor tax code; row 4 an id but no name: both still rejects
    assert set(result.rejects["row"]) == {3, 4}
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (3, 1, 2)


def test_a_row_with_only_its_stt_is_a_blank_row_in_xlsx():
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["STT", "firm_id", "name", "employees"])
    sheet.append([1, "STT-1", "Công ty Một", 10])
    for number in range(2, 40):
        sheet.append([number, None, None, None])
    out = io.BytesIO()
    book.save(out)
    result = read_table("firms", out.getvalue(), filename="so-thu-tu.xlsx")
    assert result.rejects.empty, result.rejects.to_string()
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (1, 1, 0)


@pytest.mark.parametrize("kind", ["firms", "buyers", "needs", "outcomes"])
def test_filled_templates_numbered_further_down_import_without_a_false_problem(kind):
    """The template filled with one row below its help rows, its STT column numbered 1 to 20."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(_filled_template(kind, "DANH SÁCH NĂM 2026", numbered=True)))
    sheet = book.worksheets[0]
    first = 5  # title, headers, two help rows, then the filled row
    assert sheet.cell(row=first, column=1).value == 1
    for number in range(2, 21):
        sheet.cell(row=first + number - 1, column=1, value=number)
    out = io.BytesIO()
    book.save(out)
    result = read_table(kind, out.getvalue(), filename=f"{kind}.xlsx")
    assert result.rejects.empty, result.rejects.to_string()
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (1, 1, 0)


def test_a_numbered_help_row_of_the_template_is_still_a_help_row():
    """Some number the STT column from the first row below the headers, help rows included."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(_filled_template("firms", numbered=True)))
    sheet = book.worksheets[0]
    for row in (2, 3):
        sheet.cell(row=row, column=1, value=row - 1)
    out = io.BytesIO()
    book.save(out)
    result = read_table("firms", out.getvalue(), filename="firms.xlsx")
    assert result.rejects.empty, result.rejects.to_string()
    assert (result.rows_read, result.rows_accepted) == (1, 1)


def test_preview_leaves_out_rows_with_only_their_stt():
    from features.ingest import preview_table

    preview = preview_table("firms", _NUMBERED_CSV)
    assert [number for number, _ in preview.rows] == [2, 4]
    assert preview.total == 2
