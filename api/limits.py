"""What one client can cost before any route runs: body size and failed key checks.

:class:`RequestLimits` is ASGI middleware. For every request under ``/api/v1`` it

- answers 429 (``Retry-After``) to a client address that failed authentication more than
  ``auth_failures_per_minute`` times in the last minute, without touching the database;
- answers 401 to a request that carries a body but no ``Authorization: Bearer`` header,
  before reading any of the body;
- answers 413 naming the limit when ``Content-Length`` says the body is too large, and stops
  reading a body sent without a length (chunked) as soon as it passes the limit.

JSON bodies may hold ``max_body_bytes``; multipart uploads ``max_upload_bytes`` plus
:data:`FORM_OVERHEAD_BYTES` (the import routes check the file itself against
``max_upload_bytes``). A key that is present but wrong is checked by the routes
(:func:`api.deps.get_principal`), so such a request costs at most the body limit.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["RequestLimits", "FORM_OVERHEAD_BYTES"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

FORM_OVERHEAD_BYTES = 64 * 1024  # multipart boundaries and the other form fields of an upload
_WINDOW_SECONDS = 60.0
_OPEN_PATHS = ("/api/v1/health", "/api/v1/ready")


class _BodyTooLarge(Exception):
    pass


class RequestLimits:
    """ASGI middleware bounding body size and failed authentication per client address.

    Parameters
    ----------
    app : ASGI application
    max_body_bytes : int
        Largest JSON (or other non-multipart) body (setting ``max_body_bytes``).
    max_upload_bytes : int
        Largest import file (setting ``max_upload_bytes``).
    auth_failures_per_minute : int
        Failed key checks allowed per client address and minute
        (setting ``auth_failures_per_minute``).
    prefix : str, default "/api/v1"
        Requests under it are limited.
    """

    def __init__(self, app: Callable[..., Awaitable[None]], *, max_body_bytes: int,
                 max_upload_bytes: int, auth_failures_per_minute: int,
                 prefix: str = "/api/v1") -> None:  # fmt: skip
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.auth_failures_per_minute = auth_failures_per_minute
        self.prefix = prefix
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.prefix) or path in _OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        blocked_for = self._blocked_for(client)
        if blocked_for:
            await _answer(send, 429, (
                f"Too many failed authentications from {client}: more than "
                f"{self.auth_failures_per_minute} a minute (limit auth_failures_per_minute). "
                f"Retry after {blocked_for} s with a valid key."
            ), {"Retry-After": str(blocked_for)})  # fmt: skip
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        has_body = headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers
        if has_body and not headers.get("authorization", "").strip().lower().startswith("bearer "):
            self._record_failure(client)
            await _answer(send, 401, (
                "Missing API key: send the header 'Authorization: Bearer <key>' "
                "(the body was not read)."
            ), {"WWW-Authenticate": "Bearer"})  # fmt: skip
            return
        is_upload = headers.get("content-type", "").lower().startswith("multipart/form-data")
        limit, name = ((self.max_upload_bytes + FORM_OVERHEAD_BYTES, "max_upload_bytes") if is_upload
                       else (self.max_body_bytes, "max_body_bytes"))  # fmt: skip
        message = (f"The request body is larger than the limit of {limit:,} bytes ({name}); "
                   "send less, or split an import into smaller files.")  # fmt: skip
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _answer(send, 413, message, {"Connection": "close"})
            return
        received = 0
        too_large = False

        async def counted_receive() -> Message:
            nonlocal received, too_large
            event = await receive()
            if event["type"] == "http.request":
                received += len(event.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _BodyTooLarge(message)
            return event

        replaced = False

        async def watched_send(event: Message) -> None:
            nonlocal replaced
            if too_large:  # whatever the app made of the cut body, the answer is this 413
                if not replaced:
                    replaced = True
                    await _answer(send, 413, message, {"Connection": "close"})
                return
            if event["type"] == "http.response.start" and event["status"] == 401:
                self._record_failure(client)
            await send(event)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _BodyTooLarge:
            if not replaced:
                await _answer(send, 413, message, {"Connection": "close"})

    def _record_failure(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            failures = self._failures.setdefault(client, deque())
            failures.append(now)
            while failures and failures[0] <= now - _WINDOW_SECONDS:
                failures.popleft()
            if len(self._failures) > 10_000:  # forget quiet addresses; memory stays bounded
                for address in [a for a, f in self._failures.items() if not f or f[-1] <= now - _WINDOW_SECONDS]:
                    del self._failures[address]

    def _blocked_for(self, client: str) -> int:
        """Seconds until ``client`` may try again (0: not blocked)."""
        now = time.monotonic()
        with self._lock:
            failures = self._failures.get(client)
            if not failures:
                return 0
            while failures and failures[0] <= now - _WINDOW_SECONDS:
                failures.popleft()
            if len(failures) < self.auth_failures_per_minute:
                return 0
            oldest_counted = failures[-self.auth_failures_per_minute]
            return max(1, math.ceil(oldest_counted + _WINDOW_SECONDS - now))


async def _answer(send: Send, status: int, detail: str, headers: dict[str, str]) -> None:
    body = json.dumps({"detail": detail}).encode("utf-8")
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
