"""Meeting proposals from the matcher, in both directions.

A pair's score is its best score over the needs the buyer brings (:meth:`SupplierMatcher.rank`
for each need, over every firm of the event), so a firm that fits any of a buyer's needs is
proposed to that buyer and, read the other way, each firm's best buyers are known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from matching.events.event import Event, check_event
from matching.exceptions import EventError

__all__ = ["propose_meetings"]


def propose_meetings(event: Event, matcher, needs: pd.DataFrame, *, min_score: float = 0.0) -> pd.DataFrame:
    """Score every (buyer, firm) pair of ``event`` with a fitted matcher.

    Parameters
    ----------
    event : Event
    matcher : SupplierMatcher
        Fitted on a firms table holding every firm of the event.
    needs : pandas.DataFrame
        Needs with ``need_id`` and ``buyer_id`` (``features.columns.NEED_COLUMNS``). A buyer
        brings the needs its ``need_ids`` name, or else its open needs in this table.
    min_score : float, default 0.0
        Pairs scoring at most this are left out.

    Returns
    -------
    pandas.DataFrame
        ``buyer_id, firm_id, score, need_id`` (the need giving the best score), best first.
        Firms failing a need's hard constraints (a mandatory certificate) get no score for it.
    """
    check_event(event)
    check_is_fitted(matcher)
    for column in ("need_id", "buyer_id"):
        if column not in needs.columns:
            raise EventError(f"Needs lack column {column!r}; expected need_id and buyer_id (needs.csv).")
    fitted = set(map(str, matcher.firm_ids_))
    absent = [f.firm_id for f in event.firms if f.firm_id not in fitted]
    if absent:
        raise EventError(f"Event {event.event_id}: firms {absent[:5]} ({len(absent)} in all) are not in the "
                         "matcher's firms. Fit the matcher on a firms table holding every participant.")
    by_id = needs.assign(need_id=needs["need_id"].astype(str), buyer_id=needs["buyer_id"].astype(str))
    chosen = []
    for buyer in event.buyers:
        if buyer.need_ids:
            unknown = sorted(set(buyer.need_ids) - set(by_id["need_id"]))
            if unknown:
                raise EventError(f"Event {event.event_id}: buyer {buyer.buyer_id} brings needs {unknown} "
                                 "that the needs table lacks. Fix the need IDs or import the needs.")
            own = by_id[by_id["need_id"].isin(buyer.need_ids)]
        else:
            own = by_id[by_id["buyer_id"] == buyer.buyer_id]
            if "status" in own.columns:
                own = own[own["status"].fillna("open").astype(str).str.lower() != "closed"]
        chosen.append(own.assign(_event_buyer=buyer.buyer_id))
    columns = ["buyer_id", "firm_id", "score", "need_id"]
    brought = pd.concat(chosen, ignore_index=True) if chosen else pd.DataFrame()
    if brought.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "score" else object) for c in columns})
    ranked = matcher.rank(brought.drop(columns="_event_buyer"), k=int(matcher.n_firms_fit_))
    owner = dict(zip(brought["need_id"], brought["_event_buyer"], strict=False))
    ranked = ranked.assign(buyer_id=ranked["need_id"].map(owner), firm_id=ranked["firm_id"].astype(str))
    ranked = ranked[ranked["firm_id"].isin({f.firm_id for f in event.firms}) & (ranked["score"] > min_score)]
    best = ranked.sort_values(["score", "need_id"], ascending=[False, True]).drop_duplicates(["buyer_id", "firm_id"])
    best = best[columns].reset_index(drop=True)
    best["score"] = best["score"].astype(float).clip(0.0, np.inf)
    return best
