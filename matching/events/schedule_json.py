"""A schedule saved as JSON, the machine-readable record that :func:`reschedule` reads back.

``cnht event schedule`` and ``cnht event reschedule`` write it next to the spreadsheets, so a
late cancellation starts from exactly the schedule that was handed out.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from matching.events.schedule import MEETING_COLUMNS, Schedule
from matching.exceptions import EventError

__all__ = ["schedule_record", "write_schedule_json", "read_schedule_json", "SCHEDULE_FORMAT"]

SCHEDULE_FORMAT = "cnht-event-schedule/1"


def schedule_record(schedule: Schedule, written_at: datetime | None = None) -> dict:
    """``schedule`` as a JSON-ready dict: format tag, event ID, summary, meetings, changes."""
    meetings = schedule.meetings[MEETING_COLUMNS].astype(object).where(schedule.meetings[MEETING_COLUMNS].notna(), None)
    record = {
        "format": SCHEDULE_FORMAT,
        "event_id": schedule.event.event_id,
        "written_at": (written_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "summary": schedule.summary(),
        "meetings": [
            {**row, "table": int(row["table"]), "value": float(row["value"]),
             "score": None if row["score"] is None else float(row["score"])}
            for row in meetings.to_dict("records")
        ],
    }
    if not schedule.changes.empty:
        changes = schedule.changes.astype(object).where(schedule.changes.notna(), None)
        record["changes"] = changes.to_dict("records")
    return record


def write_schedule_json(schedule: Schedule, path: str | Path) -> Path:
    """Write :func:`schedule_record` of ``schedule`` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(json.dumps(schedule_record(schedule), ensure_ascii=False, indent=1, default=str),
                    encoding="utf-8")
    return path


def read_schedule_json(path: str | Path, event_id: str | None = None) -> pd.DataFrame:
    """The meetings of a schedule written by :func:`write_schedule_json`.

    Parameters
    ----------
    path : str or Path
    event_id : str, optional
        When given, the file must belong to this event.

    Returns
    -------
    pandas.DataFrame
        ``slot_id, day, start, end, table, buyer_id, firm_id, value, score, need_id, requested_by``.
    """
    path = Path(path)
    if not path.is_file():
        raise EventError(f"Schedule file {path} does not exist; give the *_schedule.json written by "
                         "`cnht event schedule`.")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EventError(f"Schedule file {path} cannot be read: {exc}. Give the *_schedule.json written by "
                         "`cnht event schedule`.") from None
    if not isinstance(record, dict) or record.get("format") != SCHEDULE_FORMAT or "meetings" not in record:
        raise EventError(f"Schedule file {path}: expected format {SCHEDULE_FORMAT!r} with 'meetings' (the "
                         "*_schedule.json written by `cnht event schedule`), got something else.")
    if event_id is not None and str(record.get("event_id")) != event_id:
        raise EventError(f"Schedule file {path} belongs to event {record.get('event_id')!r}, not {event_id!r}. "
                         "Give the schedule of this event.")
    meetings = pd.DataFrame(record["meetings"], columns=MEETING_COLUMNS)
    try:
        meetings = meetings.astype({"table": int, "value": float})
    except (TypeError, ValueError):
        raise EventError(f"Schedule file {path}: a meeting's table or value is not a number.") from None
    return meetings.fillna({"need_id": "", "requested_by": ""})
