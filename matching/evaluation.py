"""Ranking metrics over long tables, and a leakage-safe protocol on recorded outcomes.

Every metric is a plain function over two long DataFrames, in the manner of the
recommenders project's ``python_evaluation`` module:

- ``truth``: one row per relevant (need, firm) pair, with an optional graded relevance
  column (``relevance``, > 0);
- ``pred``: one row per ranked (need, firm) pair with a ``score`` (higher is better) or a
  ``rank`` (1 is best).

Metrics are averaged over the needs that have at least one relevant firm in ``truth``
(a need with no relevant firm cannot be evaluated); a need missing from ``pred`` counts
as an empty list (0). All metrics lie in [0, 1] except where said.

Examples
--------
>>> import pandas as pd
>>> truth = pd.DataFrame({"need_id": ["N1", "N1"], "firm_id": ["F1", "F3"]})
>>> pred = pd.DataFrame({"need_id": ["N1"] * 3, "firm_id": ["F1", "F2", "F3"],
...                      "score": [0.9, 0.8, 0.7]})
>>> precision_at_k(truth, pred, k=2)
0.5
>>> recall_at_k(truth, pred, k=3)
1.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.dates import DATE_FORMATS, read_date
from features.exceptions import CnhtError

__all__ = [
    "EvaluationError",
    "precision_at_k",
    "recall_at_k",
    "ndcg_at_k",
    "map_at_k",
    "mrr",
    "catalogue_coverage",
    "exposure_gini",
    "ranking_metrics",
    "STAGE_GAIN",
    "relevance_from_outcomes",
    "TemporalSplit",
    "temporal_split",
]


class EvaluationError(CnhtError):
    """Inputs of an evaluation function are missing a column or out of range."""


def _require(df: pd.DataFrame, columns: list[str], name: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise EvaluationError(
            f"{name} is missing column(s) {missing}; it has {list(df.columns)}. "
            f"Pass col_need=/col_firm=/col_score= to name yours."
        )


def _check_k(k: int) -> None:
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise EvaluationError(f"Expected k >= 1 (an integer), got k={k!r}.")


def _top_k(
    pred: pd.DataFrame, k: int, col_need: str, col_firm: str, col_score: str
) -> pd.DataFrame:
    """The first ``k`` firms of each need, with their 1-based position ``_pos``."""
    if col_score in pred.columns:
        ordered = pred.sort_values([col_need, col_score], ascending=[True, False], kind="mergesort")
    elif "rank" in pred.columns:
        ordered = pred.sort_values([col_need, "rank"], kind="mergesort")
    else:
        raise EvaluationError(
            f"pred needs a '{col_score}' column (higher is better) or a 'rank' column "
            f"(1 is best); it has {list(pred.columns)}."
        )
    ordered = ordered.drop_duplicates([col_need, col_firm], keep="first")
    ordered = ordered.assign(_pos=ordered.groupby(col_need).cumcount() + 1)
    return ordered[ordered["_pos"] <= k]


def _joined(truth, pred, k, col_need, col_firm, col_score, col_relevance):
    _check_k(k)
    _require(truth, [col_need, col_firm], "truth")
    _require(pred, [col_need, col_firm], "pred")
    truth = truth.drop_duplicates([col_need, col_firm])
    rel = (
        truth[col_relevance].astype(float)
        if col_relevance and col_relevance in truth.columns
        else pd.Series(1.0, index=truth.index)
    )
    truth = truth[[col_need, col_firm]].assign(_rel=rel.to_numpy())
    truth = truth[truth["_rel"] > 0]
    top = _top_k(pred, k, col_need, col_firm, col_score)
    top = top[top[col_need].isin(truth[col_need])]
    hits = top.merge(truth, on=[col_need, col_firm], how="left")
    hits["_rel"] = hits["_rel"].fillna(0.0)
    needs = pd.Index(truth[col_need].unique(), name=col_need)
    return truth, hits, needs


def precision_at_k(truth, pred, k=10, col_need="need_id", col_firm="firm_id", col_score="score"):
    """Mean over needs of (relevant firms in the top ``k``) / ``k``. Range 0..1."""
    truth, hits, needs = _joined(truth, pred, k, col_need, col_firm, col_score, None)
    per_need = (hits["_rel"] > 0).groupby(hits[col_need]).sum().reindex(needs, fill_value=0)
    return float((per_need / k).mean()) if len(needs) else 0.0


def recall_at_k(truth, pred, k=10, col_need="need_id", col_firm="firm_id", col_score="score"):
    """Mean over needs of (relevant firms in the top ``k``) / (relevant firms). Range 0..1."""
    truth, hits, needs = _joined(truth, pred, k, col_need, col_firm, col_score, None)
    found = (hits["_rel"] > 0).groupby(hits[col_need]).sum().reindex(needs, fill_value=0)
    total = truth.groupby(col_need).size().reindex(needs)
    return float((found / total).mean()) if len(needs) else 0.0


def ndcg_at_k(
    truth,
    pred,
    k=10,
    col_need="need_id",
    col_firm="firm_id",
    col_score="score",
    col_relevance="relevance",
):
    """Normalised discounted cumulative gain at ``k``, mean over needs. Range 0..1.

    Gain is the graded relevance (``col_relevance`` in ``truth``, 1 when absent), the
    discount ``1 / log2(position + 1)``: the definition of scikit-learn's ``ndcg_score``.
    """
    truth, hits, needs = _joined(truth, pred, k, col_need, col_firm, col_score, col_relevance)
    dcg = (hits["_rel"] / np.log2(hits["_pos"] + 1)).groupby(hits[col_need]).sum()
    dcg = dcg.reindex(needs, fill_value=0.0)
    ideal_rel = truth.sort_values([col_need, "_rel"], ascending=[True, False])
    ideal_rel = ideal_rel.assign(_pos=ideal_rel.groupby(col_need).cumcount() + 1)
    ideal_rel = ideal_rel[ideal_rel["_pos"] <= k]
    idcg = (ideal_rel["_rel"] / np.log2(ideal_rel["_pos"] + 1)).groupby(ideal_rel[col_need]).sum()
    idcg = idcg.reindex(needs)
    return float((dcg / idcg).mean()) if len(needs) else 0.0


def map_at_k(truth, pred, k=10, col_need="need_id", col_firm="firm_id", col_score="score"):
    """Mean average precision at ``k``: per need, the mean of precision@i over the
    positions i of relevant firms in the top ``k``, divided by min(relevant, k). Range 0..1."""
    truth, hits, needs = _joined(truth, pred, k, col_need, col_firm, col_score, None)
    hits = hits.sort_values([col_need, "_pos"])
    is_hit = (hits["_rel"] > 0).astype(float)
    cum_hits = is_hit.groupby(hits[col_need]).cumsum()
    ap_sum = (is_hit * cum_hits / hits["_pos"]).groupby(hits[col_need]).sum()
    ap_sum = ap_sum.reindex(needs, fill_value=0.0)
    denom = truth.groupby(col_need).size().reindex(needs).clip(upper=k)
    return float((ap_sum / denom).mean()) if len(needs) else 0.0


def mrr(truth, pred, k=10, col_need="need_id", col_firm="firm_id", col_score="score"):
    """Mean reciprocal rank of the first relevant firm in the top ``k`` (0 if none). Range 0..1."""
    truth, hits, needs = _joined(truth, pred, k, col_need, col_firm, col_score, None)
    first = hits[hits["_rel"] > 0].groupby(col_need)["_pos"].min()
    return float((1.0 / first).reindex(needs, fill_value=0.0).mean()) if len(needs) else 0.0


def catalogue_coverage(pred, n_firms, k=10, col_need="need_id", col_firm="firm_id", col_score="score"):
    """Share of the ``n_firms`` catalogue that appears in at least one top-``k`` list. Range 0..1."""
    _check_k(k)
    if n_firms < 1:
        raise EvaluationError(f"Expected n_firms >= 1, got n_firms={n_firms}.")
    _require(pred, [col_need, col_firm], "pred")
    top = _top_k(pred, k, col_need, col_firm, col_score)
    return float(top[col_firm].nunique() / n_firms)


def exposure_gini(pred, firm_ids=None, k=10, col_need="need_id", col_firm="firm_id", col_score="score"):
    """Gini coefficient of how often each firm appears in the top-``k`` lists.

    0 means every firm of ``firm_ids`` (default: the firms present in ``pred``) is shown
    equally often; values near 1 mean a few firms take every shortlist.
    """
    _check_k(k)
    _require(pred, [col_need, col_firm], "pred")
    top = _top_k(pred, k, col_need, col_firm, col_score)
    counts = top[col_firm].value_counts()
    universe = pd.Index(firm_ids) if firm_ids is not None else pd.Index(pred[col_firm].unique())
    x = np.sort(counts.reindex(universe, fill_value=0).to_numpy(dtype=float))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    # Gini from the Lorenz curve of sorted exposures.
    cum = np.cumsum(x)
    return float((n + 1 - 2 * (cum / cum[-1]).sum()) / n)


def ranking_metrics(
    truth: pd.DataFrame,
    pred: pd.DataFrame,
    k: int = 10,
    n_firms: int | None = None,
    col_relevance: str = "relevance",
    firm_ids=None,
) -> dict[str, float]:
    """Every metric at once, keyed ``precision@k``, ``recall@k``, ``ndcg@k``, ``map@k``,
    ``mrr``, ``coverage@k`` (when ``n_firms`` or ``firm_ids`` is given) and
    ``exposure_gini@k`` (over ``firm_ids`` when given: firms never shown count as 0)."""
    if firm_ids is not None and n_firms is None:
        n_firms = len(firm_ids)
    out = {
        f"precision@{k}": precision_at_k(truth, pred, k),
        f"recall@{k}": recall_at_k(truth, pred, k),
        f"ndcg@{k}": ndcg_at_k(truth, pred, k, col_relevance=col_relevance),
        f"map@{k}": map_at_k(truth, pred, k),
        "mrr": mrr(truth, pred, k),
    }
    if n_firms:
        out[f"coverage@{k}"] = catalogue_coverage(pred, n_firms, k)
    out[f"exposure_gini@{k}"] = exposure_gini(pred, firm_ids=firm_ids, k=k)
    return out


# Graded relevance of a pair by the furthest stage it reached. A meeting is the first
# sign that a buyer found the firm credible (the plan's "connected" KPI), so it is the
# first relevant stage; an order is worth most. A pair that ended *rejected* is a failed
# match whatever stage it reached first (a firm without the mandatory certificate may
# well get a meeting, then fail the audit), so its relevance is 0.
STAGE_GAIN: Mapping[str, float] = {
    "suggested": 0.0,
    "contacted": 0.0,
    "rejected": 0.0,
    "meeting": 1.0,
    "sample": 2.0,
    "audit": 3.0,
    "order": 4.0,
}
_STAGE_ORDER = {s: i for i, s in enumerate(["suggested", "contacted", "meeting", "sample", "audit", "order"])}


def relevance_from_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """One row per (need, firm) pair: ``furthest`` stage reached (``rejected`` pairs keep
    the furthest stage before rejection in ``furthest`` and get ``rejected=True``),
    ``first_at`` (when it was first suggested), ``last_at`` and ``relevance``
    (:data:`STAGE_GAIN` of the furthest stage; 0 for any rejected pair)."""
    _require(outcomes, ["need_id", "firm_id", "status", "at"], "outcomes")
    events = outcomes.assign(at=pd.to_datetime(outcomes["at"]))
    events = events.assign(_stage=events["status"].map(_STAGE_ORDER))
    grouped = events.groupby(["need_id", "firm_id"], sort=True)
    pairs = grouped.agg(first_at=("at", "min"), last_at=("at", "max"), _stage=("_stage", "max"))
    pairs["rejected"] = grouped["status"].agg(lambda s: bool((s == "rejected").any()))
    stages = list(_STAGE_ORDER)
    pairs["furthest"] = [stages[int(i)] if i == i else "suggested" for i in pairs["_stage"]]
    pairs["relevance"] = pairs["furthest"].map(STAGE_GAIN).astype(float).where(~pairs["rejected"], 0.0)
    return pairs.drop(columns="_stage").reset_index()


@dataclass(frozen=True)
class TemporalSplit:
    """Outcomes cut at ``split_date``: pairs first suggested before it train, the rest test.

    ``test_truth`` holds the relevant test pairs *minus* any pair already suggested for the
    same need in training (those are known, not discoveries); ``seen`` lists the training
    pairs, which are removed from predictions before scoring; ``cold_firms`` are firms with
    no outcome at all in training.
    """

    split_date: pd.Timestamp
    train_outcomes: pd.DataFrame
    train_pairs: pd.DataFrame
    test_pairs: pd.DataFrame
    test_truth: pd.DataFrame
    seen: pd.DataFrame
    cold_firms: frozenset[str]

    def cold_start_truth(self) -> pd.DataFrame:
        """Test truth restricted to firms with no history in training."""
        return self.test_truth[self.test_truth["firm_id"].isin(self.cold_firms)]


def temporal_split(outcomes: pd.DataFrame, split_date=None, test_share: float = 0.25) -> TemporalSplit:
    """Split recorded outcomes in time, with no leakage from the future.

    Parameters
    ----------
    outcomes : DataFrame
        The outcome event log (``need_id, firm_id, status, at``).
    split_date : date-like, optional
        Pairs first suggested before it are training data. Default: the date that leaves
        ``test_share`` of the pairs for testing.
    test_share : float, default 0.25
        Used only when ``split_date`` is None.

    Returns
    -------
    TemporalSplit
        Only events before ``split_date`` are kept in ``train_outcomes`` (a pair suggested
        before the date but ordered after it is, in training, known only up to the date).
    """
    if not 0 < test_share < 1:
        raise EvaluationError(f"Expected 0 < test_share < 1, got test_share={test_share}.")
    pairs = relevance_from_outcomes(outcomes)
    if split_date is None:
        split = pairs["first_at"].quantile(1 - test_share).normalize()
    else:
        # Day first, as every date here: 01/05/2026 is 1 May, never 5 January.
        day = read_date(split_date) if isinstance(split_date, str) else None
        try:
            split = pd.Timestamp(day if isinstance(split_date, str) else split_date)
        except (TypeError, ValueError):
            split = pd.NaT
        if split is pd.NaT:
            raise EvaluationError(
                f"Expected split_date as a date in one of the formats {', '.join(DATE_FORMATS)} (day "
                f"before month), got split_date={split_date!r}."
            )
        zone = pairs["first_at"].dt.tz
        if zone is not None and split.tz is None:
            split = split.tz_localize(zone)  # a plain date means midnight where the events were recorded
        elif zone is None and split.tz is not None:
            split = split.tz_localize(None)
    events = outcomes.assign(at=pd.to_datetime(outcomes["at"]))
    train_outcomes = events[events["at"] < split]
    train_pairs = pairs[pairs["first_at"] < split]
    test_pairs = pairs[pairs["first_at"] >= split]
    if train_pairs.empty or test_pairs.empty:
        first, last = pairs["first_at"].min(), pairs["first_at"].max()
        side = "test" if test_pairs.empty else "training"
        raise EvaluationError(
            f"Expected a split date that leaves pairs on both sides, got {split.date()}: no {side} "
            f"pair. The outcomes' pairs were first suggested from {first.date()} to {last.date()}; "
            "choose a date in between, or leave it out (the last 25% of pairs are tested)."
        )
    seen = train_pairs[["need_id", "firm_id"]]
    key = pd.MultiIndex.from_frame(seen)
    test_truth = test_pairs[test_pairs["relevance"] > 0]
    test_truth = test_truth[~pd.MultiIndex.from_frame(test_truth[["need_id", "firm_id"]]).isin(key)]
    cold = frozenset(set(pairs["firm_id"]) - set(train_pairs["firm_id"]))
    return TemporalSplit(
        split_date=split,
        train_outcomes=train_outcomes,
        train_pairs=train_pairs.reset_index(drop=True),
        test_pairs=test_pairs.reset_index(drop=True),
        test_truth=test_truth.reset_index(drop=True),
        seen=seen.reset_index(drop=True),
        cold_firms=cold,
    )
