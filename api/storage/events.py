"""Business-matching events in the database: stored, scheduled, held, reported (issue 13).

An event is stored as the project's event JSON (:class:`api.storage.models.MatchingEvent`,
read by :func:`matching.events.event_from_dict`, the reader of the file-based ``cnht event``
commands); its current schedule is one :class:`~api.storage.models.EventMeeting` row per
meeting. The API (:mod:`api.routes.events`) and the CLI (``cnht event schedule|report
EVENT_ID``) call the functions here, so both say the same thing:

* :func:`create_event` checks the event (every inconsistency named, 422) and that its
  buyers, firms and needs are in the database;
* :func:`propose_and_schedule` scores the pairs with the service's fitted matcher and runs the
  MILP (:func:`matching.events.schedule_meetings`, with its time limit); :func:`store_schedule`
  replaces the event's meetings with the new schedule (refused once a meeting was held);
* :func:`record_meeting_held` turns a meeting held into the outcome ``meeting`` on its (need,
  firm) pair through :func:`api.storage.repository.record_outcome`, once;
* :func:`event_report` reads meetings held, the pairs' later outcomes and the firms' exposure;
* :func:`change_pair` adds or lifts a request or a refusal made by hand (the event's pages);
  :func:`schedule_of` gives the stored schedule back as a :class:`matching.events.Schedule`
  for the files (XLSX, PDF, .ics) the pages offer; :func:`given_up` reads what a stored
  schedule gave up, with reasons and warnings in English and Vietnamese.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.storage.errors import ConflictError, NotFoundError, ServiceError
from api.storage.models import Buyer, EventMeeting, Firm, MatchingEvent, Need, Outcome
from api.storage.outcomes import FINAL_STATUSES, RECORDED_ORDER
from api.storage.repository import audit, latest_status, record_outcome
from features.columns import OUTCOME_PATH
from features.exceptions import CnhtError
from matching.events import Event, Schedule, event_from_dict, firm_exposure, schedule_record
from matching.events.schedule import BELOW_MINIMUM_COLUMNS, MEETING_COLUMNS, UNPLACED_COLUMNS

__all__ = [
    "EventInvalidError",
    "HeldMeeting",
    "create_event",
    "get_event",
    "list_events",
    "stored_event",
    "event_needs",
    "participant_names",
    "event_proposals",
    "solve_schedule",
    "propose_and_schedule",
    "refuse_if_held",
    "store_schedule",
    "stored_schedule",
    "record_meeting_held",
    "event_report",
    "change_pair",
    "PAIR_CHANGES",
    "schedule_of",
    "given_up",
    "FOLLOW_UP_STATUSES",
]

# Stages a pair can reach after its meeting, in the order of the outcome path, then rejection.
FOLLOW_UP_STATUSES: tuple[str, ...] = (*OUTCOME_PATH[OUTCOME_PATH.index("meeting") + 1 :], "rejected")
# How a pair with no history reaches 'meeting' at an event: each step recorded, named by the event.
_STEPS_TO_MEETING = OUTCOME_PATH[: OUTCOME_PATH.index("meeting") + 1]
# A client's clock may run a little ahead of the server's; more than this is a date in the future.
_CLOCK_SKEW = dt.timedelta(minutes=5)


class EventInvalidError(ServiceError):
    """The event cannot be stored or scheduled as described (the message names what to fix)."""

    status_code = 422


_KINDS_VI = {"buyers": "các bên mua", "firms": "các doanh nghiệp"}


def _not_found(event_id: str) -> NotFoundError:
    return NotFoundError(f"Event {event_id} not found. List the stored events with GET /api/v1/events, "
                         "or store it first (POST /api/v1/events).",
                         vi=f"Không tìm thấy sự kiện {event_id}. Xem các sự kiện đã lưu bằng GET /api/v1/events, "
                            "hoặc lưu sự kiện trước (POST /api/v1/events).")


def get_event(session: Session, event_id: str, *, for_update: bool = False) -> MatchingEvent:
    """The stored event ``event_id``; :class:`NotFoundError` (404) when there is none."""
    query = select(MatchingEvent).where(MatchingEvent.event_id == event_id)
    record = session.scalar(query.with_for_update() if for_update else query)
    if record is None:
        raise _not_found(event_id)
    return record


def list_events(session: Session, *, limit: int = 100, offset: int = 0) -> tuple[list[MatchingEvent], int]:
    """Stored events, newest first, and how many there are."""
    rows = list(session.scalars(select(MatchingEvent).order_by(MatchingEvent.id.desc()).limit(limit).offset(offset)))
    return rows, int(session.scalar(select(func.count(MatchingEvent.id))) or 0)


def stored_event(record: MatchingEvent) -> Event:
    """The :class:`matching.events.Event` of a stored event (its definition read again)."""
    return _parse(record.definition)


def _parse(definition: Mapping[str, Any]) -> Event:
    try:
        return event_from_dict(definition)
    except CnhtError as exc:  # names the constraint and how to fix it
        raise EventInvalidError(str(exc), vi=exc.message_vi) from None
    except (KeyError, TypeError, ValueError, OverflowError) as exc:  # a key missing, a number that is not one
        raise EventInvalidError(f"The event JSON cannot be read ({type(exc).__name__}: {exc}). Fix it after the "
                                "format of data/demo/event_demo.json and send it again.",
                                vi=f"Không đọc được JSON của sự kiện ({type(exc).__name__}: {exc}). Hãy sửa theo "
                                   "định dạng của data/demo/event_demo.json rồi gửi lại.") from None


def _absent(session: Session, column, wanted: set[str]) -> list[str]:
    if not wanted:
        return []
    found = set(session.scalars(select(column).where(column.in_(wanted))))
    return sorted(wanted - found)


def create_event(session: Session, definition: Mapping[str, Any], *, by: str) -> MatchingEvent:
    """Check an event and store it.

    Parameters
    ----------
    session : Session
    definition : mapping
        The event JSON (:func:`matching.events.event_from_dict`).
    by : str
        Who stores it (audit).

    Raises
    ------
    EventInvalidError
        The event is inconsistent (zero tables, a pair both requested and refused, an unknown
        slot...), or names buyers, firms or needs that the database lacks, or a need of another
        buyer.
    ConflictError
        An event with this ``event_id`` is already stored.
    """
    event = _parse(definition)
    if session.scalar(select(MatchingEvent.id).where(MatchingEvent.event_id == event.event_id)) is not None:
        raise ConflictError(f"Event {event.event_id} is already stored. Give the new event another event_id, "
                            "or read the stored one with GET /api/v1/events/{event_id}.",
                            vi=f"Sự kiện {event.event_id} đã có trong hệ thống. Hãy đặt event_id khác cho sự kiện mới, "
                               "hoặc xem sự kiện đã lưu bằng GET /api/v1/events/{event_id}.")
    for kind, column, wanted in (("buyers", Buyer.buyer_id, {b.buyer_id for b in event.buyers}),
                                 ("firms", Firm.firm_id, {f.firm_id for f in event.firms})):
        absent = _absent(session, column, wanted)
        if absent:
            raise EventInvalidError(
                f"Event {event.event_id}: {kind} {absent[:10]} ({len(absent)} in all) are not in the database. "
                f"Create or import them first (POST /api/v1/{kind}, cnht import {kind}), or remove them from the event.",
                vi=f"Sự kiện {event.event_id}: {_KINDS_VI[kind]} {absent[:10]} (tổng cộng {len(absent)}) chưa có trong "
                   f"cơ sở dữ liệu. Hãy tạo hoặc nhập trước (POST /api/v1/{kind}, cnht import {kind}), hoặc bỏ "
                   "khỏi sự kiện.")
    named = {n: b.buyer_id for b in event.buyers for n in b.need_ids}
    owners = dict(session.execute(select(Need.need_id, Need.buyer_id).where(Need.need_id.in_(set(named)))).all())
    absent = sorted(set(named) - set(owners))
    if absent:
        raise EventInvalidError(
            f"Event {event.event_id}: needs {absent[:10]} ({len(absent)} in all) are not in the database. Create or "
            "import them first (POST /api/v1/needs), or remove them from the buyers' 'needs'.",
            vi=f"Sự kiện {event.event_id}: các nhu cầu {absent[:10]} (tổng cộng {len(absent)}) chưa có trong cơ sở dữ "
               "liệu. Hãy tạo hoặc nhập trước (POST /api/v1/needs), hoặc bỏ khỏi mục 'needs' của bên mua.")
    foreign = sorted(n for n, buyer_id in named.items() if owners[n] != buyer_id)
    if foreign:
        n = foreign[0]
        raise EventInvalidError(f"Event {event.event_id}: buyer {named[n]} brings need {n}, which belongs to buyer "
                                f"{owners[n]}. List under each buyer only its own needs.",
                                vi=f"Sự kiện {event.event_id}: bên mua {named[n]} đưa nhu cầu {n}, nhưng nhu cầu này "
                                   f"thuộc bên mua {owners[n]}. Mỗi bên mua chỉ ghi các nhu cầu của mình.")
    record = MatchingEvent(event_id=event.event_id, name=event.name[:300], definition=dict(definition), by=by)
    session.add(record)
    session.flush()
    audit(session, by, "create", "event", event.event_id, None, {"event_id": event.event_id, "name": event.name})
    return record


def event_needs(session: Session, event: Event) -> pd.DataFrame:
    """The needs the event's buyers bring, as records the matcher ranks (confidential fields left out).

    A buyer brings the needs it names, or else its open needs.
    """
    from api.ranking import need_record

    named = {n for b in event.buyers for n in b.need_ids}
    bare = {b.buyer_id for b in event.buyers if not b.need_ids}
    query = select(Need).where(Need.need_id.in_(named) | (Need.buyer_id.in_(bare) & (Need.status == "open")))
    records = [need_record(need) for need in session.scalars(query.order_by(Need.need_id))]
    return pd.DataFrame.from_records(records) if records else pd.DataFrame(columns=["need_id", "buyer_id"])


def participant_names(session: Session, event: Event) -> dict[str, str]:
    """``{firm_id or buyer_id: name}`` of the event's participants, for the schedule's files."""
    firms = {f.firm_id for f in event.firms}
    buyers = {b.buyer_id for b in event.buyers}
    names = dict(session.execute(select(Firm.firm_id, Firm.name).where(Firm.firm_id.in_(firms))).all())
    names |= dict(session.execute(select(Buyer.buyer_id, Buyer.name).where(Buyer.buyer_id.in_(buyers))).all())
    return names


def event_proposals(event: Event, matcher, needs: pd.DataFrame) -> pd.DataFrame:
    """The matcher's meeting proposals for the event (:func:`matching.events.propose_meetings`).

    Raises
    ------
    EventInvalidError
        The event cannot be scheduled as stored (a firm the matcher was not fitted on: one
        deleted since the event was stored; a need that cannot be read).
    """
    from matching.events import propose_meetings

    fitted = set(map(str, matcher.firm_ids_))
    gone = [f.firm_id for f in event.firms if f.firm_id not in fitted]
    if gone:
        raise EventInvalidError(
            f"Event {event.event_id}: firms {gone[:10]} ({len(gone)} in all) are no longer in the database "
            "(deleted since the event was stored). Create them again (POST /api/v1/firms, cnht import firms), "
            "or store a corrected event under a new event_id.",
            vi=f"Sự kiện {event.event_id}: các doanh nghiệp {gone[:10]} (tổng cộng {len(gone)}) không còn trong cơ sở "
               "dữ liệu (đã bị xóa sau khi lưu sự kiện). Hãy tạo lại (POST /api/v1/firms, cnht import firms), "
               "hoặc lưu sự kiện đã sửa với event_id mới.")
    try:
        return propose_meetings(event, matcher, needs)
    except CnhtError as exc:
        raise EventInvalidError(str(exc), vi=exc.message_vi) from None


def solve_schedule(event: Event, proposals: pd.DataFrame, *, time_limit: float) -> Schedule:
    """The MILP schedule of the event (:func:`matching.events.schedule_meetings`, HiGHS, ``time_limit`` s)."""
    from matching.events import schedule_meetings

    try:
        return schedule_meetings(event, proposals, time_limit=time_limit)
    except CnhtError as exc:
        raise EventInvalidError(str(exc), vi=exc.message_vi) from None


def propose_and_schedule(event: Event, matcher, needs: pd.DataFrame, *, time_limit: float) -> Schedule:
    """:func:`event_proposals` then :func:`solve_schedule`."""
    return solve_schedule(event, event_proposals(event, matcher, needs), time_limit=time_limit)


def refuse_if_held(session: Session, record: MatchingEvent) -> None:
    """Raise :class:`ConflictError` when a meeting of the event's schedule was recorded as held.

    Called before the work of scheduling (so a refused request costs nothing) and again where
    the schedule is stored (a meeting may have been held meanwhile).
    """
    held = session.scalar(select(func.count(EventMeeting.id)).where(
        EventMeeting.event_pk == record.id, EventMeeting.held_at.is_not(None)))  # fmt: skip
    if held:
        raise ConflictError(f"Event {record.event_id} has {held} meeting(s) recorded as held; its schedule is kept as "
                            "it was held and cannot be computed again. Store a new event for a new schedule.",
                            vi=f"Sự kiện {record.event_id} đã có {held} cuộc gặp được ghi nhận là đã diễn ra; lịch được "
                               "giữ nguyên như đã diễn ra và không thể tính lại. Hãy lưu sự kiện mới để có lịch mới.")


def store_schedule(session: Session, event_id: str, schedule: Schedule, *, by: str) -> MatchingEvent:
    """Replace the event's meetings with ``schedule`` and keep its summary.

    Raises
    ------
    ConflictError
        A meeting of the current schedule was already recorded as held: the schedule is
        history then, and scheduling again would lose it.
    """
    record = get_event(session, event_id, for_update=True)
    refuse_if_held(session, record)
    for meeting in session.scalars(select(EventMeeting).where(EventMeeting.event_pk == record.id)):
        session.delete(meeting)
    session.flush()
    rows = schedule.meetings
    session.add_all([
        EventMeeting(event_pk=record.id, slot_id=str(m.slot_id), day=str(m.day), start=str(m.start), end=str(m.end),
                     table_number=int(m.table), buyer_id=str(m.buyer_id), firm_id=str(m.firm_id),
                     need_id=str(m.need_id) or None, value=float(m.value),
                     score=None if pd.isna(m.score) else float(m.score), requested_by=str(m.requested_by or ""))
        for m in rows.itertuples(index=False)
    ])  # fmt: skip
    record.schedule_summary = _summary(schedule)
    record.scheduled_at = dt.datetime.now(dt.UTC)
    record.scheduled_by = by
    session.flush()
    audit(session, by, "schedule", "event", event_id, None,
          {k: record.schedule_summary[k] for k in ("meetings", "objective", "bound", "gap", "status")})
    return record


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _summary(schedule: Schedule) -> dict[str, Any]:
    """The solver's figures and what was given up, JSON-ready (kept with the event)."""
    record = schedule_record(schedule)
    return {**record["summary"], "warnings": list(schedule.warnings), "warnings_vi": list(schedule.warnings_vi),
            "firms_below_minimum": _records(schedule.firms_below_minimum),
            "unplaced_requests": _records(schedule.unplaced_requests)}


def given_up(summary: Mapping[str, Any]) -> dict[str, list]:
    """What a stored schedule's summary gave up, every reason and warning in both languages.

    A schedule stored before the Vietnamese was kept has ``reason`` and ``warnings`` only:
    its ``reason_vi`` and ``warnings_vi`` are then the English text, so it still reads.

    Returns
    -------
    dict
        ``firms_below_minimum`` (rows ``firm_id, meetings, minimum, reason, reason_vi``),
        ``unplaced_requests`` (``buyer_id, firm_id, requested_by, reason, reason_vi``),
        ``warnings`` and ``warnings_vi`` (one for one).

    Examples
    --------
    >>> given_up({"warnings": ["firm F1 has max_meetings=0: no meeting possible."],
    ...           "unplaced_requests": [{"buyer_id": "B1", "firm_id": "F1", "requested_by": "buyer",
    ...                                  "reason": "no slot in which both are available"}]})["unplaced_requests"][0]["reason_vi"]
    'no slot in which both are available'
    """
    def bilingual(rows: Any) -> list[dict[str, Any]]:
        return [{**row, "reason_vi": row.get("reason_vi") or row.get("reason")} for row in rows or []]

    warnings = [str(w) for w in summary.get("warnings") or []]
    warnings_vi = [str(w) for w in summary.get("warnings_vi") or []]
    return {"firms_below_minimum": bilingual(summary.get("firms_below_minimum")),
            "unplaced_requests": bilingual(summary.get("unplaced_requests")),
            "warnings": warnings,
            "warnings_vi": warnings_vi if len(warnings_vi) == len(warnings) else list(warnings)}


def _meetings(session: Session, record: MatchingEvent) -> list[EventMeeting]:
    return list(session.scalars(select(EventMeeting).where(EventMeeting.event_pk == record.id)
                                .order_by(EventMeeting.day, EventMeeting.start, EventMeeting.table_number)))


def stored_schedule(session: Session, event_id: str) -> tuple[MatchingEvent, list[EventMeeting]]:
    """The event and its scheduled meetings (by day, start, table).

    Raises
    ------
    NotFoundError
        No such event, or it has no schedule yet.
    """
    record = get_event(session, event_id)
    if record.schedule_summary is None:
        raise NotFoundError(f"Event {event_id} has no schedule yet. Compute it with "
                            f"POST /api/v1/events/{event_id}/schedule (staff) or cnht event schedule {event_id}.",
                            vi=f"Sự kiện {event_id} chưa có lịch. Hãy tính lịch bằng "
                               f"POST /api/v1/events/{event_id}/schedule (cán bộ) hoặc cnht event schedule {event_id}.")
    return record, _meetings(session, record)


@dataclass(frozen=True)
class HeldMeeting:
    """What :func:`record_meeting_held` did: the meeting, the outcomes added now (in order),
    whether this call marked it held (False: it already was, nothing changed) and a sentence."""

    meeting: EventMeeting
    outcomes: list[Outcome]
    newly_held: bool
    detail: str


def record_meeting_held(
    session: Session, event_id: str, buyer_id: str, firm_id: str, *, by: str,
    need_id: str | None = None, at: dt.datetime | None = None,
) -> HeldMeeting:
    """Record that the scheduled meeting of ``buyer_id`` and ``firm_id`` was held, once.

    The pair (need, firm) moves to ``meeting`` through :func:`record_outcome`, each outcome's
    reason naming the event. A pair with no history yet is first recorded ``suggested`` (the
    event proposed it) and ``contacted`` (invited), so the state machine's path holds. A
    pair already at ``meeting`` or past it keeps its history: the meeting is marked held, no
    outcome is added (the answer says why). Recording the same meeting again changes nothing.

    Parameters
    ----------
    need_id : str, optional
        The buyer's need the meeting was about; default the need the schedule gave it. Needed
        for a meeting asked for by hand with no need of its own.
    at : datetime, optional
        When it was held (default now; naive means UTC). Not in the future: the pair's
        history is ordered as recorded, and a future-dated event is refused everywhere else.

    Returns
    -------
    HeldMeeting

    Raises
    ------
    NotFoundError
        No such event, or no such meeting in its schedule.
    EventInvalidError
        No need for the meeting, or a need of another buyer.
    """
    # The event's row lock too: a schedule stored meanwhile (store_schedule holds it) cannot
    # delete a meeting being recorded as held, nor miss that it was.
    record = get_event(session, event_id, for_update=True)
    meeting = session.scalar(select(EventMeeting).where(
        EventMeeting.event_pk == record.id, EventMeeting.buyer_id == buyer_id, EventMeeting.firm_id == firm_id,
    ).with_for_update())  # fmt: skip
    if meeting is None:
        raise NotFoundError(f"Event {event_id} has no meeting of buyer {buyer_id} with firm {firm_id} in its "
                            f"schedule. Read the schedule with GET /api/v1/events/{event_id}/schedule.",
                            vi=f"Lịch của sự kiện {event_id} không có cuộc gặp giữa bên mua {buyer_id} và doanh nghiệp "
                               f"{firm_id}. Xem lịch bằng GET /api/v1/events/{event_id}/schedule.")
    if meeting.held_at is not None:
        return HeldMeeting(meeting, [], False, f"Already recorded as held at "
                           f"{meeting.held_at.isoformat(timespec='minutes')} by {meeting.held_by}; nothing added.")
    now = dt.datetime.now(dt.UTC)
    held_at = now if at is None else at if at.tzinfo else at.replace(tzinfo=dt.UTC)  # naive: UTC
    if held_at > now + _CLOCK_SKEW:
        raise EventInvalidError(f"held_at {held_at.isoformat(timespec='minutes')} is in the future; a meeting is "
                                "recorded once it took place. Leave held_at out (now) or give the time it was held.",
                                vi=f"held_at {held_at.astimezone(dt.UTC):%d/%m/%Y %H:%M} (UTC) là thời điểm trong tương lai; "
                                   "cuộc gặp chỉ được ghi nhận sau khi đã diễn ra. Hãy bỏ trống held_at (lấy giờ hiện "
                                   "tại) hoặc nhập thời điểm đã gặp.")
    need_id = need_id or meeting.need_id
    if not need_id:
        raise EventInvalidError(f"The meeting of buyer {buyer_id} with firm {firm_id} was asked for by hand and has "
                                "no need; give 'need_id', the buyer's need it was about.",
                                vi=f"Cuộc gặp giữa bên mua {buyer_id} và doanh nghiệp {firm_id} được yêu cầu thủ công "
                                   "nên chưa gắn với nhu cầu nào; hãy nhập 'need_id', nhu cầu của bên mua mà cuộc gặp bàn tới.")
    owner = session.scalar(select(Need.buyer_id).where(Need.need_id == need_id))
    if owner is not None and owner != buyer_id:
        raise EventInvalidError(f"Need {need_id} belongs to buyer {owner}, not {buyer_id}; give a need of buyer {buyer_id}.",
                                vi=f"Nhu cầu {need_id} thuộc bên mua {owner}, không phải {buyer_id}; hãy chọn một nhu cầu "
                                   f"của bên mua {buyer_id}.")
    where = f"table {meeting.table_number}, {meeting.day} {meeting.start}, slot {meeting.slot_id}"
    reasons = {"suggested": f"Event {event_id}: proposed for the business-matching event",
               "contacted": f"Event {event_id}: invited to meet at the event",
               "meeting": f"Event {event_id}: meeting held ({where})"}
    added: list[Outcome] = []
    current = latest_status(session, need_id, firm_id)
    if current is None or current in _STEPS_TO_MEETING[:-1]:
        start = 0 if current is None else _STEPS_TO_MEETING.index(current) + 1
        for status in _STEPS_TO_MEETING[start:]:
            # record_outcome checks the need and firm exist (404) and holds the pair's lock.
            added.append(record_outcome(session, need_id, firm_id, status, reason=reasons[status], by=by, at=held_at))
        said = f"Recorded: {' → '.join(o.status for o in added)} on {need_id}/{firm_id}."
    else:
        state = "final" if current in FINAL_STATUSES else "past 'meeting'" if current != "meeting" else "at 'meeting'"
        said = (f"Marked held; no outcome added: the pair {need_id}/{firm_id} is already {state} "
                f"(status {current!r}), and its history is kept.")
    meeting.need_id = need_id
    meeting.held_at = held_at
    meeting.held_by = by
    meeting.outcome_id = added[-1].id if added else None
    session.flush()
    audit(session, by, "held", "event_meeting", f"{need_id}/{firm_id}", None,
          {"event_id": event_id, "buyer_id": buyer_id, "outcome_id": meeting.outcome_id})
    return HeldMeeting(meeting, added, True, said)


def event_report(session: Session, event_id: str) -> dict[str, Any]:
    """What the event led to: meetings held, the pairs' later outcomes, and exposure of local firms.

    Parameters
    ----------
    session : Session
    event_id : str

    Returns
    -------
    dict
        ``event_id, name, scheduled`` (bool), ``meetings_scheduled, meetings_held``,
        ``follow_ups``: for each stage after a meeting (sample, audit, order, rejected), how
        many held meetings' pairs reached it *after* the event's ``meeting`` outcome (recorded
        order); a meeting marked held whose pair had already passed ``meeting`` recorded no
        outcome, and nothing later is traced to the event through it;
        ``exposure_scheduled`` and ``exposure_held`` (:func:`matching.events.firm_exposure`:
        registered firms, those with a meeting, the share, Gini); ``meetings``: one row per
        scheduled meeting with ``held`` and the pair's furthest stage after it.

    Raises
    ------
    NotFoundError
        No such event.
    """
    record = get_event(session, event_id)
    event = stored_event(record)
    meetings = _meetings(session, record)
    linked = {m.outcome_id: m for m in meetings if m.outcome_id is not None}
    later: dict[int, list[str]] = {key: [] for key in linked}
    if linked:
        pairs = {(m.need_id, m.firm_id) for m in linked.values()}
        rows = session.execute(
            select(Outcome.id, Outcome.need_id, Outcome.firm_id, Outcome.status)
            .where(Outcome.firm_id.in_({f for _, f in pairs}), Outcome.need_id.in_({n for n, _ in pairs}))
            .order_by(*RECORDED_ORDER)
        ).all()  # fmt: skip
        for outcome_id, m in linked.items():
            later[outcome_id] = [r.status for r in rows
                                 if (r.need_id, r.firm_id) == (m.need_id, m.firm_id) and r.id > outcome_id]
    follow_ups = dict.fromkeys(FOLLOW_UP_STATUSES, 0)
    rows_out = []
    for m in meetings:
        after = later.get(m.outcome_id, []) if m.outcome_id is not None else []
        for status in set(after) & set(follow_ups):
            follow_ups[status] += 1
        reached = [s for s in OUTCOME_PATH if s in after]
        rows_out.append({"slot_id": m.slot_id, "day": m.day, "start": m.start, "table": m.table_number,
                         "buyer_id": m.buyer_id, "firm_id": m.firm_id, "need_id": m.need_id, "held": m.held_at is not None,
                         "held_at": m.held_at, "furthest_after": "rejected" if "rejected" in after else
                         (reached[-1] if reached else None)})  # fmt: skip
    frame = pd.DataFrame([{"buyer_id": m.buyer_id, "firm_id": m.firm_id, "held": m.held_at is not None}
                          for m in meetings], columns=["buyer_id", "firm_id", "held"])
    return {
        "event_id": record.event_id, "name": record.name, "scheduled": record.schedule_summary is not None,
        "meetings_scheduled": len(meetings), "meetings_held": int(frame["held"].sum()),
        "follow_ups": follow_ups,
        "exposure_scheduled": firm_exposure(event, frame),
        "exposure_held": firm_exposure(event, frame[frame["held"].astype(bool)]),
        "meetings": rows_out,
    }


# What a staff member can do to a pair by hand: a request by either side, a refusal, or lift one.
PAIR_CHANGES: tuple[str, ...] = ("request_buyer", "request_firm", "refuse", "lift_request", "lift_refusal")


def change_pair(session: Session, event_id: str, buyer_id: str, firm_id: str, change: str, *, by: str) -> str:
    """Add or lift a request or a refusal of the pair (``buyer_id``, ``firm_id``) of a stored event.

    A refusal replaces the pair's requests (a refused pair is never scheduled); a refused pair
    cannot be requested until the refusal is lifted. The event's current schedule, computed
    without the change, is discarded (its meetings deleted): schedule the event again.

    Parameters
    ----------
    change : str
        One of :data:`PAIR_CHANGES`: ``request_buyer`` / ``request_firm`` (the buyer or the firm
        asks to meet; both make a mutual request), ``refuse``, ``lift_request``, ``lift_refusal``.
    by : str
        Who changes it (audit).

    Returns
    -------
    str
        What changed, in one English sentence (``"unchanged"`` when the pair already was so).

    Raises
    ------
    NotFoundError
        No such event.
    ConflictError
        A meeting of the schedule was recorded as held: the event is history.
    EventInvalidError
        An unknown change, a buyer or firm that is not a participant, a refused pair requested.
    """
    if change not in PAIR_CHANGES:
        raise EventInvalidError(f"Expected a change among {list(PAIR_CHANGES)}, got {change!r}.",
                                vi=f"Thay đổi phải là một trong {list(PAIR_CHANGES)}, nhận được {change!r}.")
    record = get_event(session, event_id, for_update=True)
    refuse_if_held(session, record)
    definition = dict(record.definition)
    event = stored_event(record)
    if buyer_id not in {b.buyer_id for b in event.buyers}:
        raise EventInvalidError(f"Event {event_id}: buyer {buyer_id!r} is not a participant; pick one of the event's buyers.",
                                vi=f"Sự kiện {event_id}: bên mua {buyer_id!r} không tham gia sự kiện; hãy chọn một bên mua "
                                   "của sự kiện.")
    if firm_id not in {f.firm_id for f in event.firms}:
        raise EventInvalidError(f"Event {event_id}: firm {firm_id!r} is not a participant; pick one of the event's firms.",
                                vi=f"Sự kiện {event_id}: doanh nghiệp {firm_id!r} không tham gia sự kiện; hãy chọn một "
                                   "doanh nghiệp của sự kiện.")
    pair = (buyer_id, firm_id)
    requests = [dict(r) for r in definition.get("requests", [])]
    refusals = [list(r) for r in definition.get("refusals", [])]
    refused = any(tuple(r) == pair for r in refusals)
    of_pair = [r for r in requests if (r["buyer_id"], r["firm_id"]) == pair]
    if change in ("request_buyer", "request_firm"):
        side = change.removeprefix("request_")
        if refused:
            raise EventInvalidError(f"Event {event_id}: the pair {buyer_id}-{firm_id} is refused; lift the refusal "
                                    "first if the meeting is wanted after all.",
                                    vi=f"Sự kiện {event_id}: cặp {buyer_id}-{firm_id} đang bị từ chối; nếu vẫn muốn gặp, "
                                       "hãy bỏ từ chối trước.")
        if any(r.get("by", "buyer") == side for r in of_pair):
            return "unchanged"
        requests.append({"buyer_id": buyer_id, "firm_id": firm_id, "by": side})
        said = f"Request by the {side} added"
    elif change == "refuse":
        if refused:
            return "unchanged"
        requests = [r for r in requests if (r["buyer_id"], r["firm_id"]) != pair]
        refusals.append([buyer_id, firm_id])
        said = "Refusal added" + (" (its requests removed)" if of_pair else "")
    elif change == "lift_request":
        if not of_pair:
            return "unchanged"
        requests = [r for r in requests if (r["buyer_id"], r["firm_id"]) != pair]
        said = "Request lifted"
    else:
        if not refused:
            return "unchanged"
        refusals = [r for r in refusals if tuple(r) != pair]
        said = "Refusal lifted"
    # A new dict: the JSON column is not tracked for changes made inside it.
    record.definition = {**definition, "requests": requests, "refusals": refusals}
    _parse(record.definition)  # the event as changed still reads (a participant checked above)
    discarded = record.schedule_summary is not None
    if discarded:
        for meeting in session.scalars(select(EventMeeting).where(EventMeeting.event_pk == record.id)):
            session.delete(meeting)
        record.schedule_summary = None
        record.scheduled_at = None
        record.scheduled_by = None
    session.flush()
    audit(session, by, change, "event_pair", f"{event_id}/{buyer_id}/{firm_id}", None,
          {"event_id": event_id, "buyer_id": buyer_id, "firm_id": firm_id, "schedule_discarded": discarded})
    return said + ("; the schedule computed before was discarded" if discarded else "") + "."


def schedule_of(session: Session, event_id: str) -> tuple[Schedule, dict[str, str]]:
    """The event's stored schedule as a :class:`matching.events.Schedule`, and the participants' names.

    What the files of a schedule are written from (:func:`matching.events.hall_pdf`,
    ``participants_pdf``, ``participant_calendars``, the CLI's workbook), so a stored schedule
    gives the same files as the one ``cnht event schedule`` just computed.

    Raises
    ------
    NotFoundError
        No such event, or it has no schedule yet.
    """
    record, rows = stored_schedule(session, event_id)
    event = stored_event(record)
    summary = record.schedule_summary or {}
    lost = given_up(summary)
    meetings = pd.DataFrame([{
        "slot_id": m.slot_id, "day": m.day, "start": m.start, "end": m.end, "table": m.table_number,
        "buyer_id": m.buyer_id, "firm_id": m.firm_id, "value": m.value, "score": m.score,
        "need_id": m.need_id or "", "requested_by": m.requested_by or ""} for m in rows], columns=MEETING_COLUMNS)
    meetings = meetings.astype({"table": int, "value": float})
    schedule = Schedule(
        event, meetings, value=float(summary.get("value", meetings["value"].sum())),
        objective=float(summary.get("objective", 0.0)), bound=summary.get("bound"), gap=summary.get("gap"),
        status=str(summary.get("status", "")), seconds=float(summary.get("seconds", 0.0)),
        method=str(summary.get("method", "")),
        firms_below_minimum=pd.DataFrame(lost["firms_below_minimum"], columns=BELOW_MINIMUM_COLUMNS),
        unplaced_requests=pd.DataFrame(lost["unplaced_requests"], columns=UNPLACED_COLUMNS),
        warnings=lost["warnings"], warnings_vi=lost["warnings_vi"],
    )  # fmt: skip
    return schedule, participant_names(session, event)
