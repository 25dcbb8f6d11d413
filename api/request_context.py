"""What every response and log line carries (issue 12): a request ID, security headers, and a
500 that says nothing of the code.

:class:`RequestContext` is the outermost middleware of the app:

- **Request ID.** Taken from the client's ``X-Request-ID`` when it is a short token
  (letters, digits, ``.``, ``_``, ``-``; at most 64), otherwise made up; sent back in the
  ``X-Request-ID`` header of every response, added as ``request_id`` to every JSON error
  body, and written on every log line of the request (:data:`REQUEST_ID`, read by
  :class:`RequestIdFilter`).
- **One log line per request**: ``event=request method=GET path=/api/v1/firms status=200
  duration_ms=12.3`` (the query string is left out: it can hold search words).
- **Security headers** on every response: ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy``, ``X-Frame-Options: DENY`` and a ``Content-Security-Policy`` with
  ``frame-ancestors 'none'`` (:data:`PAGE_POLICY` for HTML pages, :data:`API_POLICY`,
  which allows nothing to load, for the rest).
- **Unexpected errors** (a bug, not a client mistake) are logged with their traceback and
  answered ``500 {"detail": "Internal error ...", "request_id": ...}``: no path, no exception
  class, no message of the exception reaches the client.

:func:`configure_logging` makes the service log ``key=value`` lines (``cnht serve``).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "REQUEST_ID",
    "REQUEST_ID_HEADER",
    "PAGE_POLICY",
    "API_POLICY",
    "RequestContext",
    "RequestIdFilter",
    "KeyValueFormatter",
    "configure_logging",
]

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
"""The ID of the request being served (``-`` outside requests)."""

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# The pages use inline style attributes and the offline Swagger UI an inline script; nothing
# is loaded from another origin and no page may be framed.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

logger = logging.getLogger("api.requests")


def _incoming_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1").strip()
            if _VALID_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


class RequestContext:
    """ASGI middleware: request ID, access log line, security headers, opaque 500s.

    Parameters
    ----------
    app : ASGI app
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope)
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        state: dict[str, Any] = {"status": None, "error_start": None, "error_body": b""}

        async def send_with_context(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                for name, value in _SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                is_page = headers.get("content-type", "").startswith("text/html")
                headers.setdefault("Content-Security-Policy", PAGE_POLICY if is_page else API_POLICY)
                if message["status"] >= 400 and headers.get("content-type", "").startswith("application/json"):
                    state["error_start"] = message  # held until the body is complete
                    return
            elif message["type"] == "http.response.body" and state["error_start"] is not None:
                state["error_body"] += message.get("body", b"")
                if message.get("more_body", False):
                    return
                await _send_error(send, state["error_start"], state["error_body"], request_id)
                return
            await send(message)

        try:
            await self.app(scope, receive, send_with_context)
        except Exception:
            logger.exception("event=unhandled_error method=%s path=%s", scope.get("method"),
                             scope.get("path"))  # fmt: skip
            if state["status"] is not None:
                raise  # the response has begun: the server closes the connection
            state["status"] = 500
            body = json.dumps({
                "detail": f"Internal error; nothing about it was shown here. Quote request ID "
                          f"{request_id} to the Department's staff, who will find it in the log.",
            }).encode("utf-8")  # fmt: skip
            start = {"type": "http.response.start", "status": 500,
                     "headers": [(b"content-type", b"application/json")]}  # fmt: skip
            await send_with_context(start)
            await send_with_context({"type": "http.response.body", "body": body})
        finally:
            logger.info("event=request method=%s path=%s status=%s duration_ms=%.1f",
                        scope.get("method"), scope.get("path"), state["status"],
                        (time.perf_counter() - started) * 1000)  # fmt: skip
            REQUEST_ID.reset(token)


async def _send_error(send: Send, start: Message, body: bytes, request_id: str) -> None:
    # Every JSON error body names its request: {"detail": ..., "request_id": ...}.
    try:
        content = json.loads(body)
    except ValueError:
        content = None
    if isinstance(content, dict):
        content["request_id"] = request_id
        body = json.dumps(content, ensure_ascii=False).encode("utf-8")
        headers = MutableHeaders(scope=start)
        headers["content-length"] = str(len(body))
    await send(start)
    await send({"type": "http.response.body", "body": body})


class RequestIdFilter(logging.Filter):
    """Sets ``record.request_id`` to the current request's ID (``-`` outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class KeyValueFormatter(logging.Formatter):
    """``at=... level=... logger=... request_id=... <message>``, the traceback on indented lines.

    Messages are written ``key=value`` by the service's own loggers; other libraries' free
    text is quoted as ``msg="..."``.
    """

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if not re.match(r"[a-z_]+=", message):
            message = "msg=" + json.dumps(message, ensure_ascii=False)
        line = (f"at={self.formatTime(record, '%Y-%m-%dT%H:%M:%S')} level={record.levelname.lower()} "
                f"logger={record.name} request_id={getattr(record, 'request_id', '-')} {message}")  # fmt: skip
        if record.exc_info:
            trace = self.formatException(record.exc_info)
            line += "\n" + "\n".join("  " + part for part in trace.splitlines())
        return line


def configure_logging(level: int = logging.INFO) -> None:
    """Send every log record (the service's and uvicorn's) to stderr as ``key=value`` lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
