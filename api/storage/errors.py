"""Domain errors of the service; :mod:`api.app` maps each to an HTTP status."""

from __future__ import annotations

import math

from features.exceptions import CnhtError

__all__ = [
    "ServiceError",
    "NotFoundError",
    "ConflictError",
    "IllegalTransitionError",
    "PermissionDeniedError",
    "AuthenticationError",
    "UploadTooLargeError",
    "UploadInvalidError",
    "ServiceBusyError",
    "retry_after_seconds",
]


class ServiceError(CnhtError):
    """Root of the service's errors; ``status_code`` is the HTTP answer.

    Raised with ``vi=`` (:class:`features.exceptions.CnhtError`), the Vietnamese is what the pages
    show and the API's ``detail_vi``; ``str(error)`` stays the English ``detail``.
    """

    status_code = 400


class NotFoundError(ServiceError):
    """A record does not exist (or is not visible to the caller)."""

    status_code = 404


class ConflictError(ServiceError):
    """The request clashes with stored data (duplicate id, record still referenced)."""

    status_code = 409


class IllegalTransitionError(ConflictError):
    """An outcome status cannot follow the current one.

    Attributes
    ----------
    current : str or None
        The pair's latest status (None when it has none).
    allowed : tuple of str
        The statuses that may follow it.
    """

    def __init__(self, message: str, current: str | None, allowed: tuple[str, ...], *,
                 vi: str | None = None) -> None:
        super().__init__(message, vi=vi)
        self.current = current
        self.allowed = allowed


class AuthenticationError(ServiceError):
    """Missing, unknown or revoked API key."""

    status_code = 401


class PermissionDeniedError(ServiceError):
    """The key is valid but its role may not do this."""

    status_code = 403


class UploadTooLargeError(ServiceError):
    """An uploaded file exceeds the size limit."""

    status_code = 413


class UploadInvalidError(ServiceError):
    """An uploaded file cannot be imported (too many rows, unreadable, wrong kind)."""

    status_code = 422


class ServiceBusyError(ServiceError):
    """Every database connection or ranking slot stayed busy for the whole queue wait (503).

    Attributes
    ----------
    retry_after : int
        Seconds the client should wait before retrying (the ``Retry-After`` header).
    """

    status_code = 503

    def __init__(self, message: str, retry_after: int, *, vi: str | None = None) -> None:
        super().__init__(message, vi=vi)
        self.retry_after = retry_after


def retry_after_seconds(wait_seconds: float) -> int:
    """``Retry-After`` for a queue wait of ``wait_seconds``: the wait rounded up, at least 1."""
    return max(1, math.ceil(wait_seconds))
