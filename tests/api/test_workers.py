"""Worker sockets of ``cnht serve --workers N`` (api.workers): one listening socket per worker."""

from __future__ import annotations

import pickle
import socket

import pytest

from api.workers import PerWorkerSocket, bind_reuse_port, check_address_free

pytestmark = pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"),
                                reason="SO_REUSEPORT is a Linux/BSD option; elsewhere uvicorn's shared socket is used")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_each_unpickled_stand_in_is_a_new_socket_of_the_same_address():
    port = _free_port()
    stand_in = PerWorkerSocket("127.0.0.1", port)
    first, second = pickle.loads(pickle.dumps(stand_in)), pickle.loads(pickle.dumps(stand_in))
    try:
        assert isinstance(first, socket.socket) and isinstance(second, socket.socket)
        assert first.fileno() != second.fileno()
        assert first.getsockname() == second.getsockname() == ("127.0.0.1", port)
        assert first.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        first.listen()
        second.listen()  # both listen: the kernel spreads connections over the two
        for _ in range(20):
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                pass
        accepted = []
        for sock in (first, second):
            accepted.append(0)
            sock.setblocking(False)
            while True:
                try:
                    sock.accept()[0].close()
                except BlockingIOError:
                    break
                accepted[-1] += 1
        # Every connection reached one of them, and both got some (all 20 on one socket has
        # a chance of 2 in a million with a fair hash).
        assert sum(accepted) == 20 and min(accepted) > 0, accepted
    finally:
        first.close()
        second.close()


def test_an_address_in_use_is_refused_even_by_a_reuse_port_group():
    port = _free_port()
    check_address_free("127.0.0.1", port)  # free: no error
    other = bind_reuse_port("127.0.0.1", port)  # another server's worker, listening
    other.listen()
    try:
        with pytest.raises(OSError):
            check_address_free("127.0.0.1", port)
    finally:
        other.close()
    plain = socket.socket()
    plain.bind(("127.0.0.1", port))
    plain.listen()
    try:
        with pytest.raises(OSError):
            check_address_free("127.0.0.1", port)
    finally:
        plain.close()


def test_cnht_serve_names_the_port_in_use(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from api.cli import app as cli
    from api.settings import get_settings

    port = _free_port()
    busy = socket.socket()
    busy.bind(("127.0.0.1", port))
    busy.listen()
    monkeypatch.setenv("CNHT_DATABASE_URL", f"sqlite:///{tmp_path / 'busy.db'}")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve", "--port", str(port), "--workers", "2"])
    finally:
        busy.close()
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.output and "--port" in result.output
