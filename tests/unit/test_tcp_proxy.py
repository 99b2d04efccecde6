"""The outage tests' TCP proxy forwards both ways, hangs up on cut() and forwards again after restore()."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from tests.fakes.tcp_proxy import TcpProxy

TIMEOUT = 5.0


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(4096):
            self.server.received.append(data)  # type: ignore[attr-defined]
            self.request.sendall(data.upper())


class _EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Echo)
        self.received: list[bytes] = []


@pytest.fixture
def echo() -> Iterator[_EchoServer]:
    server = _EchoServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(TIMEOUT)


@pytest.fixture
def proxy(echo: _EchoServer) -> Iterator[TcpProxy]:
    host, port = echo.server_address[:2]
    with TcpProxy(str(host), int(port)) as running:
        yield running


def connect(proxy: TcpProxy) -> socket.socket:
    return socket.create_connection((proxy.host, proxy.port), timeout=TIMEOUT)


def roundtrip(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(4096)
        if not chunk:
            break
        got += chunk
    return got


def is_hung_up(sock: socket.socket) -> bool:
    """True once the far end has closed: recv gives EOF or a reset (sending first makes a reset likely)."""
    try:
        sock.sendall(b"ping")
        return sock.recv(4096) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def test_bytes_go_through_both_ways(proxy: TcpProxy, echo: _EchoServer) -> None:
    with connect(proxy) as sock:
        assert roundtrip(sock, b"select 1") == b"SELECT 1"

    assert echo.received == [b"select 1"]
    assert proxy.port != echo.server_address[1]


def test_cut_hangs_up_an_open_connection(proxy: TcpProxy) -> None:
    with connect(proxy) as sock:
        assert roundtrip(sock, b"before") == b"BEFORE"

        proxy.cut()

        assert is_hung_up(sock)
    assert proxy.open_connections == 0


def test_while_cut_new_connections_are_hung_up_and_nothing_reaches_the_target(
    proxy: TcpProxy, echo: _EchoServer
) -> None:
    proxy.cut()

    with connect(proxy) as sock:
        assert is_hung_up(sock)

    assert proxy.refused == 1
    assert echo.received == []


def test_restore_forwards_new_connections_again(proxy: TcpProxy, echo: _EchoServer) -> None:
    proxy.cut()
    with connect(proxy) as refused:
        assert is_hung_up(refused)

    proxy.restore()

    with connect(proxy) as sock:
        assert roundtrip(sock, b"after") == b"AFTER"
    assert echo.received == [b"after"]
    assert not proxy.is_cut


def test_close_stops_listening(echo: _EchoServer) -> None:
    host, port = echo.server_address[:2]
    proxy = TcpProxy(str(host), int(port))
    address = (proxy.host, proxy.port)

    proxy.close()
    proxy.close()  # idempotent

    with pytest.raises(OSError):
        socket.create_connection(address, timeout=TIMEOUT).close()
