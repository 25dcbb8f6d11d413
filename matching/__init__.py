"""Ranking of local firms against buyers' component needs, with reasons.

Public API: :class:`SupplierMatcher` (a scikit-learn estimator), the score components of
:mod:`matching.components`, :func:`parse_need`, :func:`gaps`, :func:`best_upgrades`, and the labelled-set evaluation
:func:`read_labelled_needs` / :func:`evaluate_labelled`, and weight tuning by cross-validation
over labelled needs :func:`component_values` / :func:`score_weights` / :func:`tune_weights`.
"""

from matching.components import (
    CapacityFit,
    CertificationFit,
    Completeness,
    Component,
    Distance,
    Experience,
    MaterialFit,
    ProcessFit,
    Reason,
    TextSimilarity,
    default_components,
)
from matching.exceptions import HyperParameterError, MatchingError, NeedError, UnknownFirmError
from matching.explain import Explanation
from matching.gaps import Gap, best_upgrades, gaps
from matching.labelled import LabelledSetError, evaluate_labelled, read_labelled_needs
from matching.matcher import DEFAULT_WEIGHTS, Firms, SupplierMatcher
from matching.needs import NeedQuery, parse_need, parse_needs
from matching.tuning import WeightTuning, component_values, score_weights, tune_weights

__all__ = [
    "SupplierMatcher",
    "Firms",
    "DEFAULT_WEIGHTS",
    "Component",
    "TextSimilarity",
    "ProcessFit",
    "MaterialFit",
    "CertificationFit",
    "CapacityFit",
    "Distance",
    "Experience",
    "Completeness",
    "default_components",
    "Reason",
    "Explanation",
    "Gap",
    "gaps",
    "best_upgrades",
    "NeedQuery",
    "parse_need",
    "parse_needs",
    "MatchingError",
    "HyperParameterError",
    "NeedError",
    "UnknownFirmError",
    "read_labelled_needs",
    "evaluate_labelled",
    "LabelledSetError",
    "component_values",
    "score_weights",
    "tune_weights",
    "WeightTuning",
]
