"""Rescheduling after a late cancellation (hủy muộn): every meeting that can stay, stays.

A :class:`Cancellation` says who drops out and when: a buyer or a firm for the whole event or
for some slots, or one buyer-firm pair. :func:`reschedule` applies the cancellations to the
event (:func:`apply_cancellations`: the participant becomes unavailable in those slots, the
pair is refused), keeps every earlier meeting that does not touch them in its slot and at its
table (fixed in the MILP of :func:`matching.events.schedule_meetings`), and refills the freed
places with the best remaining pairs, the firms' minimum first, as the first schedule did.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from matching.events.event import Event, check_event
from matching.events.schedule import (
    MUTUAL_BONUS,
    REQUEST_BONUS,
    Schedule,
    _cap,
    _given_up,
    _place,
    _warnings,
    candidate_meetings,
)
from matching.events.solver import _compact, _Model, select_candidates
from matching.exceptions import EventError

__all__ = ["Cancellation", "parse_cancellation", "apply_cancellations", "reschedule"]

_KEPT_NOTE = (" — the meetings kept from the earlier schedule hold its possible partners' free slots "
              "(giữ nguyên lịch cũ); a whole new schedule may fit it")
_KEPT_NOTE_VI = (" — các buổi gặp giữ nguyên từ lịch cũ đã chiếm khung giờ rảnh của những bên mua có thể gặp "
                 "doanh nghiệp; xếp lại toàn bộ lịch có thể có chỗ cho doanh nghiệp")
CHANGE_COLUMNS = ["change", "slot_id", "table", "buyer_id", "firm_id", "reason", "reason_vi"]


@dataclass(frozen=True)
class Cancellation:
    """A late cancellation: a buyer's, a firm's (in ``slots``, or all day when empty), or a pair's.

    Parameters
    ----------
    buyer_id, firm_id : str, optional
        One of them: that participant cancels. Both: the pair will not meet (``slots`` empty).
    slots : frozenset of str, default frozenset()
        Slot IDs cancelled; empty means every slot of the event.

    Examples
    --------
    >>> Cancellation(firm_id="F0013", slots=frozenset({"D1-03"})).describe()
    'firm F0013 in D1-03'
    >>> Cancellation(firm_id="F0013", slots=frozenset({"D1-03"})).describe("vi")
    'doanh nghiệp F0013 ở khung giờ D1-03'
    """

    buyer_id: str | None = None
    firm_id: str | None = None
    slots: frozenset[str] = frozenset()

    @property
    def is_pair(self) -> bool:
        return self.buyer_id is not None and self.firm_id is not None

    def describe(self, lang: str = "en") -> str:
        """Who cancels and when, in English (``lang="en"``) or Vietnamese (``"vi"``)."""
        if lang not in ("en", "vi"):
            raise EventError(f"Expected lang 'en' or 'vi', got lang={lang!r}.")
        vi = lang == "vi"
        if self.is_pair:
            return f"{'cặp' if vi else 'pair'} {self.buyer_id}+{self.firm_id}"
        if self.buyer_id is not None:
            who = f"{'bên mua' if vi else 'buyer'} {self.buyer_id}"
        else:
            who = f"{'doanh nghiệp' if vi else 'firm'} {self.firm_id}"
        if self.slots:
            return f"{who} {'ở khung giờ' if vi else 'in'} {', '.join(sorted(self.slots))}"
        return f"{who} (cả ngày)" if vi else f"{who} (all day / cả ngày)"

    def touches(self, buyer_id: str, firm_id: str, slot_id: str) -> bool:
        """Whether the meeting of ``buyer_id`` and ``firm_id`` in ``slot_id`` is cancelled."""
        if self.is_pair:
            return (buyer_id, firm_id) == (self.buyer_id, self.firm_id)
        if buyer_id != self.buyer_id and firm_id != self.firm_id:
            return False
        return not self.slots or slot_id in self.slots


def parse_cancellation(text: str, event: Event) -> Cancellation:
    """A :class:`Cancellation` from the command line's ``PARTICIPANT[:SLOT,...]`` or ``BUYER+FIRM``.

    A slot is named by its ID (``D1-03``) or by its start time (``10:30``) when only one slot
    of the event starts then.

    Examples
    --------
    >>> parse_cancellation("B017:D1-01,D1-02", event)          # doctest: +SKIP
    Cancellation(buyer_id='B017', firm_id=None, slots=frozenset({'D1-01', 'D1-02'}))
    """
    text = text.strip()
    buyers = {b.buyer_id for b in event.buyers}
    firms = {f.firm_id for f in event.firms}
    if "+" in text:
        first, second = (part.strip() for part in text.split("+", 1))
        if first in firms and second in buyers:
            first, second = second, first
        if first not in buyers or second not in firms:
            raise EventError(f"Cancellation {text!r}: expected BUYER+FIRM with a buyer and a firm of event "
                             f"{event.event_id}, got {first!r} and {second!r}. Check the IDs in the schedule.")
        return Cancellation(first, second)
    who, _, slot_text = text.partition(":")
    who = who.strip()
    slots = frozenset(_slot_id(token.strip(), event, text) for token in slot_text.split(",") if token.strip())
    if who in buyers and who in firms:
        raise EventError(f"Cancellation {text!r}: {who!r} is both a buyer and a firm of event "
                         f"{event.event_id}; give the pair as BUYER+FIRM instead.")
    if who in buyers:
        return Cancellation(buyer_id=who, slots=slots)
    if who in firms:
        return Cancellation(firm_id=who, slots=slots)
    raise EventError(f"Cancellation {text!r}: {who!r} is neither a buyer nor a firm of event {event.event_id}. "
                     "Expected PARTICIPANT[:SLOT,...] (e.g. B017 or F0013:D1-03,D1-04) or BUYER+FIRM.")


def _slot_id(token: str, event: Event, text: str) -> str:
    if token in set(event.slot_ids):
        return token
    starting = [s.slot_id for s in event.slots if s.start == token]
    if len(starting) == 1:
        return starting[0]
    if len(starting) > 1:
        raise EventError(f"Cancellation {text!r}: {len(starting)} slots start at {token} ({starting}); "
                         "name the slot by its ID.")
    raise EventError(f"Cancellation {text!r}: unknown slot {token!r}; expected a slot ID such as "
                     f"{event.slot_ids[0]!r} or a slot's start time (HH:MM).")


def apply_cancellations(event: Event, cancellations: list[Cancellation] | tuple[Cancellation, ...]) -> Event:
    """``event`` as it stands after ``cancellations``: the participants unavailable in their
    cancelled slots, cancelled pairs refused (and no longer requested)."""
    check_event(event)
    buyers = {b.buyer_id for b in event.buyers}
    firms = {f.firm_id for f in event.firms}
    away: dict[tuple[str, str], set[str]] = {}
    pairs = set()
    for c in cancellations:
        if c.buyer_id is None and c.firm_id is None:
            raise EventError("A cancellation names nobody; expected a buyer, a firm, or both (a pair).")
        if c.buyer_id is not None and c.buyer_id not in buyers:
            raise EventError(f"Cancellation of {c.describe()}: buyer {c.buyer_id!r} is not a participant of "
                             f"event {event.event_id}.")
        if c.firm_id is not None and c.firm_id not in firms:
            raise EventError(f"Cancellation of {c.describe()}: firm {c.firm_id!r} is not a participant of "
                             f"event {event.event_id}.")
        unknown = sorted(set(c.slots) - set(event.slot_ids))
        if unknown:
            raise EventError(f"Cancellation of {c.describe()}: unknown slots {unknown}; expected slot IDs such "
                             f"as {event.slot_ids[0]!r}.")
        if c.is_pair:
            if c.slots:
                raise EventError(f"Cancellation of {c.describe()}: a pair is cancelled for the whole event; "
                                 "give no slots (or cancel the participant in those slots).")
            pairs.add((c.buyer_id, c.firm_id))
        else:
            key = ("buyer", c.buyer_id) if c.buyer_id is not None else ("firm", c.firm_id)
            away.setdefault(key, set()).update(c.slots or event.slot_ids)
    return replace(
        event,
        buyers=tuple(replace(b, unavailable=b.unavailable | away.get(("buyer", b.buyer_id), set()))
                     for b in event.buyers),
        firms=tuple(replace(f, unavailable=f.unavailable | away.get(("firm", f.firm_id), set()))
                    for f in event.firms),
        refusals=tuple(event.refusals) + tuple(sorted(pairs - set(event.refusals))),
        requests=tuple(r for r in event.requests if (r.buyer_id, r.firm_id) not in pairs),
    )


def reschedule(event: Event, previous: Schedule | pd.DataFrame, proposals: pd.DataFrame | None = None,
               cancellations: list[Cancellation] | tuple[Cancellation, ...] = (), *, time_limit: float = 60.0,
               top_per_buyer: int | None = None, top_per_firm: int = 3, min_penalty: float | None = None,
               mip_rel_gap: float = 1e-4, request_bonus: float = REQUEST_BONUS,
               mutual_bonus: float = MUTUAL_BONUS, compact: bool = True) -> Schedule:
    """Schedule ``event`` again after ``cancellations``, keeping every meeting that can stay.

    Parameters
    ----------
    event : Event
        The event as scheduled before (the cancellations are applied here).
    previous : Schedule or pandas.DataFrame
        The earlier schedule, or its meetings (``slot_id, table, buyer_id, firm_id`` and
        optionally ``value, score, need_id, requested_by``), e.g. read back with
        :func:`matching.events.read_schedule_json`.
    proposals : pandas.DataFrame, optional
        As for :func:`matching.events.schedule_meetings`; pairs kept from ``previous`` are
        candidates even when absent here.
    cancellations : sequence of Cancellation, default ()
    time_limit, top_per_buyer, top_per_firm, min_penalty, mip_rel_gap, request_bonus, mutual_bonus, compact
        As for :func:`matching.events.schedule_meetings`; only new meetings are moved by
        ``compact``.

    Returns
    -------
    Schedule
        For the event after the cancellations (``schedule.event``): every earlier meeting not
        touched by a cancellation and still valid is in its slot at its table; ``changes``
        lists each meeting kept, cancelled, dropped (no longer valid), moved (its pair met in a
        cancelled slot and now meets in another) or new.

    Examples
    --------
    >>> from matching.events import Event, EventBuyer, EventFirm, make_slots, schedule_meetings
    >>> event = Event("E1", tuple(make_slots("2026-03-12", "09:00", "10:00", 30)), 1,
    ...               (EventBuyer("B1"), EventBuyer("B2")), (EventFirm("F1"), EventFirm("F2")))
    >>> proposals = pd.DataFrame({"buyer_id": ["B1", "B2", "B2"], "firm_id": ["F1", "F2", "F1"],
    ...                           "score": [0.9, 0.8, 0.5]})
    >>> first = schedule_meetings(event, proposals, time_limit=5)
    >>> again = reschedule(event, first, proposals, [Cancellation(buyer_id="B1")], time_limit=5)
    >>> sorted(again.changes["change"])
    ['cancelled', 'kept', 'new']
    """
    if not time_limit > 0:
        raise EventError(f"Expected time_limit > 0 seconds, got time_limit={time_limit}.")
    started = time.perf_counter()
    cancellations = tuple(cancellations)
    after = apply_cancellations(event, cancellations)
    before = _previous_meetings(previous)
    kept, changes = _sort_previous(after, before, cancellations)

    all_pairs = candidate_meetings(after, proposals, request_bonus=request_bonus, mutual_bonus=mutual_bonus)
    all_pairs = _with_kept_pairs(all_pairs, kept)
    n_slots = len(after.slots)
    top_per_buyer = 2 * n_slots if top_per_buyer is None else top_per_buyer
    if top_per_buyer < 0 or top_per_firm < 0:
        raise EventError(f"Expected top_per_buyer and top_per_firm >= 0, got {top_per_buyer} and {top_per_firm}.")
    pairs = select_candidates(after, all_pairs, top_per_buyer, max(top_per_firm, after.min_meetings + 2))
    kept_keys = list(zip(kept["buyer_id"], kept["firm_id"], strict=True))
    chosen_keys = set(zip(pairs["buyer_id"], pairs["firm_id"], strict=True))
    extra = [k not in chosen_keys and k in set(kept_keys) for k in zip(all_pairs["buyer_id"], all_pairs["firm_id"],
                                                                        strict=True)]
    pairs = pd.concat([pairs, all_pairs[np.asarray(extra, dtype=bool)]], ignore_index=True)
    row_of = {k: i for i, k in enumerate(zip(pairs["buyer_id"], pairs["firm_id"], strict=True))}
    position = {s.slot_id: i for i, s in enumerate(after.slots)}
    fixed = {row_of[k]: position[s] for k, s in zip(kept_keys, kept["slot_id"], strict=True)}

    model = _Model(after, pairs, min_penalty, fixed)
    result = model.solve(time_limit, mip_rel_gap)
    if result.x is None:  # no schedule in time: the kept meetings alone are still a valid one
        chosen = pairs.iloc[list(fixed)].reset_index(drop=True)
        slot_index = np.array(list(fixed.values()), dtype=int)
        status, objective = f"kept meetings only (milp: {result.message})", float("nan")
    else:
        chosen, slot_index = model.meetings(result.x)
        status = "optimal" if result.status == 0 else f"time limit ({result.message})"
        objective = -float(result.fun)
    table_of = {(b, f): int(t) for b, f, t in zip(kept["buyer_id"], kept["firm_id"], kept["table"], strict=True)}
    fixed_tables = np.array([table_of.get(k, 0) for k in zip(chosen["buyer_id"], chosen["firm_id"], strict=True)],
                            dtype=int)
    if compact:
        slot_index = _compact(after, chosen, slot_index, movable=fixed_tables == 0)
    meetings = _place(after, chosen, slot_index, fixed_tables)
    below, unplaced = _given_up(after, all_pairs, meetings, stopped_early=result.x is not None and result.status == 1)
    no_room = [r.startswith("no room") for r in below["reason"]]
    below = below.assign(
        reason=[r + _KEPT_NOTE if n else r for r, n in zip(below["reason"], no_room, strict=True)],
        reason_vi=[r + _KEPT_NOTE_VI if n else r for r, n in zip(below["reason_vi"], no_room, strict=True)])
    value = float(meetings["value"].sum())
    if np.isnan(objective):
        objective = value
    changes = _changes(changes, meetings, set(kept_keys), set(zip(before["buyer_id"], before["firm_id"], strict=True)))
    gap = float(result.mip_gap) if getattr(result, "mip_gap", None) is not None else None
    return Schedule(after, meetings, value, objective, model.bound(result), gap, status,
                    time.perf_counter() - started, "milp (rescheduled)", below, unplaced, _warnings(after),
                    changes)


def _previous_meetings(previous: Schedule | pd.DataFrame) -> pd.DataFrame:
    meetings = previous.meetings if isinstance(previous, Schedule) else previous
    missing = [c for c in ("slot_id", "table", "buyer_id", "firm_id") if c not in meetings.columns]
    if missing:
        raise EventError(f"The earlier schedule lacks columns {missing}; expected slot_id, table, buyer_id, "
                         "firm_id (the schedule JSON written by `cnht event schedule`).")
    return meetings.astype({"slot_id": str, "buyer_id": str, "firm_id": str}).reset_index(drop=True)


def _sort_previous(after: Event, before: pd.DataFrame,
                   cancellations: tuple[Cancellation, ...]) -> tuple[pd.DataFrame, list[dict]]:
    """The earlier meetings to keep, and a change row for each one cancelled or dropped.

    A meeting is dropped when the event as it now stands no longer allows it (slot, table or
    participant gone, participant unavailable, pair refused, a clash or a cap over), so that
    the kept meetings are a valid schedule by themselves.
    """
    slots = set(after.slot_ids)
    buyers = {b.buyer_id: b for b in after.buyers}
    firms = {f.firm_id: f for f in after.firms}
    refused = set(after.refusals)
    n_slots = len(after.slots)
    used_table, used_buyer, used_firm, used_pair = set(), set(), set(), set()
    held_b, held_f = Counter(), Counter()
    order = {s: i for i, s in enumerate(after.slot_ids)}
    before = before.assign(_order=before["slot_id"].map(order).fillna(n_slots)).sort_values(["_order", "table"])
    keep, changes = [], []
    for i, row in zip(before.index, before.itertuples(index=False), strict=True):
        b, f, s = row.buyer_id, row.firm_id, row.slot_id
        cancelled = [c for c in cancellations if c.touches(b, f, s)]
        reason = reason_vi = ""
        if cancelled:
            changes.append(_change("cancelled", row, "cancelled: " + "; ".join(c.describe() for c in cancelled),
                                   "đã hủy: " + "; ".join(c.describe("vi") for c in cancelled)))
            continue
        table = int(row.table) if pd.notna(row.table) else 0
        if s not in slots:
            reason, reason_vi = f"slot {s} is no longer in the event", f"khung giờ {s} không còn trong sự kiện"
        elif b not in buyers or f not in firms:
            reason, reason_vi = "participant no longer in the event", "một bên không còn tham gia sự kiện"
        elif not 1 <= table <= after.tables:
            reason = f"table {row.table} outside 1..{after.tables}"
            reason_vi = f"bàn {row.table} không còn (sự kiện nay chỉ có {after.tables} bàn)"
        elif s in buyers[b].unavailable or s in firms[f].unavailable:
            reason, reason_vi = "a participant is now unavailable in this slot", "một bên nay bận ở khung giờ này"
        elif (b, f) in refused:
            reason, reason_vi = "the pair is refused", "cặp gặp này đã bị từ chối"
        elif (s, table) in used_table or (s, b) in used_buyer or (s, f) in used_firm or (b, f) in used_pair:
            reason = "clashes with an earlier meeting of the schedule"
            reason_vi = "trùng với một buổi gặp xếp trước đó trong lịch"
        elif held_b[b] >= _cap(buyers[b].max_meetings, n_slots) or held_f[f] >= _cap(firms[f].max_meetings, n_slots):
            reason = "over the participant's max_meetings"
            reason_vi = "vượt giới hạn số buổi gặp (max_meetings) của một bên"
        if reason:
            changes.append(_change("dropped", row, reason, reason_vi))
            continue
        used_table.add((s, table))
        used_buyer.add((s, b))
        used_firm.add((s, f))
        used_pair.add((b, f))
        held_b[b] += 1
        held_f[f] += 1
        keep.append(i)
    return before.loc[keep].drop(columns="_order").reset_index(drop=True), changes


def _change(kind: str, row, reason: str, reason_vi: str) -> dict:
    return {"change": kind, "slot_id": row.slot_id, "table": row.table, "buyer_id": row.buyer_id,
            "firm_id": row.firm_id, "reason": reason, "reason_vi": reason_vi}


def _with_kept_pairs(all_pairs: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    """Candidates plus the kept pairs the proposals no longer hold (with their earlier value)."""
    known = set(zip(all_pairs["buyer_id"], all_pairs["firm_id"], strict=True))
    absent = kept[[k not in known for k in zip(kept["buyer_id"], kept["firm_id"], strict=True)]]
    if absent.empty:
        return all_pairs
    rows = pd.DataFrame({
        "buyer_id": absent["buyer_id"], "firm_id": absent["firm_id"],
        "score": absent["score"].astype(float) if "score" in absent else 0.0,
        "need_id": absent["need_id"].fillna("").astype(str) if "need_id" in absent else "",
        "requested_by": absent["requested_by"].fillna("").astype(str) if "requested_by" in absent else "",
        "request_order": np.nan,
        "value": absent["value"].astype(float) if "value" in absent else 0.0,
    })
    return pd.concat([all_pairs, rows], ignore_index=True)


def _changes(changes: list[dict], meetings: pd.DataFrame, kept: set, earlier_pairs: set) -> pd.DataFrame:
    for row in meetings.itertuples(index=False):
        pair = (row.buyer_id, row.firm_id)
        if pair in kept:
            changes.append(_change("kept", row, "same slot and table / giữ nguyên", "giữ nguyên khung giờ và bàn"))
        elif pair in earlier_pairs:
            changes.append(_change("moved", row, "the pair meets in another slot / chuyển khung giờ",
                                   "cặp gặp chuyển sang khung giờ khác"))
        else:
            changes.append(_change("new", row, "fills a freed place / xếp thêm", "xếp thêm vào chỗ trống"))
    return pd.DataFrame(changes, columns=CHANGE_COLUMNS)
