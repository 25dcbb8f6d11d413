"""The evaluation protocol: every model, matcher and baselines alike, goes through it.

1. Split the recorded outcomes in time (:func:`matching.evaluation.temporal_split`).
2. Fit each model on the firms (and, if its ``fit`` accepts them, the *training* outcomes
   and the buyers) — never on anything after the split date.
3. Rank all firms for every need that has a relevant pair in the test period; drop the
   pairs already shortlisted for that need in training (they are not discoveries).
4. Score the top ``k`` with every metric, on all test needs and on the cold-start slice
   (relevant firms with no history in training).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

import pandas as pd
from sklearn.base import clone

from matching.evaluation import TemporalSplit, ranking_metrics, temporal_split

__all__ = ["evaluate_models", "default_models", "relative_gain"]


def _fit(model, firms, split: TemporalSplit, buyers, needs):
    params = inspect.signature(model.fit).parameters
    kwargs = {}
    if "outcomes" in params:
        kwargs["outcomes"] = split.train_outcomes
    if "buyers" in params and buyers is not None:
        kwargs["buyers"] = buyers
    if "needs" in params and needs is not None:
        kwargs["needs"] = needs
    return clone(model).fit(firms, **kwargs)


def _rank_unseen(model, test_needs: pd.DataFrame, seen: pd.DataFrame, k: int) -> pd.DataFrame:
    extra = int(seen.groupby("need_id").size().max()) if len(seen) else 0
    pred = model.rank(test_needs, k=k + extra)
    key = pd.MultiIndex.from_frame(seen[["need_id", "firm_id"]])
    pred = pred[~pd.MultiIndex.from_frame(pred[["need_id", "firm_id"]].astype(str)).isin(key)]
    pred = pred.sort_values(["need_id", "score"], ascending=[True, False], kind="mergesort")
    pred = pred.assign(rank=pred.groupby("need_id").cumcount() + 1)
    return pred[pred["rank"] <= k]


def evaluate_models(
    models: Mapping[str, object],
    firms: pd.DataFrame,
    needs: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    buyers: pd.DataFrame | None = None,
    split_date=None,
    k: int = 10,
    fitted: dict | None = None,
) -> tuple[pd.DataFrame, TemporalSplit]:
    """Run the protocol for each model.

    Parameters
    ----------
    fitted : dict, optional
        When given, each model fitted on the training period is stored in it under its name
        (to save the very model whose figures are reported).

    Returns
    -------
    table : DataFrame
        One row per (model, slice) with every metric of
        :func:`matching.evaluation.ranking_metrics`; slices are ``all`` and ``cold_start``.
    split : TemporalSplit
        The split used (its ``split_date`` belongs in any report of these figures).
    """
    split = temporal_split(outcomes, split_date=split_date)
    test_needs = needs[needs["need_id"].isin(split.test_truth["need_id"])]
    firm_ids = firms["firm_id"].astype(str).unique()
    rows = []
    for name, model in models.items():
        model_fit = _fit(model, firms, split, buyers, needs)
        if fitted is not None:
            fitted[name] = model_fit
        pred = _rank_unseen(model_fit, test_needs, split.seen, k)
        for slice_name, truth in (("all", split.test_truth), ("cold_start", split.cold_start_truth())):
            metrics = ranking_metrics(truth, pred, k=k, firm_ids=firm_ids)
            rows.append({"model": name, "slice": slice_name, "needs": truth["need_id"].nunique(), **metrics})
    return pd.DataFrame(rows), split


def relative_gain(table: pd.DataFrame, model: str, metric: str, slice_name: str = "all") -> float:
    """Relative improvement of ``model`` over the best *other* model on ``metric``."""
    part = table[table["slice"] == slice_name].set_index("model")[metric]
    best_other = part.drop(index=model).max()
    return float(part[model] / best_other - 1.0) if best_other > 0 else float("inf")


def default_models(random_state: int = 0) -> dict[str, object]:
    """The baselines every report shows: random, popularity, BM25, TF-IDF."""
    from matching.baselines import BM25Ranker, PopularityRanker, RandomRanker, TfidfRanker

    return {
        "random": RandomRanker(random_state=random_state),
        "popularity": PopularityRanker(),
        "bm25": BM25Ranker(),
        "tfidf": TfidfRanker(),
    }
