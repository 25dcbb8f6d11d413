"""Business-matching events (kết nối giao thương): who meets whom, and when.

:class:`Event` describes the day (slots, tables, participants, requests, refusals);
:func:`propose_meetings` scores buyer-firm pairs with a fitted :class:`~matching.SupplierMatcher`;
:func:`schedule_meetings` places the best meetings with a MILP (HiGHS) so that every registered
firm gets its minimum where possible; :func:`first_come_first_served` is the baseline;
:func:`reschedule` redoes it after a late :class:`Cancellation`, keeping every meeting it can.

Examples
--------
>>> event = read_event("data/demo/event_demo.json")                      # doctest: +SKIP
>>> proposals = propose_meetings(event, matcher, needs)                  # doctest: +SKIP
>>> schedule = schedule_meetings(event, proposals, time_limit=30)        # doctest: +SKIP
>>> schedule.summary()["firms_below_minimum"]                            # doctest: +SKIP
"""

from matching.events.event import (
    Event,
    EventBuyer,
    EventFirm,
    Request,
    Slot,
    check_event,
    event_from_dict,
    make_slots,
    read_event,
)
from matching.events.fcfs import first_come_first_served
from matching.events.ics import participant_calendars, write_calendars
from matching.events.pdf import hall_pdf, participants_pdf
from matching.events.proposals import propose_meetings
from matching.events.report import firm_exposure
from matching.events.rescheduling import (
    Cancellation,
    apply_cancellations,
    parse_cancellation,
    reschedule,
)
from matching.events.schedule import Schedule, candidate_meetings, idle_gaps
from matching.events.schedule_json import read_schedule_json, schedule_record, write_schedule_json
from matching.events.solver import schedule_meetings, select_candidates

__all__ = [
    "Event",
    "EventBuyer",
    "EventFirm",
    "Request",
    "Slot",
    "make_slots",
    "check_event",
    "event_from_dict",
    "read_event",
    "propose_meetings",
    "candidate_meetings",
    "select_candidates",
    "schedule_meetings",
    "first_come_first_served",
    "Schedule",
    "idle_gaps",
    "Cancellation",
    "parse_cancellation",
    "apply_cancellations",
    "reschedule",
    "schedule_record",
    "write_schedule_json",
    "read_schedule_json",
    "participant_calendars",
    "write_calendars",
    "hall_pdf",
    "participants_pdf",
    "firm_exposure",
]
