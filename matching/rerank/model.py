"""A re-ranker learned from recorded outcomes, on top of the hand-weighted matcher.

:class:`OutcomeReranker` fits a :class:`~matching.SupplierMatcher` on the firms, takes the
matcher's top ``n_candidates`` firms for every need that has recorded outcomes, describes
each pair (:func:`matching.rerank.pairs.pair_features`: the component values, pair facts,
and the firm's history strictly before the pair's date) and fits a scikit-learn
``HistGradientBoostingRegressor`` to the pair's graded relevance.

Graded relevance is :data:`matching.evaluation.STAGE_GAIN` of the furthest stage the pair
reached in the outcomes given to ``fit``: order 4, audit 3, sample 2, meeting 1; suggested,
contacted and any pair that ended rejected 0 (a rejection after a meeting is still a failed
match). A candidate with no recorded outcome is 0 too: the convention of the evaluation,
which counts only recorded relevant pairs.

Ranking: the matcher's top ``max(n_candidates, k)`` firms are re-ordered by the model's
prediction (``score``); equal predictions keep the matcher's order (its score, then
``firm_id``), so a model that learned nothing returns the matcher's list. Firms outside the
matcher's candidates are never listed: the re-ranker changes the order, not the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.utils.validation import check_is_fitted

from matching.evaluation import relevance_from_outcomes
from matching.matcher import SupplierMatcher
from matching.rerank.exceptions import RerankError
from matching.rerank.pairs import (
    BUYER_HISTORY_COLUMNS,
    DEFAULT_PRIORS,
    BuyerHistory,
    FirmHistory,
    need_dates,
    pair_features,
)

__all__ = ["OutcomeReranker", "training_pairs", "need_buyers", "evaluate_reranker", "RerankEvaluation"]


def training_pairs(
    matcher: SupplierMatcher,
    needs: pd.DataFrame,
    outcomes: pd.DataFrame,
    buyers: pd.DataFrame | None = None,
    n_candidates: int = 50,
    countries: tuple[str, ...] = (),
    buyer_history: bool = True,
) -> pd.DataFrame:
    """Candidates, features and graded relevance of every need with recorded outcomes.

    Parameters
    ----------
    matcher : SupplierMatcher
        Fitted on the firms.
    needs : DataFrame
        All needs; only those with an event in ``outcomes`` are used.
    outcomes : DataFrame
        Event log known at training time (``need_id, firm_id, status, at``).
    buyers : DataFrame, optional
    n_candidates : int, default 50
        The matcher's top N per need.
    countries : tuple of str
        Buyer countries coded as categories (see :func:`pair_features`).
    buyer_history : bool, default True
        Add the buyers' revealed reach and taste (:class:`BuyerHistory`, from ``outcomes``).

    Returns
    -------
    DataFrame
        ``need_id, firm_id, relevance``, ``labelled`` (1 where the pair has a recorded
        outcome, 0 for a candidate never suggested) and the feature columns, one row per
        candidate.
    """
    known = set(outcomes["need_id"].astype(str))
    train_needs = needs[needs["need_id"].astype(str).isin(known)]
    if train_needs.empty:
        raise RerankError(
            f"Expected outcomes for at least one of the {len(needs)} needs, got outcomes for needs "
            f"{sorted(known)[:5]}{'...' if len(known) > 5 else ''} that are not among them. "
            "Give the needs the outcomes were recorded for."
        )
    ranked = matcher.rank(train_needs, k=n_candidates).reset_index(drop=True)
    history = FirmHistory(outcomes)
    dates = need_dates(train_needs, outcomes)
    by_buyer = BuyerHistory(outcomes, need_buyers(needs)) if buyer_history else None
    features = pair_features(ranked, train_needs, matcher.profiles_, matcher.weights_, buyers, history,
                             dates, countries, by_buyer)
    gains = relevance_from_outcomes(outcomes).set_index(["need_id", "firm_id"])["relevance"]
    gains.index = gains.index.set_levels([level.astype(str) for level in gains.index.levels])
    key = pd.MultiIndex.from_arrays([ranked["need_id"].astype(str), ranked["firm_id"].astype(str)])
    recorded = gains.reindex(key)
    return pd.concat([ranked[["need_id", "firm_id"]].astype(str),
                      pd.DataFrame({"relevance": recorded.fillna(0.0).to_numpy(),
                                    "labelled": recorded.notna().to_numpy(dtype=float)}), features], axis=1)


def need_buyers(needs: pd.DataFrame | None) -> pd.Series:
    """``need_id -> buyer_id`` of the needs that name a buyer."""
    if needs is None or "buyer_id" not in needs.columns:
        return pd.Series(dtype=object)
    table = needs[needs["buyer_id"].notna()]
    return pd.Series(table["buyer_id"].astype(str).to_numpy(), index=table["need_id"].astype(str).to_numpy())


class OutcomeReranker(BaseEstimator):
    """Re-rank the matcher's candidates with a model fitted to recorded outcomes.

    Parameters
    ----------
    matcher : SupplierMatcher, optional
        The hand-weighted matcher giving candidates and component values (default
        ``SupplierMatcher()``); cloned in ``fit``.
    n_candidates : int, default 50
        The matcher's top N re-ranked per need (training and ranking alike).
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization
        Passed to ``HistGradientBoostingRegressor`` (defaults 100, 0.05, 15, 100, 1.0). Few
        candidates are relevant, so leaves of at least 100 pairs and 100 trees keep the model
        from fitting noise: on the demo data NDCG@10 0.215 where 200 trees with leaves of 40
        gave 0.189.
    random_state : int, default 0
    buyer_history : bool, default False
        Learn from the buyers' own earlier pairs too (:class:`BuyerHistory`: the distances
        of the firms each buyer met, its taste for firms of its language or market). Such
        a version needs the buyers' history to rank (:meth:`rerank` ``buyer_history=``,
        which the service builds from its database); off by default as it did worse on a
        validation period of the demo data (README, "Learning from outcomes").
    unlabelled_weight : float, default 1.0
        Sample weight of a candidate never suggested (relevance 0 by convention, but
        unknown) against 1 for a pair with a recorded outcome; 0 trains on recorded pairs only.

    Attributes
    ----------
    matcher_ : SupplierMatcher
    model_ : HistGradientBoostingRegressor
    feature_names_ : list of str
    countries_ : tuple of str
        Buyer countries with their own category (seen in training).
    history_ : FirmHistory
        The outcomes given to ``fit``, counted per firm before each need's date.
    history_priors_ : dict
        The market rates of those outcomes (reply, no reply, meetings kept) that a firm's
        shares are pulled toward, in training and whatever history :meth:`rerank` is given.
    buyer_history_ : BuyerHistory or None
        The same outcomes per buyer (None when ``buyer_history=False``, or a version saved
        before buyer features existed).
    n_pairs_fit_ : int
    outcome_range_ : tuple of (str, str)
        First and last event time of the training outcomes.

    Examples
    --------
    >>> reranker = OutcomeReranker(n_candidates=30)  # doctest: +SKIP
    >>> reranker.fit(firms, outcomes=train_outcomes, buyers=buyers, needs=needs).rank(needs, k=10)  # doctest: +SKIP
    """

    def __init__(
        self,
        matcher: SupplierMatcher | None = None,
        n_candidates: int = 50,
        max_iter: int = 100,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 100,
        l2_regularization: float = 1.0,
        random_state: int = 0,
        buyer_history: bool = False,
        unlabelled_weight: float = 1.0,
    ) -> None:
        self.matcher = matcher
        self.n_candidates = n_candidates
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state
        self.buyer_history = buyer_history
        self.unlabelled_weight = unlabelled_weight

    def __setstate__(self, state: dict) -> None:
        # A version saved before a parameter existed loads with the behaviour it was trained
        # with: no buyer features, every candidate weighted alike.
        state.setdefault("buyer_history", False)
        state.setdefault("unlabelled_weight", 1.0)
        if "model_" in state:
            state.setdefault("buyer_history_", None)
            state.setdefault("history_priors_", dict(DEFAULT_PRIORS))
        super().__setstate__(state)

    def fit(self, X: pd.DataFrame, y: object = None, *, outcomes: pd.DataFrame | None = None,
            buyers: pd.DataFrame | None = None, needs: pd.DataFrame | None = None) -> OutcomeReranker:
        """Fit the matcher on the firms ``X`` and the model on the needs' recorded outcomes.

        Parameters
        ----------
        X : DataFrame
            The firms.
        y : ignored
        outcomes : DataFrame
            Outcomes known at training time only (``need_id, firm_id, status, at``).
        buyers : DataFrame, optional
            ``buyer_id, country, park_id``.
        needs : DataFrame
            The needs the outcomes belong to (others are ignored).

        Returns
        -------
        self
        """
        if not isinstance(self.n_candidates, (int, np.integer)) or self.n_candidates < 1:
            raise RerankError(f"Expected n_candidates >= 1 (an integer), got n_candidates={self.n_candidates!r}.")
        if outcomes is None or needs is None or len(outcomes) == 0:
            raise RerankError(
                "Expected outcomes= and needs= to learn from, got "
                f"{'no outcomes' if outcomes is None or len(outcomes) == 0 else 'no needs'}. "
                "A re-ranker learns from recorded outcomes; without them use the SupplierMatcher."
            )
        if not 0 <= float(self.unlabelled_weight) <= 1:
            raise RerankError(f"Expected 0 <= unlabelled_weight <= 1, got unlabelled_weight={self.unlabelled_weight!r}.")
        matcher = SupplierMatcher() if self.matcher is None else clone(self.matcher)
        self.matcher_ = matcher.fit(X, buyers=buyers)
        self.countries_ = tuple(sorted(str(c).upper() for c in (buyers["country"].dropna().unique()
                                                                 if buyers is not None and "country" in buyers
                                                                 else ())))
        pairs = training_pairs(self.matcher_, needs, outcomes, buyers, self.n_candidates, self.countries_,
                               buyer_history=bool(self.buyer_history))
        if pairs["relevance"].max() <= 0:
            raise RerankError(
                f"Expected at least one candidate pair that reached a meeting, got none among {len(pairs)} "
                f"pairs of the matcher's top {self.n_candidates}. Record more outcomes, or raise n_candidates."
            )
        # A column unknown for every training pair (no firm states its capacity, say) says
        # nothing, and the trees' binning cannot take it: it is left out.
        self.feature_names_ = [c for c in pairs.columns
                               if c not in ("need_id", "firm_id", "relevance", "labelled") and pairs[c].notna().any()]
        weight = np.where(pairs["labelled"].to_numpy() > 0, 1.0, float(self.unlabelled_weight))
        categorical = [name == "buyer_country_code" for name in self.feature_names_]
        self.model_ = HistGradientBoostingRegressor(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization,
            categorical_features=categorical, random_state=self.random_state,
        ).fit(pairs[self.feature_names_].to_numpy(dtype=float), pairs["relevance"].to_numpy(), sample_weight=weight)
        self.history_ = FirmHistory(outcomes)
        self.history_priors_ = dict(self.history_.priors)
        self.buyer_history_ = BuyerHistory(outcomes, need_buyers(needs)) if self.buyer_history else None
        self.buyers_ = None if buyers is None else buyers.copy()
        times = pd.to_datetime(outcomes["at"], errors="coerce")
        self.outcome_range_ = (str(times.min()), str(times.max()))
        self.n_pairs_fit_ = len(pairs)
        self.n_needs_fit_ = int(pairs["need_id"].nunique())
        return self

    def features(self, needs: pd.DataFrame, k: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The matcher's candidates for ``needs`` and their feature table (history as of each
        need's date, from the outcomes given to ``fit``)."""
        check_is_fitted(self)
        ranked = self.matcher_.rank(needs, k=max(int(self.n_candidates), int(k))).reset_index(drop=True)
        table = needs if isinstance(needs, pd.DataFrame) else pd.DataFrame(needs)
        return ranked, self._features(ranked, table, self.matcher_, self.buyers_, self.history_,
                                      self.buyer_history_)

    @property
    def uses_buyer_history(self) -> bool:
        """Whether the fitted model reads :data:`BUYER_HISTORY_COLUMNS` (False for versions
        trained before they existed)."""
        check_is_fitted(self)
        return any(name in BUYER_HISTORY_COLUMNS for name in self.feature_names_)

    def rank(self, needs: pd.DataFrame, k: int = 10) -> pd.DataFrame:
        """Rank firms for a batch of needs (a DataFrame in the needs' import format).

        Returns
        -------
        DataFrame
            ``need_id, rank, firm_id, score`` (the model's predicted relevance, about 0..4),
            ``matcher_score``, ``matcher_rank`` and the matcher's contribution columns.
        """
        ranked, features = self.features(needs, k)
        return self._order(ranked, features, k)

    def rerank(self, ranked: pd.DataFrame, needs: pd.DataFrame, *, matcher: SupplierMatcher,
               buyers: pd.DataFrame | None = None, history: FirmHistory | None = None,
               buyer_history: BuyerHistory | None = None, k: int = 10) -> pd.DataFrame:
        """Re-order candidates another fitted matcher ranked, with that matcher's firms and
        the given outcome history (the service: the matcher fitted on the database, the
        outcomes recorded there).

        Parameters
        ----------
        ranked : DataFrame
            ``matcher.rank(needs, k=N)``: the candidates, best first, with their
            contribution columns (N at least ``k``; ``n_candidates`` is what the model was
            trained on).
        needs : DataFrame
            ``need_id, buyer_id, sector, created`` of the ranked needs; history counts
            strictly before each need's ``created`` day.
        matcher : SupplierMatcher
            The fitted matcher that ranked them (its ``profiles_`` and ``weights_``).
        buyers : DataFrame, optional
            ``buyer_id, country, park_id``.
        history : FirmHistory, optional
            Outcomes known now (default: none).
        buyer_history : BuyerHistory, optional
            The same outcomes per buyer (default: none), for a version trained with buyer
            features; a version trained without them ignores it.
        k : int, default 10

        Returns
        -------
        DataFrame
            As :meth:`rank`.

        Raises
        ------
        RerankError
            The matcher lacks a component the model was trained on.
        """
        check_is_fitted(self)
        if buyer_history is None and self.uses_buyer_history:
            raise RerankError(
                "Expected buyer_history= (the buyers' outcomes, BuyerHistory) for a version trained with buyer "
                f"features ({', '.join(n for n in self.feature_names_ if n in BUYER_HISTORY_COLUMNS)}), got none. "
                "Pass the same outcomes as history= per buyer, or activate a version trained without them."
            )
        ranked = ranked.reset_index(drop=True)
        features = self._features(ranked, needs, matcher, buyers, history or FirmHistory(None), buyer_history)
        return self._order(ranked, features, k)

    def _features(self, ranked: pd.DataFrame, needs: pd.DataFrame, matcher: SupplierMatcher,
                  buyers: pd.DataFrame | None, history: FirmHistory,
                  buyer_history: BuyerHistory | None) -> pd.DataFrame:
        features = pair_features(ranked, needs, matcher.profiles_, matcher.weights_, buyers, history,
                                 need_dates(needs), self.countries_,
                                 (buyer_history or BuyerHistory(None, None)) if self.uses_buyer_history else None,
                                 history_priors=self.history_priors_)
        missing = [name for name in self.feature_names_ if name not in features.columns]
        if missing:
            raise RerankError(f"Expected the features the model was trained on, got none for {missing}: the matcher "
                              f"has components {sorted(matcher.weights_)}. Train the re-ranker on this matcher again.")
        return features[self.feature_names_]

    def _order(self, ranked: pd.DataFrame, features: pd.DataFrame, k: int) -> pd.DataFrame:
        if ranked.empty:
            return pd.DataFrame(columns=["need_id", "rank", "firm_id", "score", "matcher_score", "matcher_rank"])
        predicted = self.model_.predict(features.to_numpy(dtype=float))
        out = ranked.rename(columns={"score": "matcher_score", "rank": "matcher_rank"}).assign(score=predicted)
        # Ties keep the matcher's order: its rank already breaks its own ties by firm_id.
        out = out.sort_values(["need_id", "score", "matcher_rank"], ascending=[True, False, True], kind="mergesort")
        out["rank"] = out.groupby("need_id").cumcount() + 1
        out = out[out["rank"] <= k]
        first = ["need_id", "rank", "firm_id", "score", "matcher_score", "matcher_rank"]
        return out[first + [c for c in out.columns if c not in first]].reset_index(drop=True)


class RerankEvaluation:
    """The comparison of :func:`evaluate_reranker`: ``table`` (one row per model and slice,
    every metric of :func:`matching.evaluation.ranking_metrics`), ``split``, the fitted
    ``reranker`` and ``beats_matcher`` (held-out NDCG@k above the matcher's on all needs)."""

    def __init__(self, table: pd.DataFrame, split, reranker: OutcomeReranker, k: int) -> None:
        self.table = table
        self.split = split
        self.reranker = reranker
        self.k = k

    def value(self, model: str, metric: str, slice_name: str = "all") -> float:
        """One figure of the table."""
        row = self.table[(self.table["model"] == model) & (self.table["slice"] == slice_name)]
        return float(row[metric].iloc[0])

    @property
    def beats_matcher(self) -> bool:
        metric = f"ndcg@{self.k}"
        return self.value("reranker", metric) > self.value("matcher", metric)

    def metrics(self) -> dict[str, dict[str, dict[str, float]]]:
        """``{model: {slice: {metric: value}}}``, for JSON metadata."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        for row in self.table.to_dict("records"):
            model, slice_name = row.pop("model"), row.pop("slice")
            out.setdefault(model, {})[slice_name] = {key: float(v) for key, v in row.items()}
        return out


def evaluate_reranker(
    firms: pd.DataFrame,
    needs: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    buyers: pd.DataFrame | None = None,
    split_date=None,
    k: int = 10,
    reranker: OutcomeReranker | None = None,
    baselines: Mapping[str, object] | None = None,
) -> RerankEvaluation:
    """Fit the re-ranker on outcomes before ``split_date`` and compare it, on the period
    after, with the hand-weighted matcher and the baselines, through the same protocol as
    ``cnht eval`` (:func:`matching.protocol.evaluate_models`: all test needs and the
    cold-start slice, firms with no outcome before the split).

    Parameters
    ----------
    baselines : dict, optional
        Name -> model (default :func:`matching.protocol.default_models`).
    """
    from matching.protocol import default_models, evaluate_models

    reranker = OutcomeReranker() if reranker is None else reranker
    models = {"reranker": reranker, "matcher": SupplierMatcher() if reranker.matcher is None else reranker.matcher,
              **(default_models() if baselines is None else dict(baselines))}
    fitted: dict[str, object] = {}
    table, split = evaluate_models(models, firms, needs, outcomes, buyers=buyers, split_date=split_date, k=k,
                                   fitted=fitted)
    return RerankEvaluation(table, split, fitted["reranker"], k)

