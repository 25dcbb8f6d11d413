"""Worker processes of ``cnht serve --workers N``, each listening on a socket of its own.

uvicorn's own ``--workers`` binds one socket in the parent and shares it with every worker.
Each worker's event loop accepts every pending connection it finds at once, so a burst of
clients lands on whichever worker woke first: under 40 clients with keep-alive one worker
served most of them while the other idled (reads p99 4.4 s against p50 0.25 s, README).
Here each worker binds its own socket on the same address with ``SO_REUSEPORT`` and the
kernel spreads new connections over the workers' sockets. uvicorn's supervisor still starts,
health-checks, restarts and stops the workers; only the socket each one receives differs.

Where the platform has no ``SO_REUSEPORT``, :func:`serve_workers` falls back to uvicorn's
shared socket.
"""

from __future__ import annotations

import socket

__all__ = ["PerWorkerSocket", "bind_reuse_port", "check_address_free", "serve_workers", "UVICORN_OPTIONS"]

BACKLOG = 2048  # uvicorn's default
# An idle keep-alive connection stays open this long. uvicorn's default (5 s) is also httpx's
# keepalive_expiry: a client sending on a connection the server closes at that very moment
# reads nothing back, a dropped request under load (seen in benchmarks/bench_service.py).
KEEP_ALIVE_SECONDS = 30
# What every way of serving passes to uvicorn (one process, or each worker).
UVICORN_OPTIONS = {"log_config": None, "access_log": False, "timeout_keep_alive": KEEP_ALIVE_SECONDS}


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def bind_reuse_port(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``(host, port)`` with ``SO_REUSEPORT`` (not yet listening).

    Every worker binds one; the kernel gives each new connection to one of the listening
    sockets of the group (by a hash of the client's address and port).
    """
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


class PerWorkerSocket:
    """Stands in the supervisor for the socket a worker will bind for itself.

    uvicorn hands its sockets to each worker process by pickling them; this one unpickles
    as a new socket bound in the worker (:func:`bind_reuse_port`), not as a copy of the
    parent's.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    def __reduce__(self) -> tuple[object, tuple[str, int]]:
        return (bind_reuse_port, (self.host, self.port))

    def close(self) -> None:
        """Nothing to close in the supervisor (it never binds)."""


def check_address_free(host: str, port: int) -> None:
    """Raise ``OSError`` (EADDRINUSE) when anything listens on ``(host, port)`` already.

    Bound without ``SO_REUSEPORT``, so another server's reuse-port group is refused too:
    workers never join a group of another program by accident.
    """
    probe = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    finally:
        probe.close()


def serve_workers(app: str, *, host: str, port: int, workers: int) -> None:
    """Run ``workers`` processes of the app factory ``app`` (``"module:function"``).

    Raises
    ------
    OSError
        The address is in use (``errno.EADDRINUSE``) or cannot be bound.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    if not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(app, factory=True, workers=workers, host=host, port=port, **UVICORN_OPTIONS)
        return
    check_address_free(host, port)
    config = uvicorn.Config(app, factory=True, workers=workers, host=host, port=port, backlog=BACKLOG,
                            **UVICORN_OPTIONS)  # fmt: skip
    Multiprocess(config, sockets=[PerWorkerSocket(host, port)]).run()  # type: ignore[list-item]

