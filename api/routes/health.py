"""``GET /health`` (liveness) and ``GET /ready`` (readiness); no key needed.

Both run on the event loop and never wait for the request pool or a worker thread of the
routes, so they answer fast however busy the service is. ``/health`` touches nothing
(the process answers); ``/ready`` opens a connection of its own (no pool) with a short
timeout and checks that the matcher is fitted (a fit starts in the background if not).
"""

from __future__ import annotations

from typing import Literal

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import retry_after_seconds
from api.schemas import HealthPublic, Message
from api.storage.session import PROBE_TIMEOUT_SECONDS

__all__ = ["router", "ReadyPublic"]

router = APIRouter(tags=["health"])

# Worker threads of the probes, apart from the routes' threads, so a busy thread pool
# cannot delay a probe.
_PROBE_THREADS = anyio.CapacityLimiter(2)


class ReadyPublic(BaseModel):
    """The service can take requests: the database answers and the matcher is fitted."""

    status: Literal["ready"]
    database: str
    matcher: str


@router.get("/health", response_model=HealthPublic)
async def health(request: Request) -> HealthPublic:
    """Liveness: the process answers (no database query; see ``/ready``)."""
    return HealthPublic(status="ok", database=request.app.state.engine.dialect.name)


def _probe(engine) -> bool:
    """True when the database answers and holds at least one firm."""
    with engine.connect() as connection:
        return bool(connection.execute(text("SELECT EXISTS (SELECT 1 FROM firms)")).scalar())


@router.get("/ready", response_model=ReadyPublic,
            responses={503: {"model": Message, "description": "Database unreachable or matcher not fitted yet"}})  # fmt: skip
async def ready(request: Request) -> ReadyPublic | JSONResponse:
    """Readiness: the database answers and the matcher is fitted (503 with the reason otherwise)."""
    state = request.app.state
    engine = state.probe_engine
    has_firms: bool | None = None
    failure = "it did not answer"
    with anyio.move_on_after(PROBE_TIMEOUT_SECONDS + 1):
        try:
            has_firms = await anyio.to_thread.run_sync(
                _probe, engine, limiter=_PROBE_THREADS, abandon_on_cancel=True
            )
        except Exception as exc:  # any driver error means "not reachable"; the reason is shown
            failure = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    if has_firms is None:
        return _not_ready(f"The database is unreachable ({failure} within "
                          f"{PROBE_TIMEOUT_SECONDS} s). Check the database and retry.")  # fmt: skip
    cache = state.ranking
    fitted = cache.fitted
    if fitted is not None:
        matcher = fitted.model_version
    elif not has_firms:
        matcher = "none (no firms yet)"
    else:
        cache.warm_up(state.sessionmaker)
        return _not_ready("The matcher is not fitted yet (fitting in the background); retry "
                          "in a few seconds.")  # fmt: skip
    return ReadyPublic(status="ready", database=engine.dialect.name, matcher=matcher)


def _not_ready(message: str) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": message},
                        headers={"Retry-After": str(retry_after_seconds(PROBE_TIMEOUT_SECONDS))})  # fmt: skip
