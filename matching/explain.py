"""Explanations of one (need, firm) pair: the score, its parts, and reasons in vi/en.

An explanation is data: the contributions the score is the sum of, the raw component
values, the reasons each component gives, and the hard constraints the firm fails.

Examples
--------
>>> explanation = matcher.explain("ép nhựa ABS, IATF 16949", "F0007")   # doctest: +SKIP
>>> [str(r) for r in explanation.reasons][:2]                          # doctest: +SKIP
['ép nhựa ↔ Injection moulding / ép nhựa ↔ Injection moulding', ...]
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matching.components import QueryContext, Reason

__all__ = ["Explanation", "explain_pair", "reason_lines"]


@dataclass(frozen=True)
class Explanation:
    """Why a firm scores what it does for a need.

    Attributes
    ----------
    need_id, firm_id : str
    score : float
        Sum of ``contributions``.
    contributions : dict
        Component name -> weight x value.
    values : dict
        Component name -> value in [0, 1].
    reasons : list of Reason
        What the components found (positive first within the strongest components).
    failed : list of Reason
        Hard constraints the firm fails (empty when it would be ranked).
    """

    need_id: str
    firm_id: str
    score: float
    contributions: dict[str, float] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)
    reasons: list[Reason] = field(default_factory=list)
    failed: list[Reason] = field(default_factory=list)

    @property
    def passes(self) -> bool:
        """Whether the firm passes every hard constraint."""
        return not self.failed

    def lines(self, lang: str = "both") -> list[str]:
        """Failed constraints then reasons as strings (``"vi"``, ``"en"`` or ``"both"``)."""
        return reason_lines(self.failed + self.reasons, lang)


def reason_lines(reasons: list[Reason], lang: str = "both") -> list[str]:
    """Reasons as text: ``"vi"``, ``"en"`` or ``"both"`` (``"vi / en"``, once when they are equal)."""
    if lang == "vi":
        return [r.vi for r in reasons]
    if lang == "en":
        return [r.en for r in reasons]
    return [str(r) for r in reasons]


def explain_pair(matcher, ctx: QueryContext, row: int, pair: dict | None = None) -> Explanation:
    """Explanation of the firm at ``row`` for the need of ``ctx`` (same arithmetic as ``rank``).

    Parameters
    ----------
    matcher : SupplierMatcher
        A fitted matcher.
    ctx : QueryContext
    row : int
    pair : dict, optional
        The matcher's ``_pair(ctx, row)`` when the caller computed it (for several rows at
        once); computed here otherwise.

    Returns
    -------
    Explanation
    """
    pair = matcher._pair(ctx, row) if pair is None else pair
    return Explanation(
        need_id=ctx.need.need_id,
        firm_id=str(matcher.firm_ids_[row]),
        score=pair["score"],
        contributions=pair["contributions"],
        values=pair["values"],
        reasons=matcher.reasons(ctx, row, pair),
        failed=matcher.failures(ctx, row),
    )
