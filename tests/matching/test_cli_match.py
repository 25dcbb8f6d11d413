"""``cnht match`` and ``cnht suggest`` through typer's CliRunner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
runner = CliRunner()


def _plain(output: str) -> str:
    """CLI output without rich's box drawing and line wrapping."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", output).split())

FIRMS_CSV = """firm_id,name,description,certifications,address
F0001,Công ty TNHH Cơ khí Đông Anh,"Gia công phay CNC vỏ nhôm cho camera, anod hóa",ISO 9001:2015 hiệu lực đến 03/2027,"KCN Thăng Long, Đông Anh, Hà Nội"
F0002,Công ty TNHH Nhựa Hòa Bình,Ép nhựa ABS vỏ thiết bị điện tử,ISO 9001,
F0003,Công ty TNHH May Sóc Sơn,May áo sơ mi xuất khẩu,,
"""


@pytest.fixture
def firms_csv(tmp_path: Path) -> Path:
    path = tmp_path / "firms.csv"
    path.write_text(FIRMS_CSV, encoding="utf-8")
    return path


def test_match_any_csv_as_json(firms_csv):
    result = runner.invoke(app, ["match", "--firms", str(firms_csv), "--need", "vỏ nhôm CNC cho camera, ISO 9001",
                                 "--top", "2", "--format", "json", "--no-geocode"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["results"]
    assert [r["firm_id"] for r in rows][0] == "F0001" and len(rows) == 2
    first = rows[0]
    assert set(first) >= {"firm_id", "name", "score", "components", "reasons"}
    assert first["name"] == "Công ty TNHH Cơ khí Đông Anh"
    assert first["score"] == pytest.approx(sum(first["components"].values()), abs=1e-5)
    assert any("Nhôm / Aluminium" in r for r in first["reasons"])  # the label in each language
    assert any("ISO 9001 còn hiệu lực đến 03/2027" in r for r in first["reasons"])


def test_match_table_and_csv_are_readable(firms_csv):
    result = runner.invoke(app, ["match", "--firms", str(firms_csv), "--need", "ép nhựa ABS", "--top", "3",
                                 "--no-geocode"], env={"COLUMNS": "240"})  # a table as wide as its words
    assert result.exit_code == 0, result.output
    assert "Công ty TNHH Nhựa Hòa Bình" in result.stdout and "/ Injection moulding" in result.stdout
    assert "Lý do / Reasons" in result.stdout
    as_csv = runner.invoke(app, ["match", "--firms", str(firms_csv), "--need", "ép nhựa ABS", "--format", "csv",
                                 "--no-geocode"])
    assert as_csv.stdout.splitlines()[0].startswith("rank,firm_id,name,score,text,concepts,process_fit")
    assert as_csv.stdout.splitlines()[1].startswith("1,F0002,")


def test_match_errors_say_what_to_do(firms_csv, tmp_path):
    neither = runner.invoke(app, ["match", "--firms", str(firms_csv)])
    assert neither.exit_code != 0 and "exactly one of --need" in _plain(neither.output)
    missing = runner.invoke(app, ["match", "--firms", str(tmp_path / "nope.csv"), "--need", "x"])
    assert missing.exit_code != 0 and "does not exist" in _plain(missing.output)


def test_match_demo_firms_with_the_documented_command():
    result = runner.invoke(app, ["match", "--firms", str(DEMO / "firms.csv"), "--need",
                                 "vỏ nhôm CNC cho camera, ISO 9001", "--top", "5"])
    assert result.exit_code == 0, result.output
    assert "Lý do / Reasons" in result.stdout and "↔" in result.stdout
    as_json = runner.invoke(app, ["match", "--firms", str(DEMO / "firms.csv"), "--need",
                                  "vỏ nhôm CNC cho camera, ISO 9001", "--top", "5", "--format", "json"])
    rows = json.loads(as_json.stdout)["results"]
    assert len(rows) == 5
    assert all(r["components"]["process_fit"] > 0 or r["components"]["material_fit"] > 0 for r in rows)
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)


def test_match_and_suggest_on_demo_ids():
    import pandas as pd

    need_id = pd.read_csv(DEMO / "needs.csv", dtype=str)["need_id"].iloc[0]
    result = runner.invoke(app, ["match", "--need-id", need_id, "--data", str(DEMO), "--top", "3",
                                 "--format", "json", "--no-geocode"])
    assert result.exit_code == 0, result.output
    firm_id = json.loads(result.stdout)["results"][0]["firm_id"]
    suggested = runner.invoke(app, ["suggest", "--firm-id", firm_id, "--data", str(DEMO), "--format", "json",
                                    "--no-geocode"])
    assert suggested.exit_code == 0, suggested.output
    payload = json.loads(suggested.stdout)
    assert payload["firm_id"] == firm_id and payload["needs"]
    assert all("gaps" in n and "reasons" in n for n in payload["needs"])
    table = runner.invoke(app, ["suggest", "--firm-id", firm_id, "--data", str(DEMO), "--no-geocode"])
    assert table.exit_code == 0 and "Còn thiếu / Gaps" in table.stdout


def test_adhoc_files_that_cannot_be_used_are_refused_not_printed_empty(tmp_path):
    # A long path and a narrow terminal: rich wraps the message anywhere (issue 9), so the
    # test reads the plain words, whatever the folder and the terminal width.
    for extra in range(60):  # some length wraps "not a file" itself over two lines
        folder = tmp_path / ("f" * (20 + extra))
        folder.mkdir()
        result = runner.invoke(app, ["match", "--firms", str(folder), "--need", "ép nhựa"], env={"COLUMNS": "60"})
        assert result.exit_code == 2 and "not a file" in _plain(result.output), extra
    no_description = tmp_path / "firms.csv"
    no_description.write_text("firm_id,name\nF0001,Công ty A\n", encoding="utf-8")
    result = runner.invoke(app, ["match", "--firms", str(no_description), "--need", "ép nhựa"], env={"COLUMNS": "60"})
    assert result.exit_code == 2 and "description" in _plain(result.output)
