"""How an event's meetings spread over its local firms: the exposure part of the event report.

The same Gini coefficient as the matcher's evaluation (:func:`matching.evaluation.exposure_gini`),
here over meetings per registered firm, firms without a meeting counted as 0.
"""

from __future__ import annotations

import pandas as pd

from matching.evaluation import exposure_gini
from matching.events.event import Event
from matching.exceptions import EventError

__all__ = ["firm_exposure"]


def firm_exposure(event: Event, meetings: pd.DataFrame) -> dict:
    """Share of the event's registered firms with at least one meeting, and the Gini of meetings.

    Parameters
    ----------
    event : Event
    meetings : pandas.DataFrame
        At least ``buyer_id, firm_id``, one row per meeting (scheduled or held).

    Returns
    -------
    dict
        ``registered_firms``, ``firms_with_meeting`` (registered firms with at least one),
        ``share_with_meeting`` (0..1; 0 for an event without registered firms) and ``gini``
        (0..1: 0 when every registered firm has as many meetings as the others, near 1 when a
        few firms take them all; 0 when there is no meeting).

    Examples
    --------
    >>> from matching.events import Event, EventBuyer, EventFirm, make_slots
    >>> event = Event("E1", tuple(make_slots("2026-03-12", "09:00", "10:00", 20)), 2,
    ...               (EventBuyer("B1"),), (EventFirm("F1"), EventFirm("F2")))
    >>> firm_exposure(event, pd.DataFrame({"buyer_id": ["B1"], "firm_id": ["F1"]}))
    {'registered_firms': 2, 'firms_with_meeting': 1, 'share_with_meeting': 0.5, 'gini': 0.5}

    F1 meeting two buyers and F2 one: meetings (2, 1), Gini 1/6.

    >>> firm_exposure(event, pd.DataFrame({"buyer_id": ["B1", "B2", "B1"], "firm_id": ["F1", "F1", "F2"]}))["gini"]
    0.166667
    """
    missing = [c for c in ("buyer_id", "firm_id") if c not in meetings.columns]
    if missing:
        raise EventError(f"Meetings lack columns {missing}; expected buyer_id and firm_id, one row per meeting.")
    registered = [f.firm_id for f in event.firms if f.registered]
    met = set(meetings["firm_id"].astype(str)) & set(registered)
    gini = 0.0
    if registered and len(meetings):
        # Each buyer's meetings as its "list": a pair meets once per event, so a firm appears
        # in as many lists as it has meetings (exposure_gini counts a firm once per list).
        per_buyer = meetings.assign(score=1.0)
        longest = int(per_buyer["buyer_id"].value_counts().max())
        gini = exposure_gini(per_buyer, firm_ids=registered, k=longest, col_need="buyer_id")
    return {
        "registered_firms": len(registered),
        "firms_with_meeting": len(met),
        "share_with_meeting": round(len(met) / len(registered), 6) if registered else 0.0,
        "gini": round(max(gini, 0.0), 6),
    }
