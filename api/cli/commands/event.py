"""``cnht event schedule`` and ``reschedule``: the meeting schedule of a business-matching event (issue 13).

Reads an event description (JSON/YAML, :func:`matching.events.read_event`; example
``data/demo/event_demo.json``), scores the pairs with the matcher fitted on the event's firms
from ``--data`` (firms.csv, buyers.csv, needs.csv), schedules the meetings
(:func:`matching.events.schedule_meetings`), prints the summary and writes the schedule per
participant, per table, and what was given up, as CSV files or one XLSX workbook, PDFs by
table for the hall and by participant (:mod:`matching.events.pdf`), an .ics calendar per
participant (:func:`matching.events.write_calendars`), plus the machine-readable
``EVENT_schedule.json``. ``cnht event reschedule`` reads that record back after a
late cancellation and keeps every meeting the cancellation does not touch
(:func:`matching.events.reschedule`).

Events stored in the service's database (``CNHT_DATABASE_URL``, default ``cnht.db``; the API's
``/events``): ``cnht event add FILE`` stores one, ``cnht event schedule EVENT_ID`` schedules it
with the matcher fitted on the database, stores the schedule (as ``POST /events/{id}/schedule``
does) and writes the same files; ``cnht event report EVENT_ID`` prints what it led to
(:func:`api.storage.events.event_report`, the API's report).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from api.cli.commands.match import DEMO_DIR, load_table

__all__ = ["register", "schedule_command", "reschedule_command", "add_command", "report_command", "OutputFormat"]

# Who wrote, in the audit log and the schedule's record, when the CLI stores (as `cnht import`).
CLI_ACTOR = "cli"

event_app = typer.Typer(
    help="Sự kiện kết nối giao thương / Business-matching events: lịch gặp tối ưu (optimised meeting schedule).",
    no_args_is_help=True,
)


class OutputFormat(StrEnum):
    """Files written by ``cnht event schedule``."""

    csv = "csv"
    xlsx = "xlsx"


def _tables(schedule, names: dict[str, str]):
    """The three tables written: by participant, by table (the hall's sheet), given up."""
    import pandas as pd

    people = schedule.per_participant()
    people.insert(2, "name", people["participant_id"].map(names).fillna(""))
    people.insert(people.columns.get_loc("with_id") + 1, "with_name", people["with_id"].map(names).fillna(""))
    hall = schedule.meetings.assign(buyer_name=schedule.meetings["buyer_id"].map(names).fillna(""),
                                    firm_name=schedule.meetings["firm_id"].map(names).fillna(""))
    people["value"] = people["value"].round(4)
    hall = hall.assign(value=hall["value"].round(4))
    hall = hall[["day", "start", "end", "slot_id", "table", "buyer_id", "buyer_name", "firm_id", "firm_name",
                 "need_id", "value", "requested_by"]]
    given_up = pd.concat([
        schedule.unplaced_requests.assign(kind="request not placed / yêu cầu chưa xếp được"),
        schedule.firms_below_minimum.assign(kind="firm below minimum / DN dưới số buổi tối thiểu"),
    ], ignore_index=True)
    columns = ["kind", "buyer_id", "firm_id", "requested_by", "meetings", "minimum", "reason", "reason_vi"]
    given_up = given_up.reindex(columns=columns)
    tables = {"participants": people, "tables": hall, "given_up": given_up}
    if not schedule.changes.empty:
        tables["changes"] = schedule.changes.assign(
            buyer_name=schedule.changes["buyer_id"].map(names).fillna(""),
            firm_name=schedule.changes["firm_id"].map(names).fillna(""))
    return tables


def _both(vi: str, en: str) -> str:
    """``"vi / en"`` as the CLI prints bilingual text; once when they are the same (an old record)."""
    return en if not vi or vi == en else f"{vi} / {en}"


def _write(tables: dict, out: Path, event_id: str, fmt: OutputFormat) -> list[Path]:
    import pandas as pd

    from features.cells import safe_frame

    out.mkdir(parents=True, exist_ok=True)
    if fmt is OutputFormat.xlsx:
        path = out / f"{event_id}_schedule.xlsx"
        sheets = {"participants": "Theo người - By participant", "tables": "Theo bàn - By table",
                  "given_up": "Chưa xếp - Given up", "changes": "Thay đổi - Changes"}
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for key, frame in tables.items():
                safe_frame(frame).to_excel(writer, sheet_name=sheets[key], index=False)
        return [path]
    paths = []
    for key, frame in tables.items():
        path = out / f"{event_id}_{key}.csv"
        safe_frame(frame).to_csv(path, index=False, encoding="utf-8-sig")  # BOM: Excel reads UTF-8
        paths.append(path)
    return paths


def _prepare(event_file: Path, data_dir: Path):
    """The event, the matcher's proposals for it, and the participants' names."""
    from features.exceptions import CnhtError
    from matching.events import propose_meetings, read_event
    from matching.matcher import SupplierMatcher

    try:
        event = read_event(event_file)
    except CnhtError as error:
        raise typer.BadParameter(str(error), param_hint="EVENT_FILE") from None
    firms = load_table(data_dir / "firms.csv", "firms")
    buyers = load_table(data_dir / "buyers.csv", "buyers")
    needs = load_table(data_dir / "needs.csv", "needs")
    wanted = {f.firm_id for f in event.firms}
    event_firms = firms[firms["firm_id"].astype(str).isin(wanted)]
    missing = sorted(wanted - set(event_firms["firm_id"].astype(str)))
    if missing:
        raise typer.BadParameter(f"Event {event.event_id}: firms {missing[:5]} ({len(missing)} in all) are not in "
                                 f"{data_dir / 'firms.csv'}. Import them or remove them from the event.",
                                 param_hint="EVENT_FILE")
    try:
        matcher = SupplierMatcher(geocode=False).fit(event_firms, buyers=buyers)
        proposals = propose_meetings(event, matcher, needs)
    except CnhtError as error:  # the user's to fix: say so, no traceback
        raise typer.BadParameter(str(error)) from None
    names = dict(zip(firms["firm_id"].astype(str), firms["name"].astype(str), strict=False))
    names |= {b: n for b, n in zip(buyers["buyer_id"].astype(str), buyers["name"].astype(str), strict=False)}
    return event, proposals, names


def _report(schedule, names: dict[str, str], out: Path, fmt: OutputFormat, as_json: bool,
            calendars: bool = True, pdf: bool = True) -> None:
    """Write the files and print the summary (bilingual, or JSON)."""
    from matching.events import hall_pdf, participants_pdf, write_calendars, write_schedule_json

    event = schedule.event
    tables = _tables(schedule, names)
    paths = _write(tables, out, event.event_id, fmt)
    paths.append(write_schedule_json(schedule, out / f"{event.event_id}_schedule.json"))
    if pdf:
        for suffix, render in (("hall", hall_pdf), ("participants", participants_pdf)):
            path = out / f"{event.event_id}_{suffix}.pdf"
            path.write_bytes(render(schedule, names))
            paths.append(path)
    written = []
    if calendars:
        written = write_calendars(schedule, out / f"{event.event_id}_calendars", names)
    summary = schedule.summary() | {"event_id": event.event_id, "files": [str(p) for p in paths],
                                    "calendars": [str(p) for p in written], "warnings": schedule.warnings,
                                    "warnings_vi": schedule.warnings_vi}
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    gap = "—" if schedule.gap is None else f"{schedule.gap:.2%}"
    bound = "—" if schedule.bound is None else f"{schedule.bound:.2f}"
    lines = [
        f"Sự kiện / Event {event.event_id}: {event.name}",
        f"Buổi gặp / Meetings: {summary['meetings']} ({len(event.slots)} khung giờ / slots x {event.tables} bàn / tables)",
        f"Tổng giá trị / Total value: {schedule.value:.2f}; cận trên / bound: {bound}; "
        f"khoảng cách / gap: {gap}; {schedule.status}, {schedule.seconds:.1f} s",
        f"DN có ít nhất một buổi / Firms with a meeting: {summary['firms_with_meeting']} of {len(event.firms)}",
        f"DN dưới tối thiểu / Firms below the minimum ({event.min_meetings}): {summary['firms_below_minimum']}",
        f"Yêu cầu chưa xếp / Requests not placed: {summary['requests_unplaced']} of {summary['requests']}",
        f"Khung giờ chờ / Idle gaps: {summary['idle_gaps']}",
    ]
    if not schedule.changes.empty:
        lines.append(
            f"Giữ nguyên / Kept: {summary['meetings_kept']}; hủy / cancelled: {summary['meetings_cancelled']}; "
            f"chuyển giờ / moved: {summary['meetings_moved']}; xếp thêm / new: {summary['meetings_new']}; "
            f"bỏ (không còn hợp lệ) / dropped: {summary['meetings_dropped']}")
    for row in schedule.unplaced_requests.head(10).itertuples(index=False):
        lines.append(f"  - {row.buyer_id} ↔ {row.firm_id}: {_both(row.reason_vi, row.reason)}")
    for row in schedule.firms_below_minimum.head(10).itertuples(index=False):
        lines.append(f"  - {row.firm_id} ({row.meetings}/{row.minimum}): {_both(row.reason_vi, row.reason)}")
    lines += [f"⚠ {_both(vi, en)}" for vi, en in zip(schedule.warnings_vi, schedule.warnings, strict=True)]
    lines += [f"Đã ghi / Written: {p}" for p in paths]
    if written:
        lines.append(f"Lịch .ics / Calendars: {len(written)} tệp / files in {written[0].parent}")
    print("\n".join(lines))


DataOption = Annotated[Path, typer.Option("--data", help="Thư mục firms.csv, buyers.csv, needs.csv / Folder with the firms, buyers and needs.")]
OutOption = Annotated[Path, typer.Option("--out", help="Thư mục ghi lịch / Folder for the schedule files.")]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="csv (một tệp mỗi bảng / one file per table) hoặc / or xlsx (một sổ / one workbook).")]
TimeOption = Annotated[float, typer.Option("--time-limit", min=0.1, help="Giây cho bộ giải / Seconds for the solver (best schedule so far returned).")]
CalendarsOption = Annotated[bool, typer.Option("--calendars/--no-calendars", help="Ghi tệp lịch .ics cho từng người tham dự / Write an .ics calendar per participant (folder EVENT_calendars).")]
PdfOption = Annotated[bool, typer.Option("--pdf/--no-pdf", help="Ghi PDF theo bàn (cho hội trường) và theo người / Write PDFs by table (the hall) and by participant.")]
JsonOption = Annotated[bool, typer.Option("--json", help="In tóm tắt dạng JSON / Print the summary as JSON.")]
EventArgument = Annotated[Path, typer.Argument(help="Tệp mô tả sự kiện / Event description (JSON or YAML), e.g. data/demo/event_demo.json.")]


EventOrIdArgument = Annotated[str, typer.Argument(
    metavar="EVENT", help="Tệp mô tả sự kiện (JSON/YAML) hoặc mã sự kiện trong cơ sở dữ liệu / An event file "
                          "(JSON or YAML), e.g. data/demo/event_demo.json, or the ID of an event stored in the "
                          "database (CNHT_DATABASE_URL), e.g. EV-DEMO.")]


def _is_event_file(text: str) -> bool:
    path = Path(text)
    return path.is_file() or path.suffix.lower() in {".json", ".yaml", ".yml"}


@contextmanager
def _event_database():
    """A session on the service's database, migrated first (the events tables came with 0008)."""
    from api.settings import get_settings
    from api.storage.session import make_engine, make_sessionmaker, migrate

    engine = make_engine(get_settings())
    try:
        migrate(engine)
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _stored_or_bad(session, event_id: str):
    from api.storage.errors import NotFoundError
    from api.storage.events import get_event

    try:
        return get_event(session, event_id)
    except NotFoundError as error:
        raise typer.BadParameter(f"{error} The database is CNHT_DATABASE_URL (default cnht.db); store the event "
                                 "with `cnht event add FILE`, or give the event file instead.", param_hint="EVENT") from None


def _schedule_stored(event_id: str, time_limit: float):
    """Schedule the stored event with the matcher fitted on the database, and store the schedule."""
    from api.cli.database import fitted_on_database
    from api.storage.events import (
        event_needs,
        participant_names,
        propose_and_schedule,
        refuse_if_held,
        store_schedule,
        stored_event,
    )
    from features.exceptions import CnhtError

    with _event_database() as session:
        record = _stored_or_bad(session, event_id)
        try:
            refuse_if_held(session, record)
        except CnhtError as error:
            raise typer.BadParameter(str(error), param_hint="EVENT") from None
        event = stored_event(record)
        fitted = fitted_on_database(session)
        needs = event_needs(session, event)
        names = participant_names(session, event)
        session.rollback()  # only read: no lock held while the solver runs
        try:
            schedule = propose_and_schedule(event, fitted.matcher, needs, time_limit=time_limit)
            store_schedule(session, event_id, schedule, by=CLI_ACTOR)
            session.commit()
        except CnhtError as error:  # the user's to fix (a held schedule, a firm deleted since)
            session.rollback()
            raise typer.BadParameter(str(error), param_hint="EVENT") from None
    return schedule, names


def schedule_command(
    event_file: EventOrIdArgument,
    data_dir: DataOption = DEMO_DIR,
    out: OutOption = Path("."),
    fmt: FormatOption = OutputFormat.xlsx,
    time_limit: TimeOption = 60.0,
    calendars: CalendarsOption = True,
    pdf: PdfOption = True,
    as_json: JsonOption = False,
) -> None:
    """Xếp lịch gặp cho sự kiện kết nối giao thương / Schedule an event's meetings.

    Đề xuất cặp gặp từ điểm ghép nối (best score over each buyer's needs), cộng yêu cầu của
    người tham dự, rồi xếp vào khung giờ và bàn (MILP, HiGHS) sao cho tổng giá trị cao nhất và
    mỗi doanh nghiệp đã đăng ký có ít nhất ``min_meetings`` buổi khi dữ liệu cho phép.
    Ghi thêm EVENT_schedule.json: lịch gốc cho ``cnht event reschedule`` / the record to reschedule from.
    EVENT là tệp, hoặc mã sự kiện đã lưu trong cơ sở dữ liệu: khi đó dùng DN, bên mua, nhu cầu của cơ sở
    dữ liệu và lưu lịch vào đó (như POST /api/v1/events/{id}/schedule) / EVENT is a file, or the ID of an
    event stored in the database (CNHT_DATABASE_URL): then the database's firms, buyers and needs are used
    (--data is not read) and the schedule is stored there too, as the API's POST .../schedule does.
    Example: ``cnht event schedule data/demo/event_demo.json --out lich --format xlsx``;
    ``cnht event schedule EV-DEMO --out lich``.
    """
    from features.exceptions import CnhtError
    from matching.events import schedule_meetings

    if not _is_event_file(event_file):
        schedule, names = _schedule_stored(event_file, time_limit)
        _report(schedule, names, out, fmt, as_json, calendars, pdf)
        return
    event, proposals, names = _prepare(Path(event_file), data_dir)
    try:
        schedule = schedule_meetings(event, proposals, time_limit=time_limit)
    except CnhtError as error:  # the user's to fix: say so, no traceback
        raise typer.BadParameter(str(error)) from None
    _report(schedule, names, out, fmt, as_json, calendars, pdf)


def reschedule_command(
    event_file: EventArgument,
    previous: Annotated[Path, typer.Option("--previous", help="Lịch đã phát / The schedule handed out: EVENT_schedule.json written by `cnht event schedule` (or an earlier reschedule).")],
    cancel: Annotated[list[str] | None, typer.Option("--cancel", help="Hủy / Cancellation, repeatable: PARTICIPANT (cả ngày / all day), PARTICIPANT:SLOT,SLOT (slot ID such as D1-03 or start time 10:30), or BUYER+FIRM (một cặp / one pair).")] = None,
    data_dir: DataOption = DEMO_DIR,
    out: OutOption = Path("."),
    fmt: FormatOption = OutputFormat.xlsx,
    time_limit: TimeOption = 60.0,
    calendars: CalendarsOption = True,
    pdf: PdfOption = True,
    as_json: JsonOption = False,
) -> None:
    """Xếp lại lịch sau khi có người hủy muộn / Reschedule after a late cancellation.

    Mọi buổi gặp không liên quan đến việc hủy giữ nguyên khung giờ và bàn; chỗ trống được
    xếp cho các cặp phù hợp nhất còn lại, ưu tiên số buổi tối thiểu của doanh nghiệp.
    Every meeting the cancellation does not touch stays in its slot at its table; freed places
    go to the best remaining pairs, firms' minimum first. The files list each meeting as kept,
    cancelled, moved or new (sheet "Thay đổi - Changes").
    Example: ``cnht event reschedule data/demo/event_demo.json --previous lich/EV-DEMO_schedule.json
    --cancel B017 --cancel F0013:D1-03,D1-04 --cancel B008+F0027 --out lich2``.
    """
    from features.exceptions import CnhtError
    from matching.events import parse_cancellation, read_schedule_json, reschedule

    event, proposals, names = _prepare(event_file, data_dir)
    try:
        earlier = read_schedule_json(previous, event_id=event.event_id)
    except CnhtError as error:
        raise typer.BadParameter(str(error), param_hint="--previous") from None
    try:
        cancellations = [parse_cancellation(text, event) for text in cancel or []]
    except CnhtError as error:
        raise typer.BadParameter(str(error), param_hint="--cancel") from None
    try:
        schedule = reschedule(event, earlier, proposals, cancellations, time_limit=time_limit)
    except CnhtError as error:
        raise typer.BadParameter(str(error)) from None
    _report(schedule, names, out, fmt, as_json, calendars, pdf)


def add_command(event_file: EventArgument) -> None:
    """Lưu sự kiện vào cơ sở dữ liệu / Store an event in the database (CNHT_DATABASE_URL), as POST /api/v1/events.

    Bên mua, DN và nhu cầu của sự kiện phải có sẵn trong cơ sở dữ liệu / its buyers, firms and needs must be
    in the database already (cnht import). Example: ``cnht event add data/demo/event_demo.json``.
    """
    from pydantic import ValidationError

    from api.schemas_events import EventCreate
    from api.storage.events import create_event
    from features.description_files import read_description
    from features.exceptions import CnhtError
    from matching.exceptions import EventError

    def checked(data: object) -> dict:
        # The API's schema: the same types checked, the same JSON stored (YAML dates as text).
        try:
            return EventCreate.model_validate(data).definition()
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:5])
            raise EventError(f"Event file {event_file}: {problems}. Fix the file "
                             "(format: data/demo/event_demo.json).") from None

    try:
        definition = read_description(event_file, checked, EventError, "Event file", "data/demo/event_demo.json")
    except CnhtError as error:
        raise typer.BadParameter(str(error), param_hint="EVENT_FILE") from None
    with _event_database() as session:
        try:
            record = create_event(session, definition, by=CLI_ACTOR)
            session.commit()
        except CnhtError as error:
            session.rollback()
            raise typer.BadParameter(str(error), param_hint="EVENT_FILE") from None
        print(f"Đã lưu / Stored: {record.event_id} ({record.name}). "
              f"Xếp lịch / Schedule: cnht event schedule {record.event_id}")


def report_command(
    event_id: Annotated[str, typer.Argument(metavar="EVENT_ID", help="Mã sự kiện trong cơ sở dữ liệu / ID of an event stored in the database, e.g. EV-DEMO.")],
    as_json: JsonOption = False,
) -> None:
    """Báo cáo sự kiện / What a stored event led to: meetings held, follow-ups, exposure of local firms.

    Follow-ups are the later outcomes (sample, audit, order, rejected) of pairs whose meeting
    was recorded as held; exposure is the share of registered firms with at least one meeting
    and the Gini of meetings per registered firm (0: even). Same figures as GET /api/v1/events/{id}/report.
    """
    from api.storage.events import event_report

    with _event_database() as session:
        _stored_or_bad(session, event_id)
        report = event_report(session, event_id)
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return
    held, planned = report["exposure_held"], report["exposure_scheduled"]
    follow = report["follow_ups"]
    lines = [
        f"Sự kiện / Event {report['event_id']}: {report['name']}",
        f"Buổi gặp đã diễn ra / Meetings held: {report['meetings_held']} of {report['meetings_scheduled']} scheduled"
        + ("" if report["scheduled"] else " (chưa xếp lịch / not scheduled yet)"),
        "Sau buổi gặp / Follow-ups: " + ", ".join(f"{status} {n}" for status, n in follow.items()),
        f"DN có buổi gặp (theo lịch) / Firms with a meeting (scheduled): {planned['firms_with_meeting']} of "
        f"{planned['registered_firms']} registered ({planned['share_with_meeting']:.0%}), Gini {planned['gini']:.2f}",
        f"DN có buổi gặp (đã diễn ra) / Firms with a meeting (held): {held['firms_with_meeting']} of "
        f"{held['registered_firms']} registered ({held['share_with_meeting']:.0%}), Gini {held['gini']:.2f}",
    ]
    print("\n".join(lines))


def register(app: typer.Typer) -> None:
    """Add ``cnht event schedule|reschedule|add|report`` to the CLI."""
    event_app.command("schedule")(schedule_command)
    event_app.command("reschedule")(reschedule_command)
    event_app.command("add")(add_command)
    event_app.command("report")(report_command)
    app.add_typer(event_app, name="event")
