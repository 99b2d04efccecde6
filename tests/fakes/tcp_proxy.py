"""A TCP forwarder on loopback that a test can cut and restore, to take a real database away from Baton.

`TcpProxy(host, port)` listens on 127.0.0.1:0 and forwards every connection to host:port, one thread
each way. `cut()` closes every open connection (both ends) and from then on closes each new one as soon
as it is accepted, before anything reaches the target: to a client this is a server that hangs up, the
way a database that has gone away or a dropped network path looks. `restore()` forwards again.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

_CHUNK = 64 * 1024


class TcpProxy:
    """127.0.0.1:<port> -> target; `with TcpProxy(...) as proxy:` starts it and closes it after."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = self._listener.getsockname()[:2]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._is_cut = False
        self._is_closed = False
        self._accepted = 0
        self._refused = 0
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"tcp-proxy-{self.port}", daemon=True)
        self._acceptor.start()

    # -- what tests use ---------------------------------------------------------------------------------

    def cut(self) -> None:
        """Hang up every open connection and every new one until `restore()`."""
        with self._lock:
            self._is_cut = True
            doomed = list(self._open)
            self._open.clear()
        for sock in doomed:
            _hang_up(sock)

    def restore(self) -> None:
        """Forward new connections again (the ones cut stay closed: clients must reconnect)."""
        with self._lock:
            self._is_cut = False

    @property
    def is_cut(self) -> bool:
        with self._lock:
            return self._is_cut

    @property
    def accepted(self) -> int:
        """Connections accepted so far, forwarded or not."""
        with self._lock:
            return self._accepted

    @property
    def refused(self) -> int:
        """Connections hung up on arrival because the proxy was cut."""
        with self._lock:
            return self._refused

    @property
    def open_connections(self) -> int:
        """Sockets (client and target ends) being forwarded right now."""
        with self._lock:
            return len(self._open)

    def close(self) -> None:
        """Stop listening and hang up everything; idempotent."""
        with self._lock:
            if self._is_closed:
                return
            self._is_closed = True
            self._is_cut = True
        self.cut()
        # accept() does not wake when another thread closes the socket on every platform: knock once.
        with contextlib.suppress(OSError):
            socket.create_connection((self.host, self.port), timeout=1).close()
        self._acceptor.join(timeout=5)
        self._listener.close()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- forwarding -------------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._accepted += 1
                if self._is_closed:
                    _hang_up(client)
                    return
                hang_up = self._is_cut
                if hang_up:
                    self._refused += 1
            if hang_up:
                _hang_up(client)
                continue
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            _hang_up(client)
            return
        upstream.settimeout(None)
        with self._lock:
            if self._is_cut:  # cut while we were connecting
                self._refused += 1
                hang_up = True
            else:
                self._open.update((client, upstream))
                hang_up = False
        if hang_up:
            _hang_up(client)
            _hang_up(upstream)
            return
        threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(_CHUNK)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            _hang_up(source)
            _hang_up(sink)


def _hang_up(sock: socket.socket) -> None:
    """Close at once, waking any thread blocked in recv() on it."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
