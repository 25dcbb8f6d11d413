"""Exceptions of the matching package.

Every message says what was expected, what came, and how to fix it.
"""

from __future__ import annotations

from features.exceptions import CnhtError

__all__ = ["MatchingError", "HyperParameterError", "NeedError", "UnknownFirmError", "EventError", "SupportError",
           "IneligibleNominationError"]


class MatchingError(CnhtError):
    """Root of the errors raised by :mod:`matching`."""


class HyperParameterError(MatchingError, ValueError):
    """A hyper-parameter of a matcher or a component has an invalid value (raised in ``fit``)."""


class NeedError(MatchingError, ValueError):
    """A need cannot be read (missing text and structured fields, bad date, unknown code)."""


class UnknownFirmError(MatchingError, KeyError):
    """A ``firm_id`` that the matcher was not fitted on."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class EventError(MatchingError, ValueError):
    """A business-matching event cannot be scheduled as described (zero tables, unknown
    participant, a pair both requested and refused, unreadable event file)."""


class SupportError(MatchingError, ValueError):
    """A support round cannot be used as described (unreadable file, unknown support type,
    a nomination given twice, fairness constraints that cannot all hold)."""


class IneligibleNominationError(SupportError):
    """A nomination refused by an eligibility rule of its round; ``rule`` names the rule
    (``"tax_code"``, ``"in_hanoi"``, ``"supporting_industry"``, ``"recently_funded"`` ...)."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule
