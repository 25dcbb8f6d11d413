"""Typed dependencies of the routes: the database session, the caller and the ranking service.

``SessionDep`` is the request's one database session: committed when the route returns,
rolled back when it raises, so a failed request leaves nothing behind. The key check
(``PrincipalDep``) uses that same session, so a request never holds more than one
connection and no number of concurrent requests can wait on each other for the pool.

A request waits for its connection on the event loop (an :class:`anyio.Semaphore` sized
like the pool, ``database_pool_size``), never in a worker thread, and for at most
``queue_wait_seconds``: then it answers 503 with ``Retry-After`` (:class:`ServiceBusyError`).

``RankingDep`` is the service's :class:`api.ranking.MatcherCache` (made once by ``create_app``);
:func:`reading` lets a route rank in a read-only transaction of the request's session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.auth import Principal, authenticate
from api.ranking import MatcherCache
from api.slots import ReadFirstSlots
from api.storage.errors import (
    PermissionDeniedError,
    ServiceBusyError,
    ServiceError,
    retry_after_seconds,
)
from api.storage.session import READ_ONLY

__all__ = [
    "ServiceBusyError",
    "retry_after_seconds",
    "get_session",
    "get_principal",
    "SessionDep",
    "PrincipalDep",
    "StaffDep",
    "ReaderDep",
    "require_staff",
    "require_reader",
    "reject_nul_characters",
    "get_ranking",
    "RankingDep",
    "reading",
]

_bearer = HTTPBearer(auto_error=False, description="API key: `cnht keys create --role staff`")

READ_METHODS = ("GET", "HEAD", "OPTIONS")




async def _database_slot(request: Request) -> AsyncIterator[None]:
    # Waiting here (on the event loop) rather than in the pool (in a worker thread) is what
    # keeps waiting requests from holding the threads that requests with a connection need.
    # Reads go before writes that have not waited long (api.slots.ReadFirstSlots).
    slots: ReadFirstSlots = request.app.state.database_slots
    settings = request.app.state.settings
    acquired = False
    with anyio.move_on_after(settings.queue_wait_seconds):
        await slots.acquire(read=request.method in READ_METHODS)
        acquired = True
    if not acquired:
        raise ServiceBusyError(
            f"All {settings.database_pool_size} database connections stayed busy for "
            f"{settings.queue_wait_seconds:g} s (limits database_pool_size, queue_wait_seconds); "
            "the service is overloaded, retry shortly.",
            retry_after_seconds(settings.queue_wait_seconds),
        )
    try:
        yield
    finally:
        slots.release()


def get_session(
    request: Request, _slot: Annotated[None, Depends(_database_slot, scope="function")]
) -> Iterator[Session]:
    """The request's one session and transaction (commit on success, rollback on error).

    GET, HEAD and OPTIONS read in one read-only transaction (SQLite: no write lock). Other
    methods begin their transaction when the route first touches the database (the key
    check's read is ended first: :func:`get_principal`).
    """
    factory = request.app.state.sessionmaker
    with factory() as session:
        if request.method in READ_METHODS:
            session.connection(execution_options={READ_ONLY: True})
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()


# scope="function": the commit runs when the route returns, before the response is sent, so a
# 201 means the write is stored (request scope would commit after the client has its answer).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller of the request, from its ``Authorization: Bearer`` key (401 otherwise).

    The key is read in the request's own session. A request that may write reads it in a
    read-only transaction ended before the route runs, so the check takes no write lock,
    and a 401 is raised before the route has written anything.
    """
    header = None
    if credentials is not None:
        header = f"{credentials.scheme} {credentials.credentials}"
    elif request.headers.get("authorization"):
        header = request.headers["authorization"]
    if session.in_transaction():  # GET: the request's read-only transaction
        return authenticate(session, header)
    session.connection(execution_options={READ_ONLY: True})
    try:
        return authenticate(session, header)
    finally:
        session.rollback()  # only read: ends the read, the route's writes begin afresh


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def require_staff(principal: PrincipalDep) -> Principal:
    """Staff only (403 for analysts and firms)."""
    if principal.role != "staff":
        raise PermissionDeniedError(
            f"Only staff may do this; this key has role {principal.role!r}. "
            "Ask the Department's staff."
        )
    return principal


async def require_reader(principal: PrincipalDep) -> Principal:
    """Staff and analysts (403 for firm keys)."""
    if principal.role not in ("staff", "analyst"):
        raise PermissionDeniedError(
            f"Only staff and analysts may read this; this key has role {principal.role!r}."
        )
    return principal


# The checks that read nothing are coroutines: FastAPI runs a plain function dependency in a
# worker thread, and each such hop costs the event loop a turn (and the interpreter's lock)
# that /health and every other request wait behind under load.
StaffDep = Annotated[Principal, Depends(require_staff)]
ReaderDep = Annotated[Principal, Depends(require_reader)]


class InvalidParameterError(ServiceError):
    """A query or path parameter that no database can store (a NUL character)."""

    status_code = 422


async def reject_nul_characters(request: Request) -> None:
    """422 for query or path parameters containing NUL (PostgreSQL text cannot hold it)."""
    params = list(request.query_params.multi_items()) + list(request.path_params.items())
    for name, value in params:
        if isinstance(value, str) and "\x00" in value:
            raise InvalidParameterError(
                f"Parameter '{name}' contains a NUL character (\\x00); remove it and retry."
            )


@contextmanager
def reading(session: Session) -> Iterator[Session]:
    """The request's session in a read-only transaction (SQLite: no write lock) for ranking.

    A POST that ranks and then stores must not hold SQLite's write lock for the seconds a
    refit can take: it ranks in a read-only transaction of its own session, ended when the
    block ends (nothing was written), and its writes begin a new transaction afterwards.
    A session already in a transaction (a GET's read-only one) is used as it is.
    """
    if session.in_transaction():
        yield session
        return
    session.connection(execution_options={READ_ONLY: True})
    try:
        yield session
    finally:
        session.rollback()  # only read; ends the read-only transaction


async def get_ranking(request: Request) -> MatcherCache:
    """The service's :class:`MatcherCache` (``app.state.ranking``, made by ``create_app``)."""
    return request.app.state.ranking


RankingDep = Annotated[MatcherCache, Depends(get_ranking)]

