"""Domain errors of the service; :mod:`api.app` maps each to an HTTP status."""

from __future__ import annotations

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
]


class ServiceError(CnhtError):
    """Root of the service's errors; ``status_code`` is the HTTP answer."""

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

    def __init__(self, message: str, current: str | None, allowed: tuple[str, ...]) -> None:
        super().__init__(message)
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
