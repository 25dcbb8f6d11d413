"""``/events``: business-matching events stored, scheduled, held and reported (issue 13).

``POST /events`` (staff) stores an event given as the project's event JSON
(``data/demo/event_demo.json``); an inconsistent event (zero tables, a pair both requested and
refused, an unknown slot) or one naming buyers, firms or needs the database lacks answers 422
naming what to fix. ``POST /events/{event_id}/schedule`` (staff) scores the pairs with the
service's fitted matcher and places the meetings with the MILP (HiGHS, ``time_limit``
seconds); the answer gives the objective, the proven bound and gap, and what was given up
(each reason in English, ``reason``, and Vietnamese, ``reason_vi``; ``warnings`` and
``warnings_vi`` likewise).
``POST /events/{event_id}/meetings/held`` (staff) records that a meeting took place: the
(need, firm) pair moves to ``meeting`` (outcome notes name the event), once however often it
is sent. Staff and analysts read events, schedules and reports. The work is in
:mod:`api.storage.events`, shared with ``cnht event schedule|report EVENT_ID``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from api.deps import RankingDep, ReaderDep, SessionDep, StaffDep, reading
from api.schemas_events import (
    EventCreate,
    EventMeetingPublic,
    EventPublic,
    EventReportPublic,
    EventSchedulePublic,
    EventScheduleRequest,
    EventsPublic,
    MeetingHeldCreate,
    MeetingHeldPublic,
)
from api.storage import events as store
from api.storage.models import MatchingEvent
from api.storage.repository import latest_status
from features.identity import ID_MAX_LENGTH, ID_PATTERN

__all__ = ["router"]

router = APIRouter(prefix="/events", tags=["events"])

EventIdPath = Annotated[str, Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN,
                                  description="The event's own ID, e.g. EV-DEMO", examples=["EV-DEMO"])]

_ERRORS = {
    401: {"description": "Missing or unknown key"},
    403: {"description": "Role may not"},
    404: {"description": "No such event, schedule or meeting"},
    409: {"description": "Event already stored, or its schedule already held"},
    422: {"description": "Invalid event (the message names the field or constraint to fix)"},
}


def _public(record: MatchingEvent) -> EventPublic:
    return EventPublic(event_id=record.event_id, name=record.name, definition=record.definition,
                       created_at=record.created_at, by=record.by, scheduled_at=record.scheduled_at,
                       schedule_summary=record.schedule_summary)  # fmt: skip


@router.post("", response_model=EventPublic, status_code=status.HTTP_201_CREATED, responses=_ERRORS)
def create_event(body: EventCreate, session: SessionDep, principal: StaffDep) -> EventPublic:
    """Store an event given as the event JSON (staff)."""
    return _public(store.create_event(session, body.definition(), by=principal.actor))


@router.get("", response_model=EventsPublic, responses=_ERRORS)
def list_events(
    session: SessionDep,
    principal: ReaderDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> EventsPublic:
    """Stored events, newest first (staff, analysts)."""
    rows, count = store.list_events(session, limit=limit, offset=offset)
    return EventsPublic(data=[_public(r) for r in rows], count=count)


@router.get("/{event_id}", response_model=EventPublic, responses=_ERRORS)
def get_event(event_id: EventIdPath, session: SessionDep, principal: ReaderDep) -> EventPublic:
    """One stored event (staff, analysts)."""
    return _public(store.get_event(session, event_id))


def _schedule_public(session, event_id: str) -> EventSchedulePublic:
    record, meetings = store.stored_schedule(session, event_id)
    summary = dict(record.schedule_summary or {})
    lost = store.given_up(summary)  # an old schedule's Vietnamese falls back to its English
    for key in lost:
        summary.pop(key, None)
    data = [EventMeetingPublic(slot_id=m.slot_id, day=m.day, start=m.start, end=m.end, table=m.table_number,
                               buyer_id=m.buyer_id, firm_id=m.firm_id, need_id=m.need_id, value=m.value,
                               score=m.score, requested_by=m.requested_by, held_at=m.held_at)
            for m in meetings]  # fmt: skip
    return EventSchedulePublic(
        event_id=record.event_id, scheduled_at=record.scheduled_at, status=summary.get("status", ""),
        objective=summary.get("objective", 0.0), bound=summary.get("bound"), gap=summary.get("gap"),
        value=summary.get("value", 0.0), seconds=summary.get("seconds", 0.0), summary=summary,
        **lost, data=data, count=len(data),
    )


@router.post("/{event_id}/schedule", response_model=EventSchedulePublic, responses=_ERRORS)
def schedule_event(
    event_id: EventIdPath,
    session: SessionDep,
    ranking: RankingDep,
    principal: StaffDep,
    body: EventScheduleRequest | None = None,
) -> EventSchedulePublic:
    """Propose and schedule the event's meetings, store the schedule and return it (staff).

    Scheduling again replaces the schedule, until a meeting of it is recorded as held (409).
    """
    body = body or EventScheduleRequest()
    # Read and rank in a read-only transaction: a refit or a solve must not hold the write lock.
    with reading(session) as reader:
        record = store.get_event(reader, event_id)
        store.refuse_if_held(reader, record)
        event = store.stored_event(record)
        fitted = ranking.get(reader)
        needs = store.event_needs(reader, event)
    with ranking.slot():  # ranking is what the slots share out; the solve does not take one
        proposals = store.event_proposals(event, fitted.matcher, needs)
    schedule = store.solve_schedule(event, proposals, time_limit=body.time_limit)
    store.store_schedule(session, event_id, schedule, by=principal.actor)
    session.commit()
    with reading(session) as reader:
        return _schedule_public(reader, event_id)


@router.get("/{event_id}/schedule", response_model=EventSchedulePublic, responses=_ERRORS)
def get_schedule(event_id: EventIdPath, session: SessionDep, principal: ReaderDep) -> EventSchedulePublic:
    """The event's stored schedule (staff, analysts); 404 until it is scheduled."""
    return _schedule_public(session, event_id)


@router.post("/{event_id}/meetings/held", response_model=MeetingHeldPublic, status_code=status.HTTP_201_CREATED,
             responses={**_ERRORS, 200: {"description": "Already recorded as held: nothing added"}})  # fmt: skip
def record_meeting_held(
    event_id: EventIdPath, body: MeetingHeldCreate, session: SessionDep, principal: StaffDep, response: Response
) -> MeetingHeldPublic:
    """Record that a scheduled meeting took place: its (need, firm) pair moves to ``meeting`` (staff).

    Sending it again changes nothing and answers 200 with ``added: false``.
    """
    held = store.record_meeting_held(
        session, event_id, body.buyer_id, body.firm_id, by=principal.actor, need_id=body.need_id, at=body.held_at)
    if not held.newly_held:
        response.status_code = status.HTTP_200_OK
    meeting = held.meeting
    return MeetingHeldPublic(
        event_id=event_id, buyer_id=meeting.buyer_id, firm_id=meeting.firm_id, need_id=meeting.need_id or "",
        held_at=meeting.held_at, added=held.newly_held, outcomes_added=[o.status for o in held.outcomes],
        status=latest_status(session, meeting.need_id, meeting.firm_id) if meeting.need_id else None,
        detail=held.detail,
    )


@router.get("/{event_id}/report", response_model=EventReportPublic, responses=_ERRORS)
def event_report(event_id: EventIdPath, session: SessionDep, principal: ReaderDep) -> EventReportPublic:
    """Meetings held, the pairs' later outcomes, and exposure of local firms (staff, analysts)."""
    return EventReportPublic(**store.event_report(session, event_id))
