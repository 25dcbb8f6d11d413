"""The support programme (chương trình hỗ trợ CNHT): rounds, nominations, and whom to fund.

:class:`SupportRound` describes a round (budget in VND, support types with unit costs and caps
per firm, dates, eligibility rules, associations' and firms' nominations, past funding);
:func:`check_nominations` refuses ineligible nominations with the rule that failed;
:func:`nomination_values` values each one by the plan's target (firms newly meeting
international standards) and the demand its certificate unlocks (:func:`matching.gaps.best_upgrades`);
:func:`select_support` chooses within the budget with a MILP (HiGHS), per-firm caps and
fairness shares, and gives every nomination its reason; :func:`propose_support` does all three.

Examples
--------
>>> support_round = read_round("data/demo/support_round_demo.json")          # doctest: +SKIP
>>> selection = propose_support(support_round, firms, matcher, needs)         # doctest: +SKIP
>>> selection.decisions[["nomination_id", "selected", "reason_vi"]]            # doctest: +SKIP
"""

from matching.support.eligibility import (
    RULES,
    FirmFacts,
    check_nomination,
    check_nominations,
    firm_facts,
)
from matching.support.proposal import propose_support
from matching.support.round import (
    EligibilityRules,
    FundingRecord,
    Nomination,
    SupportRound,
    SupportType,
    check_round,
    read_round,
    round_from_dict,
)
from matching.support.selection import (
    FairnessRule,
    SupportSelection,
    select_support,
    selection_objective,
)
from matching.support.value import nomination_values, value_of

__all__ = [
    "SupportType",
    "EligibilityRules",
    "Nomination",
    "FundingRecord",
    "SupportRound",
    "check_round",
    "round_from_dict",
    "read_round",
    "RULES",
    "FirmFacts",
    "firm_facts",
    "check_nominations",
    "check_nomination",
    "value_of",
    "nomination_values",
    "FairnessRule",
    "SupportSelection",
    "select_support",
    "selection_objective",
    "propose_support",
]
