"""One formula rule for every export (issue 12): cells a spreadsheet would run get an apostrophe,
in the function and in each file the project writes for people to open."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from features.cells import FORMULA_STARTS, safe_cell, safe_frame

runner = CliRunner()
ATTACKS = ['=HYPERLINK("http://evil","x")', "+84 24 3825", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("text", ATTACKS)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert text.startswith(FORMULA_STARTS)
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["ép nhựa", "ISO 9001", "", 12, -3.5, None, "a=b"])
def test_other_cells_stay_as_they_are(value):
    assert safe_cell(value) == value


def test_a_frame_keeps_numbers_and_neutralises_text_and_headers():
    frame = pd.DataFrame({"name": ATTACKS, "score": [-1.0] * len(ATTACKS), "=x": ["ok"] * len(ATTACKS)})
    safe = safe_frame(frame)
    assert list(safe.columns) == ["name", "score", "'=x"]
    assert all(c.startswith("'") for c in safe["name"])
    assert safe["score"].tolist() == [-1.0] * len(ATTACKS)
    assert frame["name"].tolist() == ATTACKS  # the input is not changed


def test_cnht_match_csv_neutralises_names_from_the_firms_file(tmp_path):
    firms = tmp_path / "firms.csv"
    firms.write_text('firm_id,name,description\n=1+1,"=HYPERLINK(""http://evil"",""x"")",'
                     "Dập kim loại tấm metal stamping\n@F2,+Cơ khí,metal stamping brackets\n",
                     encoding="utf-8")  # fmt: skip
    result = runner.invoke(app, ["match", "--firms", str(firms), "--need", "metal stamping",
                                 "--top", "2", "--format", "csv", "--no-geocode"])  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout), dtype=str)
    cells = table[["firm_id", "name"]].to_numpy().ravel().tolist()
    assert sorted(cells) == sorted(["'=1+1", "'=HYPERLINK(\"http://evil\",\"x\")", "'@F2", "'+Cơ khí"])
    assert json.dumps(cells)  # plain text, nothing else


def test_cnht_import_rejects_file_neutralises_quoted_cells(tmp_path):
    source = tmp_path / "buyers.csv"
    source.write_text('buyer_id,name,country\nB1,Canon,JP\nB2,Canon,"=cmd|\' /C calc\'!A0"\n', encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    result = runner.invoke(app, ["import", "buyers", str(source), "--dry-run", "--rejects", str(rejects),
                                 "--lang", "en"], env={"COLUMNS": "300"})  # fmt: skip
    assert result.exit_code == 0, result.output
    written = pd.read_csv(rejects, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    texts = written.to_numpy().ravel().tolist()
    assert any("cmd|" in t for t in texts), texts
    assert not any(t.startswith(FORMULA_STARTS) for t in texts), texts
