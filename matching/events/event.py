"""What a business-matching event is: its slots, tables, participants, requests and refusals.

An :class:`Event` is plain data, checked once by :func:`check_event` (every problem named with
how to fix it); :func:`read_event` loads one from a JSON or YAML file (format in
``data/demo/event_demo.json``), and :func:`make_slots` turns a day's opening hours and breaks
into slots.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from features.description_files import read_description
from matching.exceptions import EventError

__all__ = ["Slot", "EventBuyer", "EventFirm", "Request", "Event", "make_slots", "check_event",
           "event_from_dict", "read_event"]


@dataclass(frozen=True)
class Slot:
    """One meeting slot: ``slot_id``, its day (ISO date) and its start and end (``HH:MM``)."""

    slot_id: str
    day: str
    start: str
    end: str


@dataclass(frozen=True)
class EventBuyer:
    """A buyer at the event: the needs it brings, its cap on meetings, the slots it cannot take."""

    buyer_id: str
    need_ids: tuple[str, ...] = ()
    max_meetings: int | None = None
    unavailable: frozenset[str] = frozenset()


@dataclass(frozen=True)
class EventFirm:
    """A local firm at the event; ``registered`` firms are owed the minimum number of meetings."""

    firm_id: str
    registered: bool = True
    max_meetings: int | None = None
    unavailable: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Request:
    """A meeting asked for by hand: ``by`` is ``"buyer"`` or ``"firm"``; ``order`` is arrival."""

    buyer_id: str
    firm_id: str
    by: str = "buyer"
    order: int = 0


@dataclass(frozen=True)
class Event:
    """A business-matching day (kết nối giao thương) or fair.

    Parameters
    ----------
    event_id : str
    slots : sequence of Slot
        In time order; breaks are the time between slots, not slots.
    tables : int
        Identical tables in the hall: at most this many meetings per slot.
    buyers, firms : sequence of EventBuyer, EventFirm
    requests : sequence of Request, default ()
    refusals : sequence of (buyer_id, firm_id), default ()
        Pairs never to be scheduled, whoever refused.
    min_meetings : int, default 1
        Meetings owed to every registered firm where the data allows it.
    name : str, default ""
    venue : str, default ""
        Where the meetings are held (the calendars' LOCATION, with the table). Times are
        Hanoi time (Asia/Ho_Chi_Minh): slots' ``day``, ``start`` and ``end``.
    """

    event_id: str
    slots: tuple[Slot, ...]
    tables: int
    buyers: tuple[EventBuyer, ...]
    firms: tuple[EventFirm, ...]
    requests: tuple[Request, ...] = ()
    refusals: tuple[tuple[str, str], ...] = ()
    min_meetings: int = 1
    name: str = ""
    needs: tuple[Mapping, ...] = field(default=(), compare=False)
    venue: str = ""

    @property
    def slot_ids(self) -> list[str]:
        return [slot.slot_id for slot in self.slots]


def make_slots(day: str, start: str = "08:30", end: str = "17:00", minutes: int = 20,
               breaks: Sequence[tuple[str, str]] = (), prefix: str | None = None) -> list[Slot]:
    """Slots of ``minutes`` from ``start`` to ``end`` on ``day``, none overlapping a break.

    Parameters
    ----------
    day : str
        ISO date, e.g. ``"2026-03-12"``.
    start, end : str, default "08:30", "17:00"
    minutes : int, default 20
    breaks : sequence of (start, end), default ()
        E.g. ``[("10:30", "10:45"), ("12:00", "13:30")]``; a slot starts after a break ends.
    prefix : str, optional
        Slot IDs are ``f"{prefix}-{n:02d}"`` (default: the day).

    Examples
    --------
    >>> [s.start for s in make_slots("2026-03-12", "08:00", "10:00", 30, [("09:00", "09:15")])]
    ['08:00', '08:30', '09:15']
    """
    if minutes < 1:
        raise EventError(f"Expected slot minutes >= 1, got minutes={minutes}. Give the length of one meeting.")
    day_date = _date(day, "day")
    t, stop = _time(day_date, start, "start"), _time(day_date, end, "end")
    spans = sorted((_time(day_date, a, "break start"), _time(day_date, b, "break end")) for a, b in breaks)
    step, prefix = timedelta(minutes=minutes), prefix or day
    slots: list[Slot] = []
    while t + step <= stop:
        clash = [b_end for b_start, b_end in spans if b_start < t + step and t < b_end]
        if clash:
            t = max(clash)
            continue
        slots.append(Slot(f"{prefix}-{len(slots) + 1:02d}", day, t.strftime("%H:%M"), (t + step).strftime("%H:%M")))
        t += step
    return slots


def check_event(event: Event) -> None:
    """Raise :class:`EventError` naming the first inconsistency of ``event``, and how to fix it.

    What cannot be placed (more requests than slots, a participant never available) is not an
    error: the schedule reports it.
    """
    if event.tables < 1:
        raise EventError(f"Event {event.event_id}: expected tables >= 1 (meetings per slot), got "
                         f"tables={event.tables}. Set 'tables' to the number of tables in the hall.")
    if not event.slots:
        raise EventError(f"Event {event.event_id}: expected at least one slot, got none. Give 'days' "
                         "with opening hours (or 'slots').")
    if event.min_meetings < 0:
        raise EventError(f"Event {event.event_id}: expected min_meetings >= 0, got {event.min_meetings}.")
    _unique(event, "slot", (s.slot_id for s in event.slots))
    _unique(event, "buyer", (b.buyer_id for b in event.buyers))
    _unique(event, "firm", (f.firm_id for f in event.firms))
    slot_ids = set(event.slot_ids)
    for kind, people, key in (("buyer", event.buyers, "buyer_id"), ("firm", event.firms, "firm_id")):
        for person in people:
            who = getattr(person, key)
            if person.max_meetings is not None and person.max_meetings < 0:
                raise EventError(f"Event {event.event_id}: {kind} {who} has max_meetings="
                                 f"{person.max_meetings}; expected >= 0 or empty (no cap).")
            unknown = sorted(set(person.unavailable) - slot_ids)
            if unknown:
                raise EventError(f"Event {event.event_id}: {kind} {who} is unavailable in unknown slots "
                                 f"{unknown}; expected slot IDs of the event such as {event.slot_ids[0]!r}.")
    buyers, firms = {b.buyer_id for b in event.buyers}, {f.firm_id for f in event.firms}
    refused = set()
    for buyer_id, firm_id in event.refusals:
        _known(event, "refusal", buyer_id, firm_id, buyers, firms)
        refused.add((buyer_id, firm_id))
    for request in event.requests:
        _known(event, "request", request.buyer_id, request.firm_id, buyers, firms)
        if request.by not in {"buyer", "firm"}:
            raise EventError(f"Event {event.event_id}: request {request.buyer_id}-{request.firm_id} has "
                             f"by={request.by!r}; expected 'buyer' or 'firm'.")
        if (request.buyer_id, request.firm_id) in refused:
            raise EventError(f"Event {event.event_id}: the pair {request.buyer_id}-{request.firm_id} is "
                             "both requested and refused. Remove the request or the refusal.")


def _unique(event: Event, kind: str, ids: Iterable[str]) -> None:
    twice = sorted(i for i, n in Counter(ids).items() if n > 1)
    if twice:
        raise EventError(f"Event {event.event_id}: expected each {kind} once, got {twice} more than "
                         "once. Merge the entries.")


def _known(event: Event, what: str, buyer_id: str, firm_id: str, buyers: set, firms: set) -> None:
    if buyer_id not in buyers:
        raise EventError(f"Event {event.event_id}: {what} {buyer_id}-{firm_id} names buyer {buyer_id!r}, "
                         "who is not a participant. Add the buyer or remove the line.")
    if firm_id not in firms:
        raise EventError(f"Event {event.event_id}: {what} {buyer_id}-{firm_id} names firm {firm_id!r}, "
                         "which is not a participant. Add the firm or remove the line.")


def _date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise EventError(f"Expected {what} as YYYY-MM-DD, got {text!r}.") from None


def _time(day: date, text: str, what: str) -> datetime:
    try:
        clock = datetime.strptime(str(text), "%H:%M").time()
    except ValueError:
        raise EventError(f"Expected {what} as HH:MM (24 h), got {text!r}.") from None
    return datetime.combine(day, clock)


def _cap(value: object, where: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise EventError(f"{where}: expected max_meetings as a whole number or empty, got {value!r}.")
    return value


def event_from_dict(data: Mapping) -> Event:
    """An :class:`Event` from the file format of :func:`read_event` (already parsed), checked.

    Keys: ``event_id``, ``name``, ``venue`` (optional), ``tables``, ``min_meetings`` (default 1), ``days`` (each
    ``{"date", "start", "end", "slot_minutes", "breaks": [[start, end], ...]}``) or ``slots``
    (each ``{"slot_id", "day", "start", "end"}``), ``buyers`` (each ``{"buyer_id", "needs":
    [need_id, ...], "max_meetings", "unavailable": [slot_id, ...]}``), ``firms`` (each
    ``{"firm_id", "registered", "max_meetings", "unavailable"}``, or a plain firm ID),
    ``requests`` (each ``{"buyer_id", "firm_id", "by"}``, in arrival order) and ``refusals``
    (each ``[buyer_id, firm_id]``).
    """
    if not isinstance(data, Mapping):
        raise EventError(f"Expected an event as a JSON/YAML object, got {type(data).__name__}.")
    missing = [key for key in ("event_id", "tables", "buyers", "firms") if key not in data]
    if missing:
        raise EventError(f"The event description lacks {missing}; expected at least event_id, tables, "
                         "days (or slots), buyers and firms (see data/demo/event_demo.json).")
    event_id = str(data["event_id"])
    if "slots" in data:
        slots = [Slot(str(s["slot_id"]), str(s["day"]), str(s["start"]), str(s["end"])) for s in data["slots"]]
    else:
        slots = []
        for n, day in enumerate(data.get("days") or [], start=1):
            slots += make_slots(str(day["date"]), day.get("start", "08:30"), day.get("end", "17:00"),
                                int(day.get("slot_minutes", 20)), [tuple(b) for b in day.get("breaks", [])],
                                prefix=f"D{n}")
    buyers = tuple(
        EventBuyer(str(b["buyer_id"]), tuple(str(n) for n in b.get("needs", ())),
                   _cap(b.get("max_meetings"), f"buyer {b['buyer_id']}"),
                   frozenset(str(s) for s in b.get("unavailable", ())))
        for b in data["buyers"])
    firms = tuple(
        EventFirm(str(f)) if not isinstance(f, Mapping) else
        EventFirm(str(f["firm_id"]), bool(f.get("registered", True)),
                  _cap(f.get("max_meetings"), f"firm {f['firm_id']}"),
                  frozenset(str(s) for s in f.get("unavailable", ())))
        for f in data["firms"])
    requests = tuple(Request(str(r["buyer_id"]), str(r["firm_id"]), str(r.get("by", "buyer")), n)
                     for n, r in enumerate(data.get("requests", ())))
    refusals = tuple((str(a), str(b)) for a, b in data.get("refusals", ()))
    tables = data["tables"]
    if isinstance(tables, bool) or not isinstance(tables, int):
        raise EventError(f"Event {event_id}: expected tables as a whole number, got {tables!r}.")
    event = Event(event_id, tuple(slots), tables, buyers, firms, requests, refusals,
                  int(data.get("min_meetings", 1)), str(data.get("name", "")), venue=str(data.get("venue") or ""))
    check_event(event)
    return event


def read_event(path: str | Path) -> Event:
    """Read an event description from a ``.json``, ``.yaml`` or ``.yml`` file (:func:`event_from_dict`)."""
    return read_description(path, event_from_dict, EventError, "Event file", "data/demo/event_demo.json")
