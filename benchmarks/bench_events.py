"""Scheduling a business-matching event: the MILP against first come, first served.

``python benchmarks/bench_events.py --json`` builds two events from the demo data with a fixed
seed (:func:`demo_event`) and prints, for each, the optimised schedule's objective, the
solver's bound and gap, its seconds and the firms below the minimum, next to the first-come-
first-served baselines (total value, firms with a meeting): the participants' requests alone in
the order they came (what matchmaking platforms do), and those requests followed by the matcher's
other proposals, best value first (a greedy baseline already using this product's scores):

* 20 buyers x 100 firms, 12 slots, 15 tables;
* 60 buyers x 300 firms, 16 slots, 40 tables.

The demo data has 38 buyers with needs: beyond that, a buyer sends a second procurement team
bringing half of its needs (``B007-2``). Firms are drawn from ``data/demo/firms.csv``; every
firm is registered (owed ``--min-meetings``) except one in ten, invited; one participant in ten
is away for a few consecutive slots; each firm takes at most 4 meetings; each buyer requests 3
firms among its 15 best, one firm in ten requests one of its 5 best buyers, and one buyer in
ten refuses one of its proposals. Fitting the matcher and proposing are timed apart.
``--write-demo data/demo/event_demo.json`` writes the small event as the demo event file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matching.events import (  # noqa: E402
    Event,
    candidate_meetings,
    first_come_first_served,
    make_slots,
    propose_meetings,
    schedule_meetings,
)
from matching.matcher import SupplierMatcher  # noqa: E402

DEMO = ROOT / "data" / "demo"
SIZES = {"small": (20, 100, 12, 15), "fair": (60, 300, 16, 40)}


def read_demo() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Firms, buyers and needs of the demo data, as the ingestion reads them."""
    from features.ingest import read_buyers, read_firms, read_needs

    return (read_firms(DEMO / "firms.csv").data.reset_index(drop=True),
            read_buyers(DEMO / "buyers.csv").data.reset_index(drop=True),
            read_needs(DEMO / "needs.csv").data.reset_index(drop=True))


def event_layout(n_buyers: int, n_firms: int, n_slots: int, tables: int, needs: pd.DataFrame,
                 firms: pd.DataFrame, seed: int) -> dict:
    """The event description (file format of ``matching.events.read_event``) without requests."""
    rng = np.random.default_rng(seed)
    by_buyer = {b: list(g["need_id"]) for b, g in needs.groupby("buyer_id", sort=True)}
    order = sorted(by_buyer, key=lambda b: (-len(by_buyer[b]), b))
    teams: list[tuple[str, list[str]]] = []
    chosen = sorted(rng.choice(order, size=min(n_buyers, len(order)), replace=False))
    teams += [(b, by_buyer[b]) for b in chosen]
    for b in order:  # second teams, from the buyers with most needs
        if len(teams) >= n_buyers:
            break
        if len(by_buyer[b]) > 1:
            first = [t for t in teams if t[0] == b]
            needs_b = by_buyer[b]
            if first:
                teams[teams.index(first[0])] = (b, needs_b[0::2])
            teams.append((f"{b}-2", needs_b[1::2]))
    slot_ids = [s.slot_id for s in _slots(n_slots)]

    def away() -> list[str]:
        if rng.random() >= 0.1:
            return []
        start, length = int(rng.integers(0, n_slots)), int(rng.integers(2, 5))
        return slot_ids[start:start + length]

    firm_ids = sorted(rng.choice(firms["firm_id"].astype(str).to_numpy(), size=n_firms, replace=False))
    return {
        "event_id": f"EV-{n_buyers}x{n_firms}", "name": f"[DEMO] Kết nối giao thương CNHT Hà Nội ({n_buyers} x {n_firms})",
        "tables": tables, "min_meetings": 1,
        "slots": [s.__dict__ for s in _slots(n_slots)],
        "buyers": [{"buyer_id": b, "needs": list(n), "unavailable": away()} for b, n in teams],
        "firms": [{"firm_id": f, "registered": bool(rng.random() >= 0.1), "max_meetings": 4,
                   "unavailable": away()} for f in firm_ids],
        "requests": [], "refusals": [],
    }


def _slots(n: int):
    slots = make_slots("2026-03-12", "08:30", "17:30", 25, [("10:10", "10:30"), ("12:00", "13:30")], prefix="D1")
    if n > len(slots):
        slots += make_slots("2026-03-13", "08:30", "17:30", 25, [("10:10", "10:30"), ("12:00", "13:30")], prefix="D2")
    return slots[:n]


def add_requests(layout: dict, proposals: pd.DataFrame, seed: int) -> dict:
    """Requests (in a shuffled arrival order) and refusals drawn from the proposals."""
    rng = np.random.default_rng(seed + 1)
    requests, refusals = [], []
    for buyer in layout["buyers"]:
        best = proposals[proposals["buyer_id"] == buyer["buyer_id"]]["firm_id"].head(15).tolist()
        for firm in rng.choice(best, size=min(3, len(best)), replace=False) if best else []:
            requests.append({"buyer_id": buyer["buyer_id"], "firm_id": str(firm), "by": "buyer"})
        if best and rng.random() < 0.1:
            refused = str(rng.choice(best))
            if all(r["firm_id"] != refused or r["buyer_id"] != buyer["buyer_id"] for r in requests):
                refusals.append([buyer["buyer_id"], refused])
    refused = {tuple(r) for r in refusals}
    for firm in layout["firms"]:
        best = proposals[proposals["firm_id"] == firm["firm_id"]]["buyer_id"].head(5).tolist()
        best = [b for b in best if (b, firm["firm_id"]) not in refused]
        if best and rng.random() < 0.1:
            requests.append({"buyer_id": str(rng.choice(best)), "firm_id": firm["firm_id"], "by": "firm"})
    order = rng.permutation(len(requests))
    return {**layout, "requests": [requests[i] for i in order], "refusals": refusals}


def build(size: tuple[int, int, int, int], seed: int, firms, buyers, needs) -> tuple[Event, pd.DataFrame, float, dict]:
    """The event, its proposals, the seconds spent fitting and proposing, and its description."""
    from matching.events import event_from_dict

    n_buyers, n_firms, n_slots, tables = size
    layout = event_layout(n_buyers, n_firms, n_slots, tables, needs, firms, seed)
    started = time.perf_counter()
    event_firms = firms[firms["firm_id"].astype(str).isin({f["firm_id"] for f in layout["firms"]})]
    matcher = SupplierMatcher(geocode=False).fit(event_firms, buyers=buyers)
    proposals = propose_meetings(event_from_dict(layout), matcher, needs)
    seconds = time.perf_counter() - started
    layout = add_requests(layout, proposals, seed)
    return event_from_dict(layout), proposals, seconds, layout


def run(name: str, size, seed: int, time_limit: float, data) -> dict:
    event, proposals, propose_seconds, _ = build(size, seed, *data)
    optimised = schedule_meetings(event, proposals, time_limit=time_limit)
    fcfs = first_come_first_served(event, proposals)
    # What matchmaking platforms do (issue 13): the participants' own requests, in the order
    # they came, squeezed into slots; nothing else. (``fcfs`` above goes on with the matcher's
    # proposals, best value first: a greedy baseline that already uses this product's scores.)
    pairs = candidate_meetings(event, proposals)
    requests_only = first_come_first_served(event, pairs[pairs["requested_by"] != ""])
    value_only = schedule_meetings(Event(**{**event.__dict__, "min_meetings": 0}), proposals, time_limit=time_limit)
    n_buyers, n_firms, n_slots, tables = size
    return {
        "size": name, "buyers": n_buyers, "firms": n_firms, "slots": n_slots, "tables": tables,
        "proposals": int(len(proposals)), "requests": len(event.requests), "refusals": len(event.refusals),
        "registered_firms": sum(f.registered for f in event.firms),
        "fit_and_propose_seconds": round(propose_seconds, 3),
        "milp": {**optimised.summary(), "below_minimum_reasons":
                 optimised.firms_below_minimum["reason"].str.split(":").str[0].value_counts().to_dict()},
        "fcfs": fcfs.summary(),
        "fcfs_requests_only": requests_only.summary(),
        # The same model with min_meetings=0 (value alone): what the minimum costs in value.
        "milp_without_minimum": {**value_only.summary(), "firms_below_minimum": None},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=["small", "fair"])
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--write-demo", type=Path, help="write a 12 x 60 demo event file there and stop")
    args = parser.parse_args()
    data = read_demo()
    if args.write_demo:
        _, _, _, layout = build((12, 60, 12, 10), args.seed, *data)
        layout["name"] = "[DEMO] Ngày kết nối giao thương CNHT Hà Nội / Supporting-industry matching day"
        layout["event_id"] = "EV-DEMO"
        slots = layout.pop("slots")  # the same 12 slots, written as the day's hours and breaks
        layout = {**layout, "days": [{"date": "2026-03-12", "start": "08:30", "end": "15:35", "slot_minutes": 25,
                                      "breaks": [["10:10", "10:30"], ["12:00", "13:30"]]}],
                  "venue": "[DEMO] Hội trường kết nối giao thương / Matching hall, Hà Nội"}
        from matching.events import event_from_dict

        assert [s.__dict__ for s in event_from_dict(layout).slots] == slots
        args.write_demo.write_text(json.dumps(layout, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return
    load = os.getloadavg()[0]
    results = [run(name, SIZES[name], args.seed, args.time_limit, data) for name in args.sizes]
    report = {"seed": args.seed, "time_limit": args.time_limit, "cpus": os.cpu_count(),
              "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2), "results": results}
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    for r in results:
        m, f = r["milp"], r["fcfs"]
        print(f"{r['size']}: {r['buyers']} buyers x {r['firms']} firms, {r['slots']} slots x {r['tables']} tables")
        print(f"  milp  value {m['value']:.2f}  bound {m['bound']}  gap {m['gap']}  {m['seconds']} s  "
              f"firms with a meeting {m['firms_with_meeting']}  below minimum {m['firms_below_minimum']}")
        print(f"  fcfs  value {f['value']:.2f}  firms with a meeting {f['firms_with_meeting']}  "
              f"below minimum {f['firms_below_minimum']}  (requests, then the matcher's proposals by value)")
        q = r["fcfs_requests_only"]
        print(f"  fcfs  value {q['value']:.2f}  firms with a meeting {q['firms_with_meeting']}  "
              f"below minimum {q['firms_below_minimum']}  (the participants' requests only)")


if __name__ == "__main__":
    main()
