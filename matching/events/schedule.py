"""The result of scheduling an event, and what both schedulers share.

:class:`Schedule` holds the meetings (slot, table, buyer, firm, value), the solver's objective,
bound and gap, and what was given up: requests not placed and registered firms below the
minimum, each with a reason in English (``reason``) and Vietnamese (``reason_vi``), made by
the same condition. :func:`candidate_meetings` turns proposals and requests into the
meetings the schedulers may choose, with their value; :func:`idle_gaps` counts waiting slots.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from matching.events.event import Event, check_event
from matching.exceptions import EventError

__all__ = ["Schedule", "candidate_meetings", "idle_gaps", "event_warnings", "REQUEST_BONUS", "MUTUAL_BONUS",
           "BELOW_MINIMUM_COLUMNS", "UNPLACED_COLUMNS"]

# Scores are in [0, 1]: a request outranks any proposal, a mutual request any one-sided one.
REQUEST_BONUS = 1.0
MUTUAL_BONUS = 2.0
MEETING_COLUMNS = ["slot_id", "day", "start", "end", "table", "buyer_id", "firm_id", "value", "score",
                   "need_id", "requested_by"]
BELOW_MINIMUM_COLUMNS = ["firm_id", "meetings", "minimum", "reason", "reason_vi"]
UNPLACED_COLUMNS = ["buyer_id", "firm_id", "requested_by", "reason", "reason_vi"]


@dataclass
class Schedule:
    """A schedule of meetings and what it gave up.

    Attributes
    ----------
    meetings : pandas.DataFrame
        One row per meeting: ``slot_id, day, start, end, table, buyer_id, firm_id, value, score,
        need_id, requested_by`` (``""``, ``"buyer"``, ``"firm"`` or ``"both"``), by slot and table.
    value : float
        Total match value of the meetings (score plus request bonuses).
    objective : float
        What the scheduler maximised: ``value`` minus the penalty for each meeting missing from
        a registered firm's minimum (equal to ``value`` when no firm is below it).
    bound : float or None
        Upper bound on ``objective`` proven by the solver (None for the baseline).
    gap : float or None
        ``(bound - objective) / |objective|`` (0: proven optimal).
    status : str
    seconds : float
    firms_below_minimum : pandas.DataFrame
        ``firm_id, meetings, minimum, reason, reason_vi`` for registered firms below
        ``event.min_meetings`` (``reason`` in English, ``reason_vi`` in Vietnamese).
    unplaced_requests : pandas.DataFrame
        ``buyer_id, firm_id, requested_by, reason, reason_vi`` for requests without a meeting.
    warnings : list of str
        Participants who cannot meet anyone (unavailable all day, cap 0), in English.
    changes : pandas.DataFrame
        After :func:`matching.events.reschedule` only: ``change, slot_id, table, buyer_id,
        firm_id, reason, reason_vi`` with ``change`` one of ``"kept"`` (same slot and table),
        ``"cancelled"`` (dropped by the cancellation), ``"dropped"`` (no longer valid for the
        event as it now stands), ``"moved"`` (the pair meets in another slot) and ``"new"``;
        empty for a first schedule.
    warnings_vi : list of str, optional
        ``warnings`` in Vietnamese, one for one. Left out (None), each is the Vietnamese of the
        same warning of ``event`` (:func:`event_warnings`), else its English (a warning stored
        before the Vietnamese was kept, for an event changed since).
    """

    event: Event
    meetings: pd.DataFrame
    value: float
    objective: float
    bound: float | None
    gap: float | None
    status: str
    seconds: float
    method: str
    firms_below_minimum: pd.DataFrame = field(default_factory=pd.DataFrame)
    unplaced_requests: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings_vi: list[str] | None = None

    def __post_init__(self) -> None:
        if self.warnings_vi is None:
            vietnamese = dict(event_warnings(self.event))
            self.warnings_vi = [vietnamese.get(w, w) for w in self.warnings]
        elif len(self.warnings_vi) != len(self.warnings):
            raise EventError(f"Expected one Vietnamese warning per warning, got {len(self.warnings_vi)} for "
                             f"{len(self.warnings)}; give warnings_vi in the order of warnings, or leave it out.")

    @property
    def idle_gaps(self) -> int:
        """Slots participants wait between two of their meetings on a day (:func:`idle_gaps`)."""
        return idle_gaps(self.event, self.meetings)

    def firms_with_meeting(self) -> int:
        """Number of distinct firms with at least one meeting."""
        return int(self.meetings["firm_id"].nunique())

    def per_participant(self) -> pd.DataFrame:
        """The schedule as each participant reads it: ``participant_kind, participant_id, day,
        start, end, slot_id, table, with_id, value``, by participant and time."""
        m = self.meetings
        common = ["day", "start", "end", "slot_id", "table", "value", "need_id"]
        buyers = m.assign(participant_kind="buyer", participant_id=m["buyer_id"], with_id=m["firm_id"])
        firms = m.assign(participant_kind="firm", participant_id=m["firm_id"], with_id=m["buyer_id"])
        out = pd.concat([buyers, firms], ignore_index=True)
        columns = ["participant_kind", "participant_id", *common[:5], "with_id", *common[5:]]
        return out[columns].sort_values(["participant_kind", "participant_id", "day", "start"],
                                        ignore_index=True)

    def summary(self) -> dict:
        """Figures for a report or a benchmark (JSON-ready)."""
        registered = [f.firm_id for f in self.event.firms if f.registered]
        met = set(self.meetings["firm_id"])
        return {
            "method": self.method, "status": self.status, "meetings": int(len(self.meetings)),
            "value": round(self.value, 6), "objective": round(self.objective, 6),
            "bound": None if self.bound is None else round(self.bound, 6),
            "gap": None if self.gap is None else round(self.gap, 6),
            "seconds": round(self.seconds, 3),
            "firms_with_meeting": len(met),
            "registered_firms_with_meeting": sum(f in met for f in registered),
            "firms_below_minimum": int(len(self.firms_below_minimum)),
            "requests": len(self.event.requests),
            "requests_unplaced": int(len(self.unplaced_requests)),
            "idle_gaps": self.idle_gaps,
        } | self._change_counts()

    def _change_counts(self) -> dict:
        if self.changes.empty:
            return {}
        counts = self.changes["change"].value_counts()
        return {f"meetings_{kind}": int(counts.get(kind, 0)) for kind in ("kept", "cancelled", "dropped", "moved", "new")}


def candidate_meetings(event: Event, proposals: pd.DataFrame | None = None, *,
                       request_bonus: float = REQUEST_BONUS, mutual_bonus: float = MUTUAL_BONUS) -> pd.DataFrame:
    """Every pair that may meet, with its value: the proposals plus the requests, less refusals.

    Parameters
    ----------
    event : Event
    proposals : pandas.DataFrame, optional
        ``buyer_id, firm_id, score`` (and optionally ``need_id``), e.g. from
        :func:`matching.events.propose_meetings`; pairs of non-participants are ignored.
    request_bonus, mutual_bonus : float, default 1.0, 2.0
        Added to the score of a pair requested by one side, by both.

    Returns
    -------
    pandas.DataFrame
        ``buyer_id, firm_id, score, need_id, requested_by, request_order, value``, one row per
        pair, best value first (requests in arrival order among equal values).
    """
    check_event(event)
    columns = ["buyer_id", "firm_id", "score", "need_id"]
    if proposals is None or len(proposals) == 0:
        pairs = pd.DataFrame({c: pd.Series(dtype=float if c == "score" else object) for c in columns})
    else:
        missing = [c for c in ("buyer_id", "firm_id", "score") if c not in proposals.columns]
        if missing:
            raise EventError(f"Proposals lack columns {missing}; expected buyer_id, firm_id, score "
                             "(from propose_meetings).")
        pairs = proposals.assign(need_id=proposals["need_id"] if "need_id" in proposals else "")[columns]
        pairs = pairs.astype({"buyer_id": str, "firm_id": str, "score": float})
        if not np.isfinite(pairs["score"]).all() or (pairs["score"] < 0).any():
            raise EventError("Proposals have scores that are negative or not numbers; expected scores >= 0.")
        pairs = pairs.sort_values("score", ascending=False).drop_duplicates(["buyer_id", "firm_id"])
    buyers = {b.buyer_id for b in event.buyers}
    firms = {f.firm_id for f in event.firms}
    pairs = pairs[pairs["buyer_id"].isin(buyers) & pairs["firm_id"].isin(firms)]
    asked: dict[tuple[str, str], set[str]] = defaultdict(set)
    order: dict[tuple[str, str], int] = {}
    for request in event.requests:
        key = (request.buyer_id, request.firm_id)
        asked[key].add(request.by)
        order[key] = min(order.get(key, request.order), request.order)
    extra = [k for k in asked if k not in set(zip(pairs["buyer_id"], pairs["firm_id"], strict=True))]
    if extra:
        pairs = pd.concat([pairs, pd.DataFrame({"buyer_id": [k[0] for k in extra], "firm_id": [k[1] for k in extra],
                                                "score": 0.0, "need_id": ""})], ignore_index=True)
    keys = list(zip(pairs["buyer_id"], pairs["firm_id"], strict=True))
    by = [asked.get(k, set()) for k in keys]
    pairs = pairs.assign(
        requested_by=["both" if len(s) == 2 else next(iter(s)) if s else "" for s in by],
        request_order=[order.get(k, np.nan) for k in keys],
    )
    bonus = np.select([pairs["requested_by"] == "both", pairs["requested_by"] != ""], [mutual_bonus, request_bonus], 0.0)
    pairs = pairs.assign(value=pairs["score"].to_numpy() + bonus)
    refused = set(event.refusals)
    keep = [k not in refused for k in zip(pairs["buyer_id"], pairs["firm_id"], strict=True)]
    pairs = pairs[np.asarray(keep, dtype=bool)]
    pairs = pairs.fillna({"need_id": ""})
    return pairs.sort_values(["value", "request_order", "buyer_id", "firm_id"],
                             ascending=[False, True, True, True], ignore_index=True)


def idle_gaps(event: Event, meetings: pd.DataFrame) -> int:
    """Slots in which a participant waits: available, without a meeting, between two of its
    meetings on the same day (summed over buyers and firms)."""
    position = {s.slot_id: i for i, s in enumerate(event.slots)}
    day = {s.slot_id: s.day for s in event.slots}
    away = {("buyer", b.buyer_id): b.unavailable for b in event.buyers}
    away |= {("firm", f.firm_id): f.unavailable for f in event.firms}
    busy: dict[tuple, list[int]] = defaultdict(list)
    for slot_id, buyer_id, firm_id in meetings[["slot_id", "buyer_id", "firm_id"]].itertuples(index=False):
        busy[("buyer", buyer_id, day[slot_id])].append(position[slot_id])
        busy[("firm", firm_id, day[slot_id])].append(position[slot_id])
    total = 0
    for (kind, who, _), slots in busy.items():
        taken = set(slots)
        unavailable = away.get((kind, who), frozenset())
        total += sum(1 for i in range(min(slots), max(slots)) if i not in taken
                     and event.slots[i].slot_id not in unavailable)
    return total


def _availability(event: Event) -> tuple[np.ndarray, np.ndarray]:
    """Boolean (buyers x slots) and (firms x slots): who can meet when (cap 0 = never)."""
    ids = event.slot_ids
    buyers = np.array([[s not in b.unavailable for s in ids] for b in event.buyers], dtype=bool).reshape(-1, len(ids))
    firms = np.array([[s not in f.unavailable for s in ids] for f in event.firms], dtype=bool).reshape(-1, len(ids))
    buyers[[b.max_meetings == 0 for b in event.buyers]] = False
    firms[[f.max_meetings == 0 for f in event.firms]] = False
    return buyers, firms


def _cap(max_meetings: int | None, n_slots: int) -> int:
    return n_slots if max_meetings is None else min(max_meetings, n_slots)


def event_warnings(event: Event) -> list[tuple[str, str]]:
    """Participants who cannot meet anyone, as ``(english, vietnamese)`` sentences.

    Examples
    --------
    >>> from matching.events import Event, EventBuyer, EventFirm, make_slots
    >>> event = Event("E1", tuple(make_slots("2026-03-12", "09:00", "10:00", 30)), 1,
    ...               (EventBuyer("B1"),), (EventFirm("F1", max_meetings=0),))
    >>> event_warnings(event)[0][1]
    'Doanh nghiệp F1 có giới hạn 0 buổi gặp (max_meetings=0): không xếp được buổi gặp nào.'
    """
    out = []
    for kind, kind_vi, people, key in (("buyer", "Bên mua", event.buyers, "buyer_id"),
                                       ("firm", "Doanh nghiệp", event.firms, "firm_id")):
        for person in people:
            who = getattr(person, key)
            if len(person.unavailable) >= len(event.slots):
                out.append((f"{kind} {who} is unavailable in every slot: no meeting possible "
                            "(không thể xếp lịch: bận cả ngày).",
                            f"{kind_vi} {who} bận ở mọi khung giờ: không xếp được buổi gặp nào."))
            elif person.max_meetings == 0:
                out.append((f"{kind} {who} has max_meetings=0: no meeting possible.",
                            f"{kind_vi} {who} có giới hạn 0 buổi gặp (max_meetings=0): không xếp được buổi gặp nào."))
    return out


def _warnings(event: Event) -> list[str]:
    """The English of :func:`event_warnings` (a :class:`Schedule` finds their Vietnamese itself)."""
    return [english for english, _ in event_warnings(event)]


def _place(event: Event, chosen: pd.DataFrame, slot_index: np.ndarray,
           fixed_tables: np.ndarray | None = None) -> pd.DataFrame:
    """Meetings with their slot and a table: a buyer keeps its table from slot to slot when free.

    ``fixed_tables`` (one per row of ``chosen``, 0 for none) pins meetings kept from an earlier
    schedule to their table; the others take the tables left in their slot.
    """
    slots = event.slots
    fixed = np.zeros(len(chosen), dtype=int) if fixed_tables is None else np.asarray(fixed_tables, dtype=int)
    frame = chosen.assign(_slot=np.asarray(slot_index, dtype=int), _fixed=fixed).sort_values(["_slot", "buyer_id"])
    home: dict[str, int] = dict(zip(frame.loc[frame["_fixed"] > 0, "buyer_id"],
                                    frame.loc[frame["_fixed"] > 0, "_fixed"], strict=True))
    tables = []
    for _slot, group in frame.groupby("_slot", sort=True):
        pinned = group[group["_fixed"] > 0]
        free = set(range(1, event.tables + 1)) - set(pinned["_fixed"])
        wanted = dict(zip(pinned["buyer_id"], pinned["_fixed"], strict=True))
        for buyer_id in group["buyer_id"]:
            if buyer_id in wanted:
                continue
            t = home.get(buyer_id)
            if t in free:
                free.discard(t)
                wanted[buyer_id] = t
        ordered = sorted(free)
        for buyer_id in group["buyer_id"]:
            if buyer_id not in wanted:
                wanted[buyer_id] = ordered.pop(0)
                home.setdefault(buyer_id, wanted[buyer_id])
        tables += [wanted[b] for b in group["buyer_id"]]
    frame = frame.assign(
        table=np.asarray(tables, dtype=int),
        slot_id=[slots[i].slot_id for i in frame["_slot"]],
        day=[slots[i].day for i in frame["_slot"]],
        start=[slots[i].start for i in frame["_slot"]],
        end=[slots[i].end for i in frame["_slot"]],
    )
    return frame.sort_values(["_slot", "table"])[MEETING_COLUMNS].reset_index(drop=True)


def _given_up(event: Event, candidates: pd.DataFrame, meetings: pd.DataFrame,
              stopped_early: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Registered firms below the minimum and requests not placed, each with its reason in English
    and Vietnamese (``reason``, ``reason_vi``: one branch writes both, so they cannot drift)."""
    n_slots = len(event.slots)
    available_b, available_f = _availability(event)
    b_index = {b.buyer_id: i for i, b in enumerate(event.buyers)}
    f_index = {f.firm_id: i for i, f in enumerate(event.firms)}
    common = {(b, f): bool((available_b[b_index[b]] & available_f[f_index[f]]).any())
              for b, f in zip(candidates["buyer_id"], candidates["firm_id"], strict=True)}
    counts = meetings["firm_id"].value_counts()
    late = " The solver stopped at its time limit before proving this; a longer limit may place more."
    late_vi = (". Bộ giải dừng vì hết thời gian trước khi chứng minh được điều này; cho thêm thời gian có thể "
               "xếp được nhiều buổi hơn.")
    rows = []
    for i, firm in enumerate(event.firms):
        held = int(counts.get(firm.firm_id, 0))
        if not firm.registered or held >= event.min_meetings:
            continue
        partners = sum(ok for (b, f), ok in common.items() if f == firm.firm_id)
        cap = _cap(firm.max_meetings, n_slots)
        if not available_f[i].any() and firm.max_meetings != 0:
            reason, reason_vi = "unavailable in every slot (bận cả ngày)", "bận ở mọi khung giờ"
        elif not available_f[i].any():
            reason, reason_vi = "max_meetings=0", "giới hạn 0 buổi gặp (max_meetings=0)"
        elif cap < event.min_meetings:
            reason = f"its cap max_meetings={firm.max_meetings} is below the minimum {event.min_meetings}"
            reason_vi = (f"giới hạn {firm.max_meetings} buổi gặp (max_meetings) thấp hơn số buổi tối thiểu "
                         f"{event.min_meetings}")
        elif partners < event.min_meetings:
            reason = (f"only {partners} buyer(s) can meet it: no other buyer's need fits it, or it is refused "
                      "or never free when they are")
            reason_vi = (f"chỉ {partners} bên mua có thể gặp doanh nghiệp: nhu cầu của các bên mua khác không "
                         "phù hợp, hoặc cặp gặp bị từ chối, hoặc không trùng khung giờ rảnh")
        else:
            reason = ("no room: tables, slots and buyers' caps are taken by other firms' minimum meetings"
                      + (late if stopped_early else ""))
            reason_vi = ("hết chỗ: bàn, khung giờ và giới hạn của bên mua đã dành cho số buổi tối thiểu của "
                         "các doanh nghiệp khác" + (late_vi if stopped_early else ""))
        rows.append({"firm_id": firm.firm_id, "meetings": held, "minimum": event.min_meetings, "reason": reason,
                     "reason_vi": reason_vi})
    below = pd.DataFrame(rows, columns=BELOW_MINIMUM_COLUMNS)

    placed = set(zip(meetings["buyer_id"], meetings["firm_id"], strict=True))
    requested = candidates[candidates["requested_by"] != ""]
    per_buyer = requested["buyer_id"].value_counts()
    per_firm = requested["firm_id"].value_counts()
    rows = []
    for buyer_id, firm_id, by in requested[["buyer_id", "firm_id", "requested_by"]].itertuples(index=False):
        if (buyer_id, firm_id) in placed:
            continue
        buyer, firm = event.buyers[b_index[buyer_id]], event.firms[f_index[firm_id]]
        room_b = min(_cap(buyer.max_meetings, n_slots), int(available_b[b_index[buyer_id]].sum()))
        room_f = min(_cap(firm.max_meetings, n_slots), int(available_f[f_index[firm_id]].sum()))
        if not common[(buyer_id, firm_id)]:
            reason, reason_vi = "no slot in which both are available", "không có khung giờ nào cả hai bên cùng rảnh"
        elif per_buyer[buyer_id] > room_b:
            reason = (f"buyer {buyer_id} has {per_buyer[buyer_id]} requests for {room_b} meetings "
                      "(free slots or cap)")
            reason_vi = (f"bên mua {buyer_id} có {per_buyer[buyer_id]} yêu cầu gặp nhưng chỉ gặp được tối đa "
                         f"{room_b} buổi (do số khung giờ rảnh hoặc giới hạn số buổi)")
        elif per_firm[firm_id] > room_f:
            reason = f"firm {firm_id} has {per_firm[firm_id]} requests for {room_f} meetings (free slots or cap)"
            reason_vi = (f"doanh nghiệp {firm_id} có {per_firm[firm_id]} yêu cầu gặp nhưng chỉ gặp được tối đa "
                         f"{room_f} buổi (do số khung giờ rảnh hoặc giới hạn số buổi)")
        else:
            reason = ("the slots both have free went to higher-value meetings or to firms' minimum "
                      "(tables or participants full)" + (late if stopped_early else ""))
            reason_vi = ("các khung giờ cả hai bên cùng rảnh đã dành cho những buổi gặp giá trị cao hơn hoặc cho "
                         "số buổi tối thiểu của doanh nghiệp (hết bàn hoặc người tham dự đã kín lịch)"
                         + (late_vi if stopped_early else ""))
        rows.append({"buyer_id": buyer_id, "firm_id": firm_id, "requested_by": by, "reason": reason,
                     "reason_vi": reason_vi})
    unplaced = pd.DataFrame(rows, columns=UNPLACED_COLUMNS)
    return below, unplaced
