"""A re-ranker learned from recorded outcomes, and its versions as files.

- :class:`OutcomeReranker`: the matcher's top N per need re-ordered by a
  ``HistGradientBoostingRegressor`` fitted to graded outcomes (:mod:`.model`);
- :func:`pair_features`, :class:`FirmHistory`, :class:`BuyerHistory`: what the model sees
  of a pair, the firm's and the buyer's history strictly before the pair's date
  (:mod:`.pairs`);
- :func:`evaluate_reranker`: the comparison with the matcher and the baselines after a
  split date, through :func:`matching.protocol.evaluate_models`;
- :func:`permutation_importance`: NDCG@k lost when a feature group is shuffled among held-out
  pairs (:mod:`.importance`), kept in each version's metadata;
- :class:`ModelStore`: versions (model file + JSON metadata with its SHA-256), the active
  one, activate and rollback (:mod:`.versions`).
"""

from matching.rerank.exceptions import ModelIntegrityError, ModelVersionError, RerankError
from matching.rerank.importance import FEATURE_GROUPS, feature_group, permutation_importance
from matching.rerank.model import (
    OutcomeReranker,
    RerankEvaluation,
    evaluate_reranker,
    need_buyers,
    training_pairs,
)
from matching.rerank.pairs import (
    BUYER_HISTORY_COLUMNS,
    HISTORY_COLUMNS,
    BuyerHistory,
    FirmHistory,
    need_dates,
    pair_features,
)
from matching.rerank.versions import ModelStore, data_hash, file_sha256

__all__ = [
    "OutcomeReranker",
    "RerankEvaluation",
    "evaluate_reranker",
    "training_pairs",
    "FirmHistory",
    "HISTORY_COLUMNS",
    "BuyerHistory",
    "BUYER_HISTORY_COLUMNS",
    "need_buyers",
    "need_dates",
    "pair_features",
    "FEATURE_GROUPS",
    "feature_group",
    "permutation_importance",
    "ModelStore",
    "data_hash",
    "file_sha256",
    "RerankError",
    "ModelVersionError",
    "ModelIntegrityError",
]
