"""A round's proposal from its file and the data: eligibility, value, then the budgeted choice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from matching.support.eligibility import check_nominations
from matching.support.round import SupportRound
from matching.support.selection import FairnessRule, SupportSelection, select_support
from matching.support.value import nomination_values

__all__ = ["propose_support"]


def propose_support(support_round: SupportRound, firms: pd.DataFrame, matcher, needs: pd.DataFrame | None = None,
                    *, weight_target: float = 1.0, weight_demand: float = 0.1, k: int = 10,
                    fairness: Sequence[FairnessRule] = (), time_limit: float = 60.0,
                    held: Mapping[str, bool] | None = None) -> SupportSelection:
    """Whom to fund in ``support_round``: every nomination checked, valued and decided, with reasons.

    Parameters
    ----------
    support_round : SupportRound
    firms : pandas.DataFrame
        The firms table (eligibility reads tax code, address, sectors, certificates).
    matcher : SupplierMatcher
        Fitted on ``firms`` (the demand a certificate unlocks, :func:`matching.gaps.best_upgrades`).
    needs : pandas.DataFrame, optional
        The needs table (default: the matcher's open needs).
    weight_target, weight_demand, k :
        See :func:`~matching.support.nomination_values`.
    fairness : sequence of FairnessRule, default ()
        Default: the round's own fairness settings (``support_round.fairness``).
    time_limit : float, default 60.0
    held : mapping of str to bool, optional
        Staff overrides kept on top of the proposal (``nomination_id -> selected``,
        :func:`~matching.support.select_support`): the others are chosen around them. Then
        ``decisions`` also has ``proposed``, the solver's own choice without the holds (what the
        proposal would have been), and ``held``.

    Returns
    -------
    SupportSelection

    Examples
    --------
    >>> selection = propose_support(read_round("data/demo/support_round_demo.json"), firms, matcher, needs)  # doctest: +SKIP
    >>> selection.summary()["spent"] <= selection.budget                                                    # doctest: +SKIP
    True
    """
    table = check_nominations(support_round, firms)
    valued = nomination_values(support_round, table, matcher, needs, weight_target=weight_target,
                               weight_demand=weight_demand, k=k)
    settings = {"max_per_firm": support_round.max_per_firm, "fairness": tuple(fairness) or support_round.fairness,
                "time_limit": time_limit}
    if not held:
        return select_support(valued, support_round.budget, **settings)
    free = select_support(valued, support_round.budget, **settings)
    selection = select_support(valued, support_round.budget, held=held, **settings)
    selection.decisions = selection.decisions.assign(proposed=free.decisions["selected"].to_numpy())
    return selection
