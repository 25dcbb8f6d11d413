"""How much a re-ranker could learn from the demo outcomes: rankings from the hidden truth.

Not a test and never read by the product: it reads the demo generator's hidden state (as
``data/demo/truth/`` holds it) to measure the ceiling of ``cnht train`` on the demo data.
For every test need of ``cnht train``'s split (default: the last 25 % of pairs), each firm's
expected relevance is simulated from the true hidden parameters (the pair's noise, the
stage probabilities of :mod:`features.demo.market`, the dates censored at the reference
day; the cap of two orders per need is left out), times the chance that the pair is
suggested at all (the generator's draw of 8 plausible and 4 random firms). Rankings:

- ``oracle_full``: every firm by that expectation;
- ``oracle_no_hidden``: the same with every buyer at 25 km and home weight 0.3 and every
  firm's responsiveness 0 (only what the firm's true capabilities say);
- ``..._rerank_top50``: the matcher's top 50 re-ordered by each: the ceiling of a re-ranker
  of the matcher's candidates, with and without the behaviours the matcher cannot see.

When the two re-ranking ceilings are about equal, the outcomes hold nothing beyond the
matcher's signals for a model to learn (README, "Learning from outcomes").

Usage::

    .venv/bin/python benchmarks/bench_rerank_oracle.py [--draws 200] [--earlier-weights]
    .venv/bin/python benchmarks/bench_rerank_oracle.py --seed 7 --data FOLDER  # after cnht demo --generate --seed 7 --out FOLDER
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from features.demo import DEFAULT_SEED, market
from features.demo import generator as demo_firms
from features.demo.generator import REFERENCE_DATE
from matching.evaluation import ndcg_at_k, temporal_split
from matching.matcher import SupplierMatcher

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
_GAINS = {"contacted": 0, "meeting": 1, "sample": 2, "audit": 3, "order": 4}


def _draw(seed: int):
    """The generator's draws in the order of :func:`features.demo.generate`, kept as objects."""
    rng = np.random.default_rng(seed)
    firms = demo_firms.draw_firms(rng)
    demo_firms.duplicate_rows(rng, firms)
    buyers = market.draw_buyers(rng)
    needs = market.draw_needs(rng, buyers)
    events, _, tastes, responsiveness = market.draw_outcomes(rng, needs, buyers, firms)
    return firms, buyers, needs, pd.DataFrame(events), tastes, responsiveness


def _expected_relevance(need, buyer, firms, taste, responsiveness, sim, draws):
    facts = [market.pair_facts(need, buyer, firm, taste) for firm in firms]
    base = np.array([market._affinity(f, 0.0) for f in facts])
    mandatory_ok = np.array([f["mandatory_ok"] for f in facts], dtype=bool)
    n = len(firms)
    score = base[None, :] + sim.normal(0, 0.3, size=(draws, n))
    horizon = (REFERENCE_DATE - date.fromisoformat(str(need["created"]))).days
    days = sim.integers(0, 8, size=(draws, n)).astype(float) + 0.5
    alive = np.ones((draws, n), dtype=bool)
    stage = np.zeros((draws, n))
    rejected = np.zeros((draws, n), dtype=bool)
    for step in ("contacted", "meeting", "sample", "audit", "order"):
        low, high = market._GAP_DAYS[step]
        days = days + sim.integers(low, high + 1, size=(draws, n)) + 0.1
        going = alive & (days <= horizon)
        eager = market.RESPONSIVENESS_WEIGHT * responsiveness[None, :] * (step in market._RESPONSIVE_STEPS)
        p = 1 / (1 + np.exp(-3 * (score - market.STEP_THRESHOLDS[step]) - eager))
        if step == "order":
            p = np.where(mandatory_ok[None, :], p, 0.03 * p)
        passed = sim.random((draws, n)) < p
        rejected |= going & ~passed
        stage = np.where(going & passed, _GAINS[step], stage)
        alive = going & passed
    return np.where(rejected, 0.0, stage).mean(axis=0)


def _suggestion_chance(need, firms, sim, draws):
    wanted = market._codes(need["processes"])
    base = np.array([market._coverage(wanted, f.processes) + 0.3 * (str(need["sector"]) in f.sectors) for f in firms])
    chance = np.zeros(len(firms))
    for _ in range(draws):
        plausible = base + sim.normal(0, 0.1, size=len(firms))
        top = np.argsort(-plausible, kind="stable")[:40]
        weights = np.exp(3 * plausible[top])
        chosen = top[sim.choice(len(top), size=market.PLAUSIBLE_PER_NEED, replace=False, p=weights / weights.sum())]
        rest = np.ones(len(firms), dtype=bool)
        rest[chosen] = False
        chance[chosen] += 1
        chance[rest] += (market.SUGGESTIONS_PER_NEED - market.PLAUSIBLE_PER_NEED) / rest.sum()
    return chance / draws


def _unseen_top(pred: pd.DataFrame, seen: pd.DataFrame, k: int) -> pd.DataFrame:
    """As the protocol: pairs shortlisted in training are not discoveries."""
    key = pd.MultiIndex.from_frame(seen[["need_id", "firm_id"]])
    pred = pred[~pd.MultiIndex.from_frame(pred[["need_id", "firm_id"]].astype(str)).isin(key)]
    pred = pred.sort_values(["need_id", "score"], ascending=[True, False], kind="mergesort")
    pred = pred.assign(rank=pred.groupby("need_id").cumcount() + 1)
    return pred[pred["rank"] <= k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--draws", type=int, default=200, help="simulated draws per need")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--data", type=Path, default=None,
                        help="folder of `cnht demo --generate --seed SEED --out FOLDER` (default data/demo, seed 2025 only)")
    parser.add_argument("--earlier-weights", action="store_true",
                        help="the market's weights before 2026-11-30 (responsiveness 1.5, distance 0.8, home 0.6 + 0.6)")
    args = parser.parse_args()
    if args.earlier_weights:
        market.RESPONSIVENESS_WEIGHT, market.DISTANCE_WEIGHT = 1.5, 0.8
        market.HOME_COUNTRY_WEIGHT = market.HOME_LANGUAGE_WEIGHT = 0.6
    if args.data is None and args.seed != DEFAULT_SEED:
        raise SystemExit(f"--seed {args.seed}: give --data with that seed's tables (the matcher ranks their firms).")
    folder = DEMO if args.data is None else args.data
    firms, buyers, needs, outcomes, tastes, responsiveness = _draw(args.seed)
    read = {name: pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False).replace({"": None})
            for name in ("firms", "buyers", "needs")}  # fmt: skip
    if not args.earlier_weights:
        committed = pd.read_csv(folder / "outcomes.csv", dtype=str, keep_default_na=False)
        if len(committed) != len(outcomes) or (committed["firm_id"].to_numpy() != outcomes["firm_id"].to_numpy()).any():
            raise SystemExit(f"{folder}/outcomes.csv is not the generator's output for seed {args.seed}: "
                             "run `cnht demo --generate` (with --seed and --out).")
    split = temporal_split(outcomes)
    test_ids = sorted(split.test_truth["need_id"].unique())
    by_buyer = {str(b["buyer_id"]): b for b in buyers}
    need_of = {str(n["need_id"]): n for n in needs}
    firm_ids = np.array([f.firm_id for f in firms])
    true_eager = np.array([responsiveness[f.firm_id] for f in firms])
    sim = np.random.default_rng(1)
    scores: dict[str, list[pd.DataFrame]] = {"oracle_full": [], "oracle_no_hidden": []}
    for need_id in test_ids:
        need = need_of[need_id]
        buyer = by_buyer[str(need["buyer_id"])]
        chance = _suggestion_chance(need, firms, sim, args.draws)
        full = _expected_relevance(need, buyer, firms, tastes[str(buyer["buyer_id"])], true_eager, sim, args.draws)
        plain = _expected_relevance(need, buyer, firms, market.BuyerTaste(25.0, 0.3), np.zeros(len(firms)), sim,
                                    args.draws)  # fmt: skip
        for name, value in (("oracle_full", chance * full), ("oracle_no_hidden", chance * plain)):
            scores[name].append(pd.DataFrame({"need_id": need_id, "firm_id": firm_ids, "score": value}))
    matcher = SupplierMatcher().fit(read["firms"], buyers=read["buyers"])
    ranked = matcher.rank(read["needs"][read["needs"]["need_id"].isin(test_ids)], k=60)
    results = {"matcher": _unseen_top(ranked, split.seen, args.k)}
    top50 = ranked[ranked["rank"] <= 50]
    key = pd.MultiIndex.from_frame(top50[["need_id", "firm_id"]].astype(str))
    for name, parts in scores.items():
        table = pd.concat(parts)
        results[name] = _unseen_top(table, split.seen, args.k)
        value = table.set_index(["need_id", "firm_id"])["score"].reindex(key).to_numpy()
        results[f"{name}_rerank_top50"] = _unseen_top(top50.assign(score=value), split.seen, args.k)
    print(f"seed {args.seed}, split {split.split_date.date()}, {len(test_ids)} test needs, "
          f"{split.cold_start_truth()['need_id'].nunique()} with cold-start firms")
    for name, pred in results.items():
        print(f"{name:32s} NDCG@{args.k} all {ndcg_at_k(split.test_truth, pred, k=args.k):.3f}  "
              f"cold-start {ndcg_at_k(split.cold_start_truth(), pred, k=args.k):.3f}")


if __name__ == "__main__":
    main()
