"""Threaded WSGI servers (stdlib wsgiref) for the page and for Baton's own /slack/events, each in a thread."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False  # long-polls in flight must not hold up a stop
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A page that went away mid-answer (a long-poll cancelled, a tab closed) is not an error."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        """No access log: the page polls, and Baton logs what matters itself."""


@dataclass
class RunningServer:
    """A server answering in its own thread until `stop()`."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        """Stop accepting requests and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_server(app: WsgiApp, *, host: str, port: int, name: str) -> RunningServer:
    """Bind `host:port` (0: a free port) and serve `app` in a daemon thread; OSError when the port is taken."""
    server = make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
    thread.start()
    return RunningServer(server, thread)
