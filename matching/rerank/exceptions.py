"""Exceptions of :mod:`matching.rerank`: a re-ranker that cannot be fitted, a model version
that cannot be found, written or trusted."""

from __future__ import annotations

from matching.exceptions import MatchingError

__all__ = ["RerankError", "ModelVersionError", "ModelIntegrityError"]


class RerankError(MatchingError, ValueError):
    """A re-ranker cannot be fitted or used as asked (no outcomes, bad parameter)."""


class ModelVersionError(MatchingError, LookupError):
    """A model version that does not exist, or a models folder that cannot be used."""


class ModelIntegrityError(MatchingError):
    """A model file whose SHA-256 differs from the one recorded when it was trained: it is
    never unpickled."""
