"""The ranking service: the matcher fitted on the database, held and refitted when the data
changes, and the rankings run with it under a limit of concurrent rankings.

:mod:`~api.ranking.fitting` reads the database into the matcher's inputs and fits it;
:mod:`~api.ranking.service` holds the fitted matcher (:class:`MatcherCache`) and ranks with it;
:mod:`~api.ranking.reranking` finds and loads the active re-ranker version (``cnht models``),
which re-orders shortlists when there is a usable one.
Nothing here knows about HTTP: the routes get the service's cache through
:data:`api.deps.RankingDep`.
"""

from __future__ import annotations

from api.ranking.fitting import (
    FittedMatcher,
    RankingError,
    buyers_frame,
    data_version,
    firms_frame,
    fit_matcher,
    need_record,
    needs_version,
    outcome_need_buyers,
    outcomes_frame,
    outcomes_version,
    parse_stored_need,
)
from api.ranking.reranking import ActiveModel, ActiveReranker, reranked_model_version
from api.ranking.service import (
    FIRM_VISIBLE_NEEDS,
    MatcherCache,
    needs_for_firm,
    ranked_entries,
    reason_records,
    shortlist_model_version,
)

__all__ = [
    "FittedMatcher",
    "MatcherCache",
    "RankingError",
    "data_version",
    "needs_version",
    "outcomes_version",
    "outcomes_frame",
    "outcome_need_buyers",
    "firms_frame",
    "buyers_frame",
    "need_record",
    "fit_matcher",
    "parse_stored_need",
    "reason_records",
    "ranked_entries",
    "shortlist_model_version",
    "ActiveModel",
    "ActiveReranker",
    "reranked_model_version",
    "needs_for_firm",
    "FIRM_VISIBLE_NEEDS",
]
