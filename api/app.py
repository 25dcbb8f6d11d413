"""The FastAPI application: ``create_app()`` wires settings, database, routes and errors.

Every client mistake answers 4xx with ``{"detail": "<human message>", "request_id": ...}``:
validation errors name the field, domain errors (:class:`features.exceptions.CnhtError`) carry
their status, and those raised with Vietnamese add it as ``"detail_vi"`` (``detail`` stays English). A bug answers 500 with the request ID only (:mod:`api.request_context`).

Examples
--------
>>> from api.settings import Settings
>>> app = create_app(Settings(database_url="sqlite:///:memory:"), migrate_database=False)
>>> app.openapi()["info"]["title"]
'cnht-match'
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import reject_nul_characters, retry_after_seconds
from api.limits import RequestLimits
from api.ranking import MatcherCache
from api.request_context import RequestContext
from api.routes import ROUTERS
from api.schemas import Message
from api.settings import Settings, get_settings
from api.slots import ReadFirstSlots
from api.storage.errors import IllegalTransitionError
from api.storage.imports import fail_interrupted_jobs
from api.storage.session import make_engine, make_sessionmaker, migrate
from api.web import install_web
from features.exceptions import CnhtError

__all__ = ["create_app", "create_worker_app", "API_PREFIX"]

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"

def _field_name(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(location[0] if location else "request")

def _validation_message(exc: RequestValidationError) -> str:
    messages = []
    for error in exc.errors()[:5]:
        if error.get("type") == "json_invalid":
            # The location is a character offset, not a field: say what is wrong instead.
            position = error.get("loc", ("body", 0))[-1]
            reason = (error.get("ctx") or {}).get("error", "JSON decode error")
            messages.append(f"the request body is not valid JSON ({reason} at character "
                            f"{position}); send a JSON object with Content-Type: application/json")  # fmt: skip
            continue
        where = error.get("loc", ())
        if tuple(where) == ("body",):
            messages.append(f"the request body is not a JSON object as expected "
                            f"({str(error.get('msg', 'invalid body'))}); send a JSON object "
                            "with Content-Type: application/json")  # fmt: skip
            continue
        source = where[0] if where else "request"
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        messages.append(f"{source} field '{_field_name(tuple(where))}': {message}")
    more = len(exc.errors()) - 5
    suffix = f" (and {more} more)" if more > 0 else ""
    if all(m.startswith("the request body") for m in messages):
        return "; ".join(messages) + suffix + "."
    return "; ".join(messages) + suffix + ". Fix the field(s) and send the request again."

async def _on_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": _validation_message(exc)})

async def _on_domain(_request: Request, exc: CnhtError) -> JSONResponse:
    status = getattr(exc, "status_code", 400)
    content: dict[str, Any] = {"detail": str(exc)}
    if getattr(exc, "message_vi", None):  # raised with vi=: what the Vietnamese pages show
        content["detail_vi"] = exc.message_vi
    if isinstance(exc, IllegalTransitionError):
        content["current"] = exc.current
        content["allowed"] = list(exc.allowed)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if getattr(exc, "retry_after", None) is not None:  # ServiceBusyError (503)
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(status_code=status, content=content, headers=headers or None)

async def _on_http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return JSONResponse(status_code=exc.status_code, content={"detail": detail},
                        headers=getattr(exc, "headers", None))  # fmt: skip

async def _on_database_down(_request: Request, exc: OperationalError) -> JSONResponse:
    # Logged with the request ID; the client learns nothing of the driver or its paths.
    logger.warning("event=database_unavailable error=%s", type(exc.orig).__name__)
    return JSONResponse(
        status_code=503,
        content={"detail": "The database is unavailable. Try again shortly."},
    )

async def _on_pool_timeout(request: Request, _exc: PoolTimeoutError) -> JSONResponse:
    # Requests wait for a connection before taking one (api.deps), so this is work outside
    # requests crowding the pool; still a clear 503, never a 500.
    settings = request.app.state.settings
    return JSONResponse(
        status_code=503,
        content={"detail": f"No database connection came free within {settings.queue_wait_seconds:g} s "
                           "(limits database_pool_size, queue_wait_seconds); retry shortly."},
        headers={"Retry-After": str(retry_after_seconds(settings.queue_wait_seconds))},
    )  # fmt: skip


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Fit the matcher in the background from the start, so the first ranking does not wait
    # for it and /ready turns ready on its own.
    app.state.ranking.warm_up(app.state.sessionmaker)
    if getattr(app.state, "fit_before_serving", False):
        # One of several worker processes: take no request before this process's matcher is
        # fitted (the other workers, already serving, take them meanwhile).
        await anyio.to_thread.run_sync(app.state.ranking.wait_for_warm_up, _WORKER_FIT_SECONDS)
    yield


def create_app(settings: Settings | None = None, *, migrate_database: bool = True) -> FastAPI:
    """Build the service.

    Parameters
    ----------
    settings : Settings, optional
        Defaults to :func:`api.settings.get_settings` (the environment).
    migrate_database : bool, default True
        Run ``alembic upgrade head`` on the database before serving.

    Returns
    -------
    fastapi.FastAPI
        ``app.state.engine``, ``app.state.sessionmaker`` and ``app.state.settings`` set;
        ``app.state.database_slots`` (requests holding a connection) and
        ``app.state.ranking`` (the matcher, with its ranking slots) sized by the settings.
    """
    settings = settings or get_settings()
    engine = make_engine(settings)
    if migrate_database:
        migrate(engine)
    app = FastAPI(
        title="cnht-match",
        version="0.1.0",
        description=(
            "Supplier matching for Hanoi's supporting industries (công nghiệp hỗ trợ). "
            "Authenticate with `Authorization: Bearer <key>` (`cnht keys create`)."
        ),
        openapi_url="/openapi.json",
        docs_url=None,  # /docs and /redoc: api.web, with their assets served offline
        redoc_url=None,
        dependencies=[Depends(reject_nul_characters)],
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    if migrate_database:
        # An import whose server was killed can never finish: say so in its job.
        fail_interrupted_jobs(app.state.sessionmaker)
    # An in-memory SQLite database exists once, in the main engine: probe that one.
    in_memory = ":memory:" in settings.database_url
    app.state.probe_engine = engine if in_memory else make_engine(settings, probe=True)
    app.state.database_slots = ReadFirstSlots(settings.database_pool_size)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(CnhtError, _on_domain)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(OperationalError, _on_database_down)
    app.add_exception_handler(PoolTimeoutError, _on_pool_timeout)
    app.state.ranking = MatcherCache(slots=settings.ranking_concurrency, wait_seconds=settings.queue_wait_seconds,
                                     models_folder=settings.models_folder())  # fmt: skip
    app.add_middleware(RequestLimits, max_body_bytes=settings.max_body_bytes,
                       max_upload_bytes=settings.max_upload_bytes,
                       auth_failures_per_minute=settings.auth_failures_per_minute)  # fmt: skip
    # Outermost: request ID, security headers and opaque 500s for every answer, refusals included.
    app.add_middleware(RequestContext)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    install_web(app)
    _document_error_body(app)
    return app


_WORKER_FIT_SECONDS = 600.0  # a worker serves anyway after this (requests then fit on demand)


def create_worker_app() -> FastAPI:
    """The app of one worker process of ``cnht serve --workers N`` (a uvicorn factory).

    ``cnht serve`` migrated the database (and seeded the demo, failed interrupted import
    jobs) once before starting the workers, so a worker does neither: an import running in one
    worker must not be failed by another worker starting. Each worker fits its own matcher
    from the database before it takes requests and refits it, like any server, when the
    firms or buyers change (:class:`api.ranking.MatcherCache`).
    """
    from api.request_context import configure_logging

    configure_logging()
    settings = get_settings()
    settings.apply_thread_switch()
    app = create_app(settings, migrate_database=False)
    app.state.fit_before_serving = True
    app.state.ranking.freeze_after_fit = True  # a serving process: see MatcherCache
    return app


def _document_error_body(app: FastAPI) -> None:
    """Publish the error body the handlers really send: ``{"detail": "<message>"}``, plus
    ``"detail_vi"`` (the same in Vietnamese) when the domain error has it."""
    default_openapi = app.openapi
    detail_vi = {"type": "string", "title": "Detail Vi",
                 "description": "The same message in Vietnamese, when the error has it (detail is English)."}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default_openapi()
            schema["components"]["schemas"]["HTTPValidationError"] = {
                "title": "HTTPValidationError",
                "type": "object",
                "properties": {"detail": {"type": "string", "title": "Detail"}, "detail_vi": detail_vi},
                "required": ["detail"],
            }
            schema["components"]["schemas"].pop("ValidationError", None)
            body = Message.model_json_schema()
            body["properties"]["detail_vi"] = detail_vi
            schema["components"]["schemas"]["Message"] = body
            message = {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}}
            for name, path in schema["paths"].items():
                for operation in path.values():
                    responses = operation.setdefault("responses", {})
                    if "requestBody" in operation:
                        responses.setdefault("400", {"description": "Body is not valid JSON or form data"})
                    # Any route may be refused before it runs (api.limits, api.deps).
                    if name not in ("/api/v1/health", "/api/v1/ready"):
                        responses.setdefault("429", {"description": "Too many failed authentications from this address (Retry-After)"})
                    responses.setdefault("503", {"description": "Overloaded: no connection or ranking slot in time (Retry-After)", "content": message})
                    if "requestBody" in operation:
                        responses.setdefault("413", {"description": "Body larger than max_body_bytes (or an upload's limit)"})
                    for code, response in responses.items():
                        if code.startswith("4") and code != "422":
                            response.setdefault("content", message)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
