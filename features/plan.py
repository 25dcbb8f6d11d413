"""How far each firm is from counting in the plan's international-standard figure (Plan 04/KH-UBND).

The plan counts a firm when one of its international-standard certificates is valid on the day:
the one validity rule (:func:`features.certifications.certificate_status`) over the firm's
records, international codes only (:func:`features.certifications.is_international`), as
``cnht demo`` (:func:`features.demo.summary.summarize`) and ``GET /kpi``
(:func:`api.storage.certificate_dates.certificate_counts`) count. Nothing here decides validity
on its own:

* :func:`plan_step`: one firm's step on the way, from counted to nothing to build on, with the
  certificate that decides it and its day (end of validity, lapse, start);
* :func:`international_counts`: firms counted on each of several days, from each firm's
  validity periods (:func:`features.certifications.validity_periods`, the same rule for every
  day at once).

Examples
--------
>>> from datetime import date
>>> plan_step("ISO 9001:2015 hiệu lực đến 31/03/2027", on=date(2026, 6, 1))
PlanStep(step='counted', code='iso_9001', day=datetime.date(2027, 3, 31))
>>> plan_step("ISO 14001 hết hạn 12/2025; amfori BSCI", on=date(2026, 6, 1))
PlanStep(step='lapsed_recently', code='iso_14001', day=datetime.date(2025, 12, 31))
>>> plan_step("amfori BSCI", on=date(2026, 6, 1))
PlanStep(step='other_certificate', code='amfori_bsci', day=None)
>>> international_counts(["ISO 9001 hết hạn 12/2025", "", "ISO 45001"],
...                      [date(2025, 6, 30), date(2026, 6, 30)])
[2, 1]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from features import clock
from features.certifications import (
    certificate_status,
    is_international,
    status_from_periods,
    validity_periods,
)

__all__ = ["FIRMS_TARGET", "INTERNATIONAL_TARGET", "PLAN_STEPS", "RECENT_DAYS", "PlanStep", "plan_step",
           "international_counts"]

FIRMS_TARGET = 900
"""Plan 04/KH-UBND's firms in the field (supporting-industry firms in Hanoi)."""

INTERNATIONAL_TARGET = 400
"""Plan 04/KH-UBND's firms meeting international standards."""

PLAN_STEPS: tuple[str, ...] = (
    "counted",            # a valid international-standard certificate on the day
    "pending",            # one becomes valid later (issued for a later day): counted without doing anything
    "lapsed_recently",    # one expired or was superseded within RECENT_DAYS: a renewal (recertification audit)
    "lapsed",             # one expired or was superseded longer ago
    "revoked",            # one was revoked or suspended
    "other_certificate",  # no international standard, but another certificate valid (e.g. amfori BSCI)
    "none",               # nothing to build on
)
"""Steps of :func:`plan_step`, closest to counting first; only ``"counted"`` counts."""

RECENT_DAYS = 365
"""A lapse within this many days is ``"lapsed_recently"``."""


@dataclass(frozen=True)
class PlanStep:
    """Where one firm stands on one day.

    Attributes
    ----------
    step : str
        One of :data:`PLAN_STEPS`.
    code : str or None
        The certificate that decides the step: ``"counted"``, the international code valid
        longest; ``"pending"``, the one valid soonest; ``"lapsed…"``, the one that lapsed last;
        ``"revoked"``, a revoked one; ``"other_certificate"``, a valid non-international one.
    day : date or None
        ``"counted"``: the last day of the longest unbroken validity (None: no end stated);
        ``"pending"``: its first valid day; ``"lapsed…"``: its last valid day.
    """

    step: str
    code: str | None = None
    day: date | None = None

    @property
    def counted(self) -> bool:
        """True when the plan counts the firm on the day."""
        return self.step == "counted"

    @property
    def rank(self) -> int:
        """Position in :data:`PLAN_STEPS` (0 = counted): sort by it, closest to counting first."""
        return PLAN_STEPS.index(self.step)


def plan_step(certs: Iterable[object] | str | None, on: date | None = None,
              recent_days: int = RECENT_DAYS) -> PlanStep:  # fmt: skip
    """The firm's step towards the plan's international-standard figure on ``on``.

    Parameters
    ----------
    certs : iterable of Certification (or mappings), or str
        Every record of one firm, or its certification text.
    on : date, optional
        Default: today in Hanoi (:func:`features.clock.today`).
    recent_days : int, default :data:`RECENT_DAYS`

    Returns
    -------
    PlanStep
        ``counted`` exactly when :func:`features.certifications.valid_codes` finds an
        international code valid on ``on``.
    """
    on = on or clock.today()
    answers = certificate_status(certs, on=on)
    international = [a for code, a in answers.items() if is_international(code)]
    held = [a for a in international if a.valid]
    if held:
        longest = max(held, key=lambda a: (a.valid_until is None, a.valid_until or date.min, a.code))
        return PlanStep("counted", longest.code, longest.valid_until)
    pending = [a for a in international if a.status == "pending"]
    if pending:
        soonest = min(pending, key=lambda a: (a.valid_from or date.max, a.code))
        return PlanStep("pending", soonest.code, soonest.valid_from)
    lapsed = [a for a in international if a.status in ("expired", "superseded")]
    if lapsed:
        last = max(lapsed, key=lambda a: (a.valid_until or date.min, a.code))
        recent = last.valid_until is not None and last.valid_until >= on - timedelta(days=recent_days)
        return PlanStep("lapsed_recently" if recent else "lapsed", last.code, last.valid_until)
    revoked = sorted(a.code for a in international if a.status == "revoked")
    if revoked:
        return PlanStep("revoked", revoked[0])
    other = sorted(code for code, a in answers.items() if a.valid)
    if other:
        return PlanStep("other_certificate", other[0])
    return PlanStep("none")


def international_counts(certifications: Iterable[Iterable[object] | str | None],
                         days: Sequence[date]) -> list[int]:  # fmt: skip
    """Firms with a valid international-standard certificate on each of ``days``.

    Each firm's records (or text) are read once into validity periods
    (:func:`features.certifications.validity_periods`) and judged on every day by
    :func:`features.certifications.status_from_periods`: the answers of
    :func:`features.certifications.valid_codes` on each day, for the cost of one reading.

    Parameters
    ----------
    certifications : iterable
        One item per firm: its records or its certification text.
    days : sequence of date

    Returns
    -------
    list of int
        In the order of ``days``.
    """
    periods = [{code: spans for code, spans in validity_periods(certs).items() if is_international(code)}
               for certs in certifications]  # fmt: skip
    return [
        sum(any(status_from_periods(code, spans, day).valid for code, spans in firm.items()) for firm in periods)
        for day in days
    ]
