"""Calling Baton's WSGI app in-process, as a server would: no socket, the whole answer in hand."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any


class WsgiAnswer:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = int(status.split()[0])
        self.header_list = headers
        self.headers = {name.lower(): value for name, value in headers}
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def cookies(self) -> dict[str, str]:
        """name -> value of every Set-Cookie header."""
        found = {}
        for name, value in self.header_list:
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                found[key.strip()] = val.strip()
        return found


def call(
    app: Any,
    path: str,
    *,
    method: str = "GET",
    body: str = "",
    query: str = "",
    headers: dict[str, str] | None = None,
) -> WsgiAnswer:
    """One request through a WSGI app; `headers` as HTTP names (Content-Type, Cookie, X-Request-Id…)."""
    data = body.encode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "3000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
        "wsgi.url_scheme": "http",
    }
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    seen: list[Any] = []

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen.extend([status, response_headers])

    chunks: Iterable[bytes] = app(environ, start_response)
    return WsgiAnswer(seen[0], seen[1], b"".join(chunks))
