"""API schemas of business-matching events (:mod:`api.routes.events`, :mod:`api.storage.events`).

``EventCreate`` is the project's event JSON (the format of ``data/demo/event_demo.json``, read
by :func:`matching.events.event_from_dict`): the types are checked here (422 naming the field),
the event's consistency there (422 naming the constraint).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import EntityId, _In

__all__ = [
    "EventDayIn",
    "EventSlotIn",
    "EventBuyerIn",
    "EventFirmIn",
    "EventRequestIn",
    "EventCreate",
    "EventPublic",
    "EventsPublic",
    "EventScheduleRequest",
    "EventMeetingPublic",
    "EventSchedulePublic",
    "MeetingHeldCreate",
    "MeetingHeldPublic",
    "EventReportPublic",
    "TIME_LIMIT_MAX_SECONDS",
]

# The longest solve a request may ask for: the largest fair solves in well under it.
TIME_LIMIT_MAX_SECONDS = 300.0
_Clock = Field(pattern=r"^\d{2}:\d{2}$", description="HH:MM, 24 h, Hanoi time", examples=["08:30"])


class EventDayIn(_In):
    """One day of the event: opening hours cut into slots of ``slot_minutes``, minus breaks."""

    date: dt.date
    start: str = Field(default="08:30", pattern=r"^\d{2}:\d{2}$")
    end: str = Field(default="17:00", pattern=r"^\d{2}:\d{2}$")
    slot_minutes: int = Field(default=20, le=24 * 60, description="Length of one meeting (the event's checks "
                                                                    "say when it is below 1)")
    breaks: list[tuple[str, str]] = Field(default_factory=list, description="[[start, end], ...] as HH:MM")


class EventSlotIn(_In):
    """A slot given one by one (instead of ``days``)."""

    slot_id: str = Field(min_length=1, max_length=64)
    day: dt.date
    start: str = _Clock
    end: str = _Clock


class EventBuyerIn(_In):
    """A buyer at the event, the needs it brings (default: its open needs), its cap and absences."""

    buyer_id: EntityId
    needs: list[EntityId] = Field(default_factory=list)
    max_meetings: int | None = None
    unavailable: list[str] = Field(default_factory=list, description="Slot IDs, e.g. D1-03")


class EventFirmIn(_In):
    """A local firm at the event; ``registered`` firms are owed ``min_meetings``."""

    firm_id: EntityId
    registered: bool = True
    max_meetings: int | None = None
    unavailable: list[str] = Field(default_factory=list)


class EventRequestIn(_In):
    """A meeting asked for by hand, in arrival order."""

    buyer_id: EntityId
    firm_id: EntityId
    by: Literal["buyer", "firm"] = "buyer"


class EventCreate(_In):
    """An event in the project's event JSON (``data/demo/event_demo.json``)."""

    event_id: EntityId
    name: str = Field(default="", max_length=300)
    venue: str = Field(default="", max_length=300)
    tables: int = Field(description="Tables in the hall: meetings per slot (at least 1)")
    min_meetings: int = Field(default=1, description="Meetings owed to every registered firm where possible")
    days: list[EventDayIn] | None = Field(default=None, max_length=31)
    slots: list[EventSlotIn] | None = Field(default=None, max_length=2000)
    buyers: list[EventBuyerIn] = Field(max_length=2000)
    firms: list[EventFirmIn | EntityId] = Field(max_length=20_000)
    requests: list[EventRequestIn] = Field(default_factory=list)
    refusals: list[tuple[EntityId, EntityId]] = Field(default_factory=list, description="[[buyer_id, firm_id], ...]")

    def definition(self) -> dict[str, Any]:
        """The event JSON as stored (what was given, no nulls)."""
        return self.model_dump(mode="json", exclude_none=True)


class EventPublic(BaseModel):
    """A stored event: its definition and, once scheduled, the schedule's summary."""

    event_id: str
    name: str
    definition: dict[str, Any]
    created_at: dt.datetime
    by: str | None
    scheduled_at: dt.datetime | None
    schedule_summary: dict[str, Any] | None


class EventsPublic(BaseModel):
    """Stored events, newest first."""

    data: list[EventPublic]
    count: int


class EventScheduleRequest(_In):
    """How long the solver may search."""

    time_limit: float = Field(default=30.0, gt=0, le=TIME_LIMIT_MAX_SECONDS,
                              description="Seconds for HiGHS; the best schedule found by then is returned with its gap")


class EventMeetingPublic(BaseModel):
    """One scheduled meeting."""

    model_config = ConfigDict(from_attributes=True)

    slot_id: str
    day: str
    start: str
    end: str
    table: int
    buyer_id: str
    firm_id: str
    need_id: str | None
    value: float
    score: float | None
    requested_by: str
    held_at: dt.datetime | None


class EventSchedulePublic(BaseModel):
    """An event's schedule: the solver's figures, what was given up, the meetings."""

    event_id: str
    scheduled_at: dt.datetime | None
    status: str
    objective: float
    bound: float | None = Field(description="Upper bound on the objective proven by the solver")
    gap: float | None = Field(description="(bound - objective) / |objective|; 0: proven optimal")
    value: float
    seconds: float
    summary: dict[str, Any]
    firms_below_minimum: list[dict[str, Any]] = Field(
        description="firm_id, meetings, minimum, reason (English), reason_vi (Vietnamese; the English for a "
                    "schedule stored before it was kept)")
    unplaced_requests: list[dict[str, Any]] = Field(
        description="buyer_id, firm_id, requested_by, reason (English), reason_vi (Vietnamese; as above)")
    warnings: list[str] = Field(description="Participants who cannot meet anyone, in English")
    warnings_vi: list[str] = Field(default_factory=list,
                                   description="The warnings in Vietnamese, one for one (the English for a "
                                               "schedule stored before it was kept)")
    data: list[EventMeetingPublic]
    count: int


class MeetingHeldCreate(_In):
    """A scheduled meeting that took place."""

    buyer_id: EntityId
    firm_id: EntityId
    need_id: EntityId | None = Field(default=None, description="The buyer's need it was about (default: the schedule's)")
    held_at: dt.datetime | None = Field(default=None, description="When (default: now)")


class MeetingHeldPublic(BaseModel):
    """What recording a held meeting did."""

    event_id: str
    buyer_id: str
    firm_id: str
    need_id: str
    held_at: dt.datetime
    added: bool = Field(description="False when the meeting was already recorded as held (nothing added)")
    outcomes_added: list[str] = Field(description="Statuses recorded now on the (need, firm) pair, in order")
    status: str | None = Field(description="The pair's status now")
    detail: str


class EventReportPublic(BaseModel):
    """What an event led to (:func:`api.storage.events.event_report`)."""

    event_id: str
    name: str
    scheduled: bool
    meetings_scheduled: int
    meetings_held: int
    follow_ups: dict[str, int]
    exposure_scheduled: dict[str, int | float]
    exposure_held: dict[str, int | float]
    meetings: list[dict[str, Any]]
