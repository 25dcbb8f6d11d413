"""Storage of the service: SQLAlchemy models, sessions and migrations, repository functions."""

from __future__ import annotations

from api.storage.errors import (
    AuthenticationError,
    ConflictError,
    IllegalTransitionError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
    UploadInvalidError,
    UploadTooLargeError,
)
from api.storage.session import make_engine, make_sessionmaker, migrate, transaction

__all__ = [
    "make_engine",
    "make_sessionmaker",
    "migrate",
    "transaction",
    "ServiceError",
    "NotFoundError",
    "ConflictError",
    "IllegalTransitionError",
    "AuthenticationError",
    "PermissionDeniedError",
    "UploadTooLargeError",
    "UploadInvalidError",
]
