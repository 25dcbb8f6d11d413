"""The optimised schedule: a mixed-integer programme solved by HiGHS (``scipy.optimize.milp``).

Model (one binary ``x[p, s]`` per candidate pair ``p`` and slot ``s`` in which both sides are
available; refused pairs and pairs never free together have none):

* maximise ``sum value[p] x[p, s] - penalty * sum short[f]``;
* each pair meets at most once; a buyer and a firm are in at most one meeting per slot;
* at most ``tables`` meetings per slot (tables are identical, so table numbers are given after
  solving); each buyer and firm within its ``max_meetings``;
* every registered firm ``f``: ``sum x[p, s] over its pairs + short[f] >= minimum[f]``, with
  ``0 <= short[f] <= minimum[f]`` (``minimum[f]`` is the event's ``min_meetings`` capped by the
  firm's own cap). The penalty exceeds the value of every meeting the event can hold, so a
  missing minimum meeting is never traded for value: the minimum holds whenever some schedule
  meets it (lexicographic, soft only so that an impossible minimum still gives a schedule).

Candidate pairs are pre-selected to keep the model small: every request, the ``top_per_buyer``
best pairs of each buyer and the ``top_per_firm`` best of each firm. Idle gaps are reduced after
solving by moving meetings to slots where both sides are free (the value does not change).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from matching.events.event import Event
from matching.events.fcfs import first_come_first_served
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
from matching.exceptions import EventError

__all__ = ["schedule_meetings", "select_candidates"]


def select_candidates(event: Event, candidates: pd.DataFrame, top_per_buyer: int,
                      top_per_firm: int) -> pd.DataFrame:
    """The pairs the model may use: requests, each buyer's and each firm's best, all able to meet.

    ``candidates`` comes from :func:`candidate_meetings` (best value first).
    """
    available_b, available_f = _availability(event)
    b_index = {b.buyer_id: i for i, b in enumerate(event.buyers)}
    f_index = {f.firm_id: i for i, f in enumerate(event.firms)}
    bi = candidates["buyer_id"].map(b_index).to_numpy(dtype=int)
    fi = candidates["firm_id"].map(f_index).to_numpy(dtype=int)
    can_meet = (available_b[bi] & available_f[fi]).any(axis=1) if len(candidates) else np.zeros(0, bool)
    usable = candidates[can_meet]
    keep = (usable["requested_by"] != "").to_numpy().copy()
    keep |= (usable.groupby("buyer_id", sort=False).cumcount() < top_per_buyer).to_numpy()
    keep |= (usable.groupby("firm_id", sort=False).cumcount() < top_per_firm).to_numpy()
    return usable[keep].reset_index(drop=True)


def schedule_meetings(event: Event, proposals: pd.DataFrame | None = None, *, time_limit: float = 60.0,
                      top_per_buyer: int | None = None, top_per_firm: int = 3,
                      min_penalty: float | None = None, mip_rel_gap: float = 1e-4,
                      request_bonus: float = REQUEST_BONUS, mutual_bonus: float = MUTUAL_BONUS,
                      compact: bool = True) -> Schedule:
    """Choose meetings and place them in slots and tables, maximising total match value.

    Parameters
    ----------
    event : Event
    proposals : pandas.DataFrame, optional
        ``buyer_id, firm_id, score[, need_id]`` (:func:`matching.events.propose_meetings`);
        requests without a proposal are added with score 0.
    time_limit : float, default 60.0
        Seconds given to HiGHS; the best schedule found by then is returned with its gap.
    top_per_buyer : int, optional
        Best pairs kept per buyer (default twice the number of slots).
    top_per_firm : int, default 3
        Best pairs kept per firm (at least ``min_meetings + 2``).
    min_penalty : float, optional
        Penalty per meeting missing from a firm's minimum (default: more than the value of
        the fullest possible schedule, so the minimum comes first).
    mip_rel_gap : float, default 1e-4
        Relative gap at which HiGHS stops.
    request_bonus, mutual_bonus : float, default 1.0, 2.0
        Added to a requested pair's score (:func:`candidate_meetings`).
    compact : bool, default True
        Move meetings to close participants' idle gaps after solving.

    Returns
    -------
    Schedule

    Examples
    --------
    >>> from matching.events import Event, EventBuyer, EventFirm, make_slots
    >>> event = Event("E1", tuple(make_slots("2026-03-12", "09:00", "10:00", 20)), 2,
    ...               (EventBuyer("B1"),), (EventFirm("F1"), EventFirm("F2")))
    >>> proposals = pd.DataFrame({"buyer_id": ["B1", "B1"], "firm_id": ["F1", "F2"], "score": [0.9, 0.4]})
    >>> schedule_meetings(event, proposals, time_limit=5).meetings["firm_id"].tolist()
    ['F1', 'F2']
    """
    if not time_limit > 0:
        raise EventError(f"Expected time_limit > 0 seconds, got time_limit={time_limit}.")
    started = time.perf_counter()
    all_pairs = candidate_meetings(event, proposals, request_bonus=request_bonus, mutual_bonus=mutual_bonus)
    n_slots = len(event.slots)
    top_per_buyer = 2 * n_slots if top_per_buyer is None else top_per_buyer
    if top_per_buyer < 0 or top_per_firm < 0:
        raise EventError(f"Expected top_per_buyer and top_per_firm >= 0, got {top_per_buyer} and {top_per_firm}.")
    pairs = select_candidates(event, all_pairs, top_per_buyer, max(top_per_firm, event.min_meetings + 2))
    model = _Model(event, pairs, min_penalty)
    result = model.solve(time_limit, mip_rel_gap)
    if result.x is None:  # no integer solution within the limit: the baseline is a schedule
        fallback = first_come_first_served(event, all_pairs)
        fallback.method = "fcfs (milp found no schedule in time)"
        fallback.status = f"milp: {result.message}"
        fallback.bound = None if model.bound(result) is None else model.bound(result)
        fallback.seconds = time.perf_counter() - started
        return fallback
    chosen, slot_index = model.meetings(result.x)
    if compact:
        slot_index = _compact(event, chosen, slot_index)
    meetings = _place(event, chosen, slot_index)
    stopped_early = result.status == 1
    below, unplaced = _given_up(event, all_pairs, meetings, stopped_early)
    value = float(meetings["value"].sum())
    objective = -float(result.fun)
    bound = model.bound(result)
    gap = float(result.mip_gap) if getattr(result, "mip_gap", None) is not None else None
    return Schedule(event, meetings, value, objective, bound, gap,
                    "optimal" if result.status == 0 else f"time limit ({result.message})",
                    time.perf_counter() - started, "milp", below, unplaced, _warnings(event))


class _Model:
    """The arrays of the MILP for one event and its candidate pairs."""

    def __init__(self, event: Event, pairs: pd.DataFrame, min_penalty: float | None,
                 fixed: dict[int, int] | None = None) -> None:
        """``fixed`` maps a row of ``pairs`` to the slot index where it must meet (kept meetings)."""
        self.event, self.pairs = event, pairs
        n_slots, n_buyers, n_firms = len(event.slots), len(event.buyers), len(event.firms)
        available_b, available_f = _availability(event)
        b_index = {b.buyer_id: i for i, b in enumerate(event.buyers)}
        f_index = {f.firm_id: i for i, f in enumerate(event.firms)}
        pb = pairs["buyer_id"].map(b_index).to_numpy(dtype=np.int64)
        pf = pairs["firm_id"].map(f_index).to_numpy(dtype=np.int64)
        self.var_pair, self.var_slot = np.nonzero(available_b[pb] & available_f[pf])
        n_x = len(self.var_pair)
        vb, vf, vs = pb[self.var_pair], pf[self.var_pair], self.var_slot
        caps_b = np.array([_cap(b.max_meetings, n_slots) for b in event.buyers], dtype=float)
        caps_f = np.array([_cap(f.max_meetings, n_slots) for f in event.firms], dtype=float)
        minimum = np.array([min(event.min_meetings, c) if f.registered else 0
                            for f, c in zip(event.firms, caps_f, strict=True)], dtype=float)
        owed = np.flatnonzero(minimum > 0)
        self.n_x, self.n_short = n_x, len(owed)
        value = pairs["value"].to_numpy(dtype=float)
        if min_penalty is None:
            # More than the best possible total value: no shortfall is ever worth any value.
            most = min(n_slots * event.tables, len(pairs))
            min_penalty = 1.0 + float(np.sort(value)[::-1][:most].sum()) if len(value) else 1.0
        self.penalty = min_penalty
        # Variables: x (n_x), then short (n_short). milp minimises: negate the value.
        self.c = np.concatenate([-value[self.var_pair], np.full(self.n_short, min_penalty)])
        rows, cols, lower, upper = [], [], [], []
        offset = 0

        def block(row_of_var: np.ndarray, n_rows: int, lo: np.ndarray | float, hi: np.ndarray | float,
                  var_ids: np.ndarray | None = None) -> None:
            nonlocal offset
            rows.append(offset + row_of_var)
            cols.append(np.arange(n_x) if var_ids is None else var_ids)
            lower.append(np.broadcast_to(np.asarray(lo, float), (n_rows,)))
            upper.append(np.broadcast_to(np.asarray(hi, float), (n_rows,)))
            offset += n_rows

        block(self.var_pair, len(pairs), -np.inf, 1.0)                    # a pair meets once
        block(vb * n_slots + vs, n_buyers * n_slots, -np.inf, 1.0)         # a buyer in one place
        block(vf * n_slots + vs, n_firms * n_slots, -np.inf, 1.0)          # a firm in one place
        block(vs, n_slots, -np.inf, float(event.tables))                   # tables per slot
        block(vb, n_buyers, -np.inf, caps_b)                               # buyer caps
        block(vf, n_firms, -np.inf, caps_f)                                # firm caps
        # Minimum: sum x + short >= minimum, for owed firms only.
        firm_row = np.full(n_firms, -1)
        firm_row[owed] = np.arange(len(owed))
        on_owed = firm_row[vf] >= 0
        rows.append(offset + np.concatenate([firm_row[vf][on_owed], np.arange(len(owed))]))
        cols.append(np.concatenate([np.flatnonzero(on_owed), n_x + np.arange(len(owed))]))
        lower.append(minimum[owed])
        upper.append(np.full(len(owed), np.inf))
        offset += len(owed)
        rows_all, cols_all = np.concatenate(rows), np.concatenate(cols)
        self.A = sp.csr_matrix((np.ones(len(rows_all)), (rows_all, cols_all)), shape=(offset, n_x + len(owed)))
        self.lower, self.upper = np.concatenate(lower), np.concatenate(upper)
        keep = np.diff(self.A.indptr) > 0  # empty rows (nobody could use them) say nothing
        self.A, self.lower, self.upper = self.A[keep], self.lower[keep], self.upper[keep]
        self.integrality = np.concatenate([np.ones(n_x), np.zeros(len(owed))])
        low = np.zeros(n_x + len(owed))
        if fixed:
            var_of = {(int(p), int(s)): v for v, (p, s) in enumerate(zip(self.var_pair, self.var_slot, strict=True))}
            missing = [(p, s) for p, s in fixed.items() if (p, s) not in var_of]
            if missing:
                raise EventError(f"Cannot keep meetings {missing[:3]}: their pair is not available in their slot.")
            low[[var_of[(p, s)] for p, s in fixed.items()]] = 1.0
        self.var_bounds = Bounds(low, np.concatenate([np.ones(n_x), minimum[owed]]))

    def solve(self, time_limit: float, mip_rel_gap: float):
        if self.n_x + self.n_short == 0:
            return _Empty()
        return milp(self.c, integrality=self.integrality, bounds=self.var_bounds,
                    constraints=LinearConstraint(self.A, self.lower, self.upper),
                    options={"time_limit": float(time_limit), "mip_rel_gap": mip_rel_gap, "disp": False})

    def bound(self, result) -> float | None:
        dual = getattr(result, "mip_dual_bound", None)
        return None if dual is None or not np.isfinite(dual) else -float(dual)

    def meetings(self, x: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
        on = np.flatnonzero(x[: self.n_x] > 0.5)
        chosen = self.pairs.iloc[self.var_pair[on]].reset_index(drop=True)
        return chosen, self.var_slot[on]


class _Empty:
    """The result of a model without variables (no pair can meet)."""

    status, message, fun, mip_gap, mip_dual_bound = 0, "nothing to schedule", 0.0, 0.0, 0.0
    x = np.zeros(0)


def _compact(event: Event, chosen: pd.DataFrame, slot_index: np.ndarray, rounds: int = 3,
             movable: np.ndarray | None = None) -> np.ndarray:
    """Move single meetings to other slots where both sides are free when it shortens waits.

    The meetings, hence the value and the minimum, do not change; only idle gaps (available
    slots between two meetings of a participant on a day) go down. Meetings where ``movable``
    is False (kept from an earlier schedule) stay put.
    """
    slot_index = np.asarray(slot_index, dtype=int).copy()
    if len(slot_index) == 0:
        return slot_index
    n_slots = len(event.slots)
    available_b, available_f = _availability(event)
    b_index = {b.buyer_id: i for i, b in enumerate(event.buyers)}
    f_index = {f.firm_id: i for i, f in enumerate(event.firms)}
    mb = chosen["buyer_id"].map(b_index).to_numpy(dtype=int)
    mf = chosen["firm_id"].map(f_index).to_numpy(dtype=int)
    day_of = np.array([s.day for s in event.slots])
    busy_b = np.zeros(available_b.shape, dtype=bool)
    busy_f = np.zeros(available_f.shape, dtype=bool)
    busy_b[mb, slot_index] = True
    busy_f[mf, slot_index] = True
    used = np.bincount(slot_index, minlength=n_slots)

    def gaps(busy_row: np.ndarray, available_row: np.ndarray) -> int:
        total = 0
        for day in np.unique(day_of):
            on = np.flatnonzero(busy_row & (day_of == day))
            if len(on) > 1:
                inside = np.arange(on[0], on[-1] + 1)
                total += int((available_row[inside] & ~busy_row[inside]).sum())
        return total

    for _ in range(rounds):
        moved = False
        for m in range(len(slot_index)):
            if movable is not None and not movable[m]:
                continue
            b, f, s = mb[m], mf[m], slot_index[m]
            free = available_b[b] & available_f[f] & ~busy_b[b] & ~busy_f[f] & (used < event.tables)
            if not free.any():
                continue
            before = gaps(busy_b[b], available_b[b]) + gaps(busy_f[f], available_f[f])
            best, best_cost = s, before
            for t in np.flatnonzero(free):
                busy_b[b, s] = busy_f[f, s] = False
                busy_b[b, t] = busy_f[f, t] = True
                cost = gaps(busy_b[b], available_b[b]) + gaps(busy_f[f], available_f[f])
                busy_b[b, t] = busy_f[f, t] = False
                busy_b[b, s] = busy_f[f, s] = True
                if cost < best_cost:
                    best, best_cost = t, cost
            if best != s:
                busy_b[b, s] = busy_f[f, s] = False
                busy_b[b, best] = busy_f[f, best] = True
                used[s] -= 1
                used[best] += 1
                slot_index[m] = best
                moved = True
        if not moved:
            break
    return slot_index
