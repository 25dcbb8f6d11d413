"""The ranking service: the matcher fitted on the database, held and refitted when the data
changes, and the rankings run with it under a limit of concurrent rankings.

:mod:`~api.ranking.fitting` reads the database into the matcher's inputs and fits it;
:mod:`~api.ranking.service` holds the fitted matcher (:class:`MatcherCache`) and ranks with it.
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
    parse_stored_need,
)
from api.ranking.service import (
    FIRM_VISIBLE_NEEDS,
    MatcherCache,
    needs_for_firm,
    ranked_entries,
    reason_records,
)

__all__ = [
    "FittedMatcher",
    "MatcherCache",
    "RankingError",
    "data_version",
    "needs_version",
    "firms_frame",
    "buyers_frame",
    "need_record",
    "fit_matcher",
    "parse_stored_need",
    "reason_records",
    "ranked_entries",
    "needs_for_firm",
    "FIRM_VISIBLE_NEEDS",
]
