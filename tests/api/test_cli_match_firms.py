"""``cnht match --firms``: someone else's firm list as it is, with its own IDs and columns."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()

# Two lists shaped like real ones (not copies): foreign IDs, columns the firms table lacks.
SUPPLIERS_CSV = """firm_id,name,province,description,certifications,lang,source
VN-0001,Công ty Cơ khí Vĩnh Phúc,Vinh Phuc,"Dập kim loại tấm, khuôn dập liên hoàn",ISO 9001:2015,vi,web
acme plant 2,Acme Plant 2,Bac Ninh,Metal stamping of steel brackets and zinc plating,IATF 16949,en,catalogue
VN-0003,Công ty May Sóc Sơn,Ha Noi,May áo sơ mi xuất khẩu,,vi,web
"""
PARK_CSV = """firm_id,name,country,field,project,description,address,website
SHTP-001,Công ty Vi mạch Sài Gòn,Việt Nam,Vi điện tử,Thiết kế vi mạch,Thiết kế vi mạch và đóng gói IC,"Lô I3, Khu Công nghệ cao",https://example.vn
SHTP-002,Công ty Nhựa Kỹ thuật,Việt Nam,Cơ khí,Nhà máy,Ép nhựa kỹ thuật PA66 cho ô tô,"Lô T2, Khu Công nghệ cao",https://example.vn
"""


def _match(path: Path, need: str, *extra: str):
    return runner.invoke(app, ["match", "--firms", str(path), "--need", need, "--top", "3",
                               "--format", "json", "--no-geocode", *extra])


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_foreign_ids_and_extra_columns_are_accepted(tmp_path, suffix):
    path = tmp_path / f"suppliers{suffix}"
    if suffix == ".csv":
        path.write_text(SUPPLIERS_CSV, encoding="utf-8")
    else:
        pd.read_csv(_as_file(tmp_path, SUPPLIERS_CSV), dtype=str).to_excel(path, index=False)
    result = _match(path, "metal stamping brackets")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["results"]
    assert {r["firm_id"] for r in rows} == {"VN-0001", "acme plant 2", "VN-0003"}
    assert rows[0]["firm_id"] in {"VN-0001", "acme plant 2"}
    # one line names the ignored columns; province is used as the address
    notes = [line for line in result.stderr.splitlines() if "ignored columns" in line]
    assert len(notes) == 1 and "lang, source" in notes[0] and "province → address" in notes[0]
    assert "rejected" not in result.stderr


def _as_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "source.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_park_list_with_its_own_columns(tmp_path):
    path = _as_file(tmp_path, PARK_CSV)
    result = _match(path, "thiết kế vi mạch")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"][0]["firm_id"] == "SHTP-001"
    assert "ignored columns country, field, project, website" in result.stderr


def test_bad_and_repeated_ids_are_reported_good_rows_still_ranked(tmp_path):
    text = (
        "firm_id,name,description\n"
        "VN-0001,An Phát,Dập kim loại\n"
        "VN-0001,An Phát copy,Dập kim loại\n"
        f"{'x' * 500},Too long,Ép nhựa\n"
        "acme/plant 2,Slash,Ép nhựa\n"
    )
    result = _match(_as_file(tmp_path, text), "dập kim loại")
    assert result.exit_code == 0, result.output
    assert [r["firm_id"] for r in json.loads(result.stdout)["results"]] == ["VN-0001"]
    assert "3 of 4 rows rejected" in result.stderr
    assert "duplicate of row 2" in result.stderr
    assert "at most 64 characters, got 500" in result.stderr
