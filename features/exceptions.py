"""Exceptions of the feature pipeline.

Every message says what was expected, what came, and how to fix it.
"""


class CnhtError(Exception):
    """Root of every error raised by cnht-match."""


class TaxonomyError(CnhtError):
    """The taxonomy data files are inconsistent, or a code is unknown."""


class UnknownCodeError(TaxonomyError, KeyError):
    """A taxonomy code or alias does not resolve."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class IngestError(CnhtError):
    """A file cannot be read at all (not a row-level problem: those are rejects)."""


class IngestLimitError(IngestError):
    """A file passes one of the limits of :class:`features.limits.ReadLimits`.

    ``limit`` is the limit's name (that of the service setting), also named in the message.
    """

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit


class GeoError(CnhtError):
    """An address or a place cannot be resolved."""


class CertificationError(CnhtError):
    """A certification record or the certification taxonomy cannot be used as asked."""


__all__ = [
    "CnhtError", "TaxonomyError", "UnknownCodeError", "IngestError", "IngestLimitError", "GeoError",
    "CertificationError",
]
