"""Exceptions of the feature pipeline.

Every message says what was expected, what came, and how to fix it. ``str(error)`` is the
English (API clients, the CLI and logs read it); an error raised with ``vi=`` also carries the
Vietnamese, which the pages show and the API adds as ``detail_vi`` (:func:`message`).
"""

from __future__ import annotations

from typing import Any


class CnhtError(Exception):
    """Root of every error raised by cnht-match.

    Parameters
    ----------
    *args
        As :class:`Exception`'s: the first is the English message, ``str(error)``.
    vi : str or None, default None
        The same message in Vietnamese, kept as ``message_vi`` (None: English only).

    Examples
    --------
    >>> error = CnhtError("Round R-1 is decided.", vi="Đợt R-1 đã có quyết định.")
    >>> str(error), error.message_vi
    ('Round R-1 is decided.', 'Đợt R-1 đã có quyết định.')
    """

    message_vi: str | None = None

    def __init__(self, *args: object, vi: str | None = None) -> None:
        super().__init__(*args)
        self.message_vi = vi

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own reduce calls ``cls(*args)``, which a subclass with its own
        # ``__init__`` (IngestLimitError(limit, message)) cannot take back: rebuild without it.
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls: type[CnhtError], args: tuple[Any, ...], state: dict[str, Any]) -> CnhtError:
    """An unpickled (or copied) error: its args and attributes, without calling ``__init__``."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


def message(error: BaseException, lang: str) -> str:
    """The error's message in ``lang``: its Vietnamese when ``lang == "vi"`` and it has one,
    else ``str(error)`` (the English).

    >>> error = CnhtError("Round R-1 is decided.", vi="Đợt R-1 đã có quyết định.")
    >>> message(error, "vi"), message(error, "en"), message(ValueError("bad"), "vi")
    ('Đợt R-1 đã có quyết định.', 'Round R-1 is decided.', 'bad')
    """
    vietnamese = getattr(error, "message_vi", None)
    return vietnamese if lang == "vi" and vietnamese else str(error)


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

    def __init__(self, limit: str, message: str, *, vi: str | None = None) -> None:
        super().__init__(message, vi=vi)
        self.limit = limit


class GeoError(CnhtError):
    """An address or a place cannot be resolved."""


class CertificationError(CnhtError):
    """A certification record or the certification taxonomy cannot be used as asked."""


__all__ = [
    "CnhtError", "TaxonomyError", "UnknownCodeError", "IngestError", "IngestLimitError", "GeoError",
    "CertificationError", "message",
]
