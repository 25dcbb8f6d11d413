"""``cnht event add|schedule|report`` on events stored in the service's database (issue 13),
on SQLite and PostgreSQL; the file form of ``cnht event schedule`` is tested in
tests/matching/test_cli_event.py."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from api.settings import get_settings
from tests.api.test_events_api import AWAY, EVENT, check_schedule, event, market  # noqa: F401 - the fixture

runner = CliRunner()


@pytest.fixture
def database(settings, market, monkeypatch):  # noqa: F811 - the imported fixture
    """The tiny market of test_events_api, the CLI pointed at its database."""
    monkeypatch.setenv("CNHT_DATABASE_URL", settings.database_url)
    if settings.database_schema:
        monkeypatch.setenv("CNHT_DATABASE_SCHEMA", settings.database_schema)
    get_settings.cache_clear()
    yield market
    get_settings.cache_clear()


def _add(tmp_path, **overrides):
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event(**overrides), ensure_ascii=False), encoding="utf-8")
    return runner.invoke(cli, ["event", "add", str(path)])


def test_a_stored_event_is_scheduled_by_its_id_the_files_written_and_the_schedule_stored(database, staff, tmp_path):
    client = database
    added = _add(tmp_path)
    assert added.exit_code == 0, added.output
    assert "Stored: EV-TEST" in added.stdout
    twice = _add(tmp_path)
    assert twice.exit_code == 2 and "EV-TEST is already stored" in twice.output
    out = tmp_path / "lich"
    result = runner.invoke(cli, ["event", "schedule", "EV-TEST", "--out", str(out), "--format", "csv",
                                 "--time-limit", "10", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert summary["event_id"] == "EV-TEST" and summary["status"] == "optimal"
    hall = pd.read_csv(out / "EV-TEST_tables.csv")
    assert len(hall) == summary["meetings"] and (out / "EV-TEST_schedule.json").exists()
    assert (out / "EV-TEST_hall.pdf").exists() and (out / "EV-TEST_calendars" / "buyer_B001.ics").exists()
    assert set(hall["firm_name"]) >= {"Công ty TNHH Cơ khí Chính xác Hòa Bình"}  # names from the database
    stored = client.get("/api/v1/events/EV-TEST/schedule", headers=staff).json()
    check_schedule(stored, EVENT)
    assert sorted(zip(hall["buyer_id"], hall["firm_id"], hall["slot_id"], strict=True)) == sorted(
        (m["buyer_id"], m["firm_id"], m["slot_id"]) for m in stored["data"])
    text = runner.invoke(cli, ["event", "schedule", "EV-TEST", "--out", str(out), "--no-pdf", "--no-calendars"])
    assert text.exit_code == 0 and "Buổi gặp / Meetings" in text.stdout


def test_reasons_and_warnings_are_printed_and_written_in_vietnamese_and_english(database, tmp_path):
    assert _add(tmp_path, **AWAY).exit_code == 0
    out = tmp_path / "lich"
    result = runner.invoke(cli, ["event", "schedule", "EV-AWAY", "--out", str(out), "--format", "csv", "--no-pdf",
                                 "--no-calendars", "--time-limit", "10"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "  - F0003 (0/1): bận ở mọi khung giờ / unavailable in every slot (bận cả ngày)" in result.stdout
    assert "  - B001 ↔ F0002: bên mua B001 có 2 yêu cầu gặp" in result.stdout
    assert ("⚠ Doanh nghiệp F0003 bận ở mọi khung giờ: không xếp được buổi gặp nào. / firm F0003 is unavailable "
            "in every slot") in result.stdout
    given_up = pd.read_csv(out / "EV-AWAY_given_up.csv").set_index("firm_id")
    assert given_up.loc["F0003", ["reason", "reason_vi"]].tolist() == ["unavailable in every slot (bận cả ngày)",
                                                                       "bận ở mọi khung giờ"]
    printed = runner.invoke(cli, ["event", "schedule", "EV-AWAY", "--out", str(out), "--no-pdf", "--no-calendars",
                                  "--time-limit", "10", "--json"])  # fmt: skip
    summary = json.loads(printed.stdout[printed.stdout.index("{"):])
    assert summary["warnings_vi"] == ["Doanh nghiệp F0003 bận ở mọi khung giờ: không xếp được buổi gặp nào."]


def test_unknown_ids_and_bad_files_are_clear_errors(database, tmp_path):
    for command in (["event", "schedule", "EV-NONE", "--out", str(tmp_path)], ["event", "report", "EV-NONE"]):
        result = runner.invoke(cli, command, env={"COLUMNS": "300"})
        assert result.exit_code == 2 and "Event EV-NONE not found" in result.output
    bad = _add(tmp_path, tables=0)
    assert bad.exit_code == 2 and "expected tables >= 1" in bad.output
    typo = _add(tmp_path, tablez=3)
    assert typo.exit_code == 2 and "tablez" in typo.output


def test_the_report_by_id_is_the_apis(database, staff, tmp_path):
    client = database
    assert _add(tmp_path).exit_code == 0
    scheduled = runner.invoke(cli, ["event", "schedule", "EV-TEST", "--out", str(tmp_path), "--no-pdf",
                                    "--no-calendars", "--time-limit", "10"])  # fmt: skip
    assert scheduled.exit_code == 0, scheduled.output
    client.post("/api/v1/events/EV-TEST/meetings/held", json={"buyer_id": "B001", "firm_id": "F0001"},
                headers=staff).raise_for_status()  # fmt: skip
    result = runner.invoke(cli, ["event", "report", "EV-TEST", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    api = client.get("/api/v1/events/EV-TEST/report", headers=staff).json()
    assert {k: report[k] for k in ("meetings_held", "follow_ups", "exposure_held", "exposure_scheduled")} == {
        k: api[k] for k in ("meetings_held", "follow_ups", "exposure_held", "exposure_scheduled")}
    assert report["meetings_held"] == 1
    text = runner.invoke(cli, ["event", "report", "EV-TEST"])
    assert text.exit_code == 0 and f"Meetings held: 1 of {report['meetings_scheduled']} scheduled" in text.stdout
    # A held schedule is not computed again, from the CLI either.
    again = runner.invoke(cli, ["event", "schedule", "EV-TEST", "--out", str(tmp_path)], env={"COLUMNS": "300"})
    assert again.exit_code == 2 and "recorded as held" in again.output
