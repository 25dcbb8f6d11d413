"""``cnht event schedule`` through typer's CliRunner, on the demo event."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from api.cli import app

ROOT = Path(__file__).resolve().parents[2]
DEMO_EVENT = ROOT / "data" / "demo" / "event_demo.json"
runner = CliRunner()


def test_schedule_writes_csv_files_that_hold_the_rules(tmp_path):
    result = runner.invoke(app, ["event", "schedule", str(DEMO_EVENT), "--out", str(tmp_path),
                                 "--format", "csv", "--time-limit", "30", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert summary["event_id"] == "EV-DEMO" and summary["meetings"] > 0
    hall = pd.read_csv(tmp_path / "EV-DEMO_tables.csv", dtype={"table": int})
    event = json.loads(DEMO_EVENT.read_text(encoding="utf-8"))
    assert len(hall) == summary["meetings"]
    assert max(Counter(hall["slot_id"]).values()) <= event["tables"]
    assert not hall.duplicated(["slot_id", "table"]).any()
    assert not hall.duplicated(["slot_id", "buyer_id"]).any()
    assert not hall.duplicated(["slot_id", "firm_id"]).any()
    people = pd.read_csv(tmp_path / "EV-DEMO_participants.csv")
    assert len(people) == 2 * len(hall)
    assert (tmp_path / "EV-DEMO_given_up.csv").exists()


def test_schedule_writes_one_workbook_and_prints_a_bilingual_summary(tmp_path):
    result = runner.invoke(app, ["event", "schedule", str(DEMO_EVENT), "--out", str(tmp_path), "--time-limit", "30"])
    assert result.exit_code == 0, result.output
    assert "Buổi gặp / Meetings" in result.stdout and "DN dưới tối thiểu / Firms below the minimum" in result.stdout
    sheets = pd.read_excel(tmp_path / "EV-DEMO_schedule.xlsx", sheet_name=None)
    assert list(sheets) == ["Theo người - By participant", "Theo bàn - By table", "Chưa xếp - Given up"]


def test_zero_tables_is_a_clear_error(tmp_path):
    event = json.loads(DEMO_EVENT.read_text(encoding="utf-8"))
    path = tmp_path / "event.json"
    path.write_text(json.dumps({**event, "tables": 0}), encoding="utf-8")
    result = runner.invoke(app, ["event", "schedule", str(path), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "tables=0" in " ".join(result.output.split())
