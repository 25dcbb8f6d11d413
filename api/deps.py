"""Typed dependencies of the routes: the database session and the caller.

``SessionDep`` opens one transaction per request: committed when the route returns,
rolled back when it raises, so a failed request leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.auth import Principal, authenticate
from api.storage.errors import PermissionDeniedError, ServiceError
from api.storage.session import READ_ONLY

__all__ = [
    "get_session",
    "get_principal",
    "SessionDep",
    "PrincipalDep",
    "StaffDep",
    "ReaderDep",
    "require_staff",
    "require_reader",
    "reject_nul_characters",
]

_bearer = HTTPBearer(auto_error=False, description="API key: `cnht keys create --role staff`")


def get_session(request: Request) -> Iterator[Session]:
    """One session and transaction per request (commit on success, rollback on error)."""
    factory = request.app.state.sessionmaker
    with factory() as session, session.begin():
        if request.method in ("GET", "HEAD", "OPTIONS"):
            session.connection(execution_options={READ_ONLY: True})
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller of the request, from its ``Authorization: Bearer`` key (401 otherwise)."""
    header = None
    if credentials is not None:
        header = f"{credentials.scheme} {credentials.credentials}"
    elif request.headers.get("authorization"):
        header = request.headers["authorization"]
    # Keys are checked in a session of their own so a 401 never touches the request's work.
    with request.app.state.sessionmaker() as session:
        session.connection(execution_options={READ_ONLY: True})
        return authenticate(session, header)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_staff(principal: PrincipalDep) -> Principal:
    """Staff only (403 for analysts and firms)."""
    if principal.role != "staff":
        raise PermissionDeniedError(
            f"Only staff may do this; this key has role {principal.role!r}. "
            "Ask the Department's staff."
        )
    return principal


def require_reader(principal: PrincipalDep) -> Principal:
    """Staff and analysts (403 for firm keys)."""
    if principal.role not in ("staff", "analyst"):
        raise PermissionDeniedError(
            f"Only staff and analysts may read this; this key has role {principal.role!r}."
        )
    return principal


StaffDep = Annotated[Principal, Depends(require_staff)]
ReaderDep = Annotated[Principal, Depends(require_reader)]


class InvalidParameterError(ServiceError):
    """A query or path parameter that no database can store (a NUL character)."""

    status_code = 422


def reject_nul_characters(request: Request) -> None:
    """422 for query or path parameters containing NUL (PostgreSQL text cannot hold it)."""
    params = list(request.query_params.multi_items()) + list(request.path_params.items())
    for name, value in params:
        if isinstance(value, str) and "\x00" in value:
            raise InvalidParameterError(
                f"Parameter '{name}' contains a NUL character (\\x00); remove it and retry."
            )
