"""``cnht event schedule`` through typer's CliRunner, on the demo event."""

from __future__ import annotations

import json
import re
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
    calendars = sorted((tmp_path / "EV-DEMO_calendars").glob("*.ics"))
    expected = {f"{kind}_{who}.ics" for kind, who in zip(people["participant_kind"], people["participant_id"], strict=True)}
    assert {p.name for p in calendars} == expected and len(summary["calendars"]) == len(expected)
    buyer = hall["buyer_id"].iloc[0]
    text = (tmp_path / "EV-DEMO_calendars" / f"buyer_{buyer}.ics").read_bytes().decode("utf-8")
    assert text.count("BEGIN:VEVENT") == (hall["buyer_id"] == buyer).sum()
    from pypdf import PdfReader

    assert len(PdfReader(tmp_path / "EV-DEMO_hall.pdf").pages) == event["tables"]
    assert len(PdfReader(tmp_path / "EV-DEMO_participants.pdf").pages) == len(expected)


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


def _plain(output: str) -> str:
    """The CLI's output without rich's box drawing and line wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


def _hall_rules_hold(hall: pd.DataFrame, tables: int) -> None:
    assert max(Counter(hall["slot_id"]).values()) <= tables
    for key in (["slot_id", "table"], ["slot_id", "buyer_id"], ["slot_id", "firm_id"], ["buyer_id", "firm_id"]):
        assert not hall.duplicated(key).any(), key


def test_reschedule_keeps_untouched_meetings_in_their_slot_and_table(tmp_path):
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    result = runner.invoke(app, ["event", "schedule", str(DEMO_EVENT), "--out", str(first_dir), "--format", "csv",
                                 "--time-limit", "30"])
    assert result.exit_code == 0, result.output
    first = pd.read_csv(first_dir / "EV-DEMO_tables.csv", dtype={"table": int})
    buyer = first["buyer_id"].iloc[0]
    firm_row = first[first["buyer_id"] != buyer].iloc[0]
    firm, firm_slot = firm_row["firm_id"], firm_row["slot_id"]
    pair_row = first[(first["buyer_id"] != buyer) & (first["firm_id"] != firm)].iloc[-1]
    pair = (pair_row["buyer_id"], pair_row["firm_id"])
    result = runner.invoke(app, ["event", "reschedule", str(DEMO_EVENT), "--previous",
                                 str(first_dir / "EV-DEMO_schedule.json"), "--cancel", buyer,
                                 "--cancel", f"{firm}:{firm_slot}", "--cancel", f"{pair[0]}+{pair[1]}",
                                 "--out", str(second_dir), "--format", "csv", "--time-limit", "30", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    second = pd.read_csv(second_dir / "EV-DEMO_tables.csv", dtype={"table": int})
    _hall_rules_hold(second, json.loads(DEMO_EVENT.read_text(encoding="utf-8"))["tables"])

    def touched(row) -> bool:
        return (row.buyer_id == buyer or (row.firm_id == firm and row.slot_id == firm_slot)
                or (row.buyer_id, row.firm_id) == pair)

    key = ["slot_id", "table", "buyer_id", "firm_id"]
    untouched = {tuple(r[k] for k in key) for r in first.to_dict("records") if not touched(pd.Series(r))}
    after = {tuple(r) for r in second[key].itertuples(index=False)}
    assert untouched <= after
    assert not any(touched(row) for row in second.itertuples(index=False))
    assert summary["meetings_kept"] == len(untouched) and summary["meetings_cancelled"] == len(first) - len(untouched)
    changes = pd.read_csv(second_dir / "EV-DEMO_changes.csv")
    assert set(changes["change"]) <= {"kept", "cancelled", "moved", "new", "dropped"}
    assert (changes["change"] == "cancelled").sum() == summary["meetings_cancelled"]


def test_reschedule_names_a_bad_cancellation_and_a_foreign_schedule(tmp_path):
    result = runner.invoke(app, ["event", "schedule", str(DEMO_EVENT), "--out", str(tmp_path), "--format", "csv",
                                 "--time-limit", "30"])
    assert result.exit_code == 0, result.output
    previous = str(tmp_path / "EV-DEMO_schedule.json")
    result = runner.invoke(app, ["event", "reschedule", str(DEMO_EVENT), "--previous", previous,
                                 "--cancel", "NOBODY", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "neither a buyer nor a firm" in _plain(result.output)
    record = json.loads(Path(previous).read_text(encoding="utf-8"))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**record, "event_id": "EV-OTHER"}), encoding="utf-8")
    result = runner.invoke(app, ["event", "reschedule", str(DEMO_EVENT), "--previous", str(other),
                                 "--cancel", "B008", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "belongs to event 'EV-OTHER'" in _plain(result.output)
