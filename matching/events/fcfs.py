"""First come, first served: how matchmaking platforms fill slots today (the baseline).

Requests in arrival order, then the other proposals best value first; each pair goes to the
first slot in which both sides are free and available and a table is free, while both are
under their caps. No look-ahead: no minimum for firms, no trade-offs.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from matching.events.event import Event
from matching.events.schedule import (
    MUTUAL_BONUS,
    REQUEST_BONUS,
    Schedule,
    _availability,
    _cap,
    _given_up,
    _place,
    _warnings,
    candidate_meetings,
)

__all__ = ["first_come_first_served"]


def first_come_first_served(event: Event, proposals: pd.DataFrame | None = None, *,
                            request_bonus: float = REQUEST_BONUS,
                            mutual_bonus: float = MUTUAL_BONUS) -> Schedule:
    """Fill slots first come, first served (the baseline of :func:`schedule_meetings`).

    Parameters
    ----------
    event : Event
    proposals : pandas.DataFrame, optional
        Proposals (``buyer_id, firm_id, score``) or the output of :func:`candidate_meetings`
        (recognised by its ``value`` and ``requested_by`` columns).
    request_bonus, mutual_bonus : float, default 1.0, 2.0

    Returns
    -------
    Schedule
        With ``bound`` and ``gap`` None.
    """
    started = time.perf_counter()
    if proposals is not None and {"value", "requested_by", "request_order"} <= set(proposals.columns):
        pairs = proposals
    else:
        pairs = candidate_meetings(event, proposals, request_bonus=request_bonus, mutual_bonus=mutual_bonus)
    requested = pairs[pairs["requested_by"] != ""].sort_values("request_order", kind="stable")
    others = pairs[pairs["requested_by"] == ""].sort_values("value", ascending=False, kind="stable")
    ordered = pd.concat([requested, others], ignore_index=True)
    n_slots = len(event.slots)
    available_b, available_f = _availability(event)
    b_index = {b.buyer_id: i for i, b in enumerate(event.buyers)}
    f_index = {f.firm_id: i for i, f in enumerate(event.firms)}
    left_b = np.array([_cap(b.max_meetings, n_slots) for b in event.buyers])
    left_f = np.array([_cap(f.max_meetings, n_slots) for f in event.firms])
    free_b, free_f = available_b.copy(), available_f.copy()
    tables = np.full(n_slots, event.tables)
    taken, slots = [], []
    for row, (buyer_id, firm_id) in enumerate(zip(ordered["buyer_id"], ordered["firm_id"], strict=True)):
        b, f = b_index[buyer_id], f_index[firm_id]
        if left_b[b] == 0 or left_f[f] == 0:
            continue
        open_slots = np.flatnonzero(free_b[b] & free_f[f] & (tables > 0))
        if len(open_slots) == 0:
            continue
        s = open_slots[0]
        free_b[b, s] = free_f[f, s] = False
        tables[s] -= 1
        left_b[b] -= 1
        left_f[f] -= 1
        taken.append(row)
        slots.append(s)
    meetings = _place(event, ordered.iloc[taken].reset_index(drop=True), np.asarray(slots, dtype=int))
    below, unplaced = _given_up(event, pairs, meetings, stopped_early=False)
    value = float(meetings["value"].sum())
    return Schedule(event, meetings, value, value, None, None, "complete", time.perf_counter() - started,
                    "fcfs", below, unplaced, _warnings(event))
