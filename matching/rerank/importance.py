"""What a fitted re-ranker uses: permutation importance by feature group on held-out needs.

Each group's columns (:data:`FEATURE_GROUPS`) are shuffled together among the held-out
candidate pairs (one permutation of rows for the whole group, so the columns of a group stay
consistent with one another) and the needs are ranked again; the drop of NDCG@k against the
unshuffled ranking, averaged over ``n_repeats`` shuffles, is what the group adds. Groups
rather than single columns: ``distance_km`` and its band, or a firm's counts and shares, say
the same thing twice, and shuffling one of them alone would show little.

Examples
--------
>>> table = permutation_importance(reranker, test_needs, split.test_truth, seen=split.seen)  # doctest: +SKIP
>>> table[["group", "ndcg_shuffled", "drop"]]  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching.evaluation import ndcg_at_k
from matching.rerank.exceptions import RerankError
from matching.rerank.pairs import BUYER_HISTORY_COLUMNS, HISTORY_COLUMNS

__all__ = ["FEATURE_GROUPS", "feature_group", "permutation_importance"]

_RESPONSIVENESS = ("hist_reply_share", "hist_no_reply_share", "hist_kept_share")
FEATURE_GROUPS: dict[str, str] = {
    "matcher": "the matcher's component values, its score and rank",
    "distance": "distance_km and its band",
    "home": "the buyer's country and the firm's export markets, languages, multinational customers",
    "firm": "the firm's size (employees, capacity) and sector match",
    "responsiveness": "the firm's reply, no-reply and meetings-kept shares before the need's date",
    "history": "the firm's outcome counts and other shares before the need's date",
    "buyer": "the buyer's own earlier pairs (reach, taste for home firms)",
    "other": "any other column",
}
_HOME = ("exports_to_buyer_country", "speaks_buyer_language", "speaks_english", "n_export_markets",
         "multinational_customers", "buyer_country_code")
_FIRM = ("log_employees", "log_monthly_capacity", "sector_match")


def feature_group(name: str) -> str:
    """The group of :data:`FEATURE_GROUPS` a feature column belongs to."""
    if name.startswith("value_") or name in ("matcher_score", "matcher_rank"):
        return "matcher"
    if name.startswith("distance_"):
        return "distance"
    if name in _HOME:
        return "home"
    if name in _FIRM:
        return "firm"
    if name in _RESPONSIVENESS:
        return "responsiveness"
    if name in HISTORY_COLUMNS:
        return "history"
    if name in BUYER_HISTORY_COLUMNS:
        return "buyer"
    return "other"


def _ndcg(reranker, ranked: pd.DataFrame, features: pd.DataFrame, truth: pd.DataFrame, seen_key, k: int,
          depth: int) -> float:
    pred = reranker._order(ranked, features, depth)
    if seen_key is not None:  # as the protocol of cnht eval: a pair already seen is not a test hit
        pred = pred[~pd.MultiIndex.from_frame(pred[["need_id", "firm_id"]].astype(str)).isin(seen_key)]
    pred = pred.assign(rank=pred.groupby("need_id").cumcount() + 1)
    return ndcg_at_k(truth, pred[pred["rank"] <= k], k=k)


def permutation_importance(reranker, needs: pd.DataFrame, truth: pd.DataFrame, *, seen: pd.DataFrame | None = None,
                           k: int = 10, n_repeats: int = 3, random_state: int = 0) -> pd.DataFrame:
    """NDCG@k lost when each feature group is shuffled among the held-out candidate pairs.

    Parameters
    ----------
    reranker : OutcomeReranker
        Fitted.
    needs : DataFrame
        The held-out needs (the import format), ranked with the outcomes given to ``fit``.
    truth : DataFrame
        ``need_id, firm_id, relevance`` after the split.
    seen : DataFrame, optional
        ``need_id, firm_id`` pairs known before the split, left out of the lists as ``cnht
        eval`` does.
    k : int, default 10
    n_repeats : int, default 3
        Shuffles per group (a seeded generator, ``random_state``).

    Returns
    -------
    DataFrame
        One row per group the model reads: ``group, features`` (its columns, comma-joined),
        ``ndcg`` (unshuffled, 0..1), ``ndcg_shuffled`` (mean), ``drop`` (``ndcg -
        ndcg_shuffled``, larger = used more; can be slightly negative by chance),
        ``drop_std``; largest drop first.
    """
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
        raise RerankError(f"Expected n_repeats an integer >= 1, got n_repeats={n_repeats!r}.")
    extra = int(seen.groupby("need_id").size().max()) if seen is not None and len(seen) else 0
    depth = k + extra
    ranked, features = reranker.features(needs, depth)
    ranked = ranked.reset_index(drop=True)
    features = features.reset_index(drop=True)
    seen_key = (pd.MultiIndex.from_frame(seen[["need_id", "firm_id"]].astype(str))
                if seen is not None and len(seen) else None)
    base = _ndcg(reranker, ranked, features, truth, seen_key, k, depth)
    rng = np.random.default_rng(random_state)
    groups: dict[str, list[str]] = {}
    for name in features.columns:
        groups.setdefault(feature_group(name), []).append(name)
    rows = []
    for group, columns in groups.items():
        scores = []
        for _ in range(n_repeats):
            order = rng.permutation(len(features))
            shuffled = features.copy()
            shuffled[columns] = features[columns].to_numpy()[order]
            scores.append(_ndcg(reranker, ranked, shuffled, truth, seen_key, k, depth))
        rows.append({"group": group, "features": ", ".join(columns), "ndcg": base,
                     "ndcg_shuffled": float(np.mean(scores)), "drop": base - float(np.mean(scores)),
                     "drop_std": float(np.std(scores))})
    table = pd.DataFrame(rows, columns=["group", "features", "ndcg", "ndcg_shuffled", "drop", "drop_std"])
    return table.sort_values(["drop", "group"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
