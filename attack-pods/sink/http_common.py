"""Pieces shared by the sink's HTTP listeners: a threaded server that keeps quiet, and body reading."""

from __future__ import annotations

import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from limits import CLIENT_IDLE_SECONDS, HTTP_BODY_BYTES, LISTEN_BACKLOG


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Python's default backlog of 5 stalls concurrent attempts for a second each.
    request_queue_size = LISTEN_BACKLOG

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up mid-request is normal for attack traffic; never print a traceback.
        return


class AnyMethodHandler(BaseHTTPRequestHandler):
    """Dispatches every method (GET, POST, PROPFIND, anything) to `handle_any`."""

    protocol_version = "HTTP/1.1"
    timeout = CLIENT_IDLE_SECONDS

    def __getattr__(self, name: str) -> object:
        if name.startswith("do_"):
            return self.handle_any
        raise AttributeError(name)

    def handle_any(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def log_message(self, format: str, *args: object) -> None:
        # Records go to stdout as JSON lines; the default access log on stderr is noise.
        return

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            return b""
        length = max(0, min(length, HTTP_BODY_BYTES))
        try:
            return self.rfile.read(length)
        except (OSError, socket.timeout):
            return b""

    def _read_chunked(self) -> bytes:
        body = bytearray()
        try:
            while len(body) < HTTP_BODY_BYTES:
                size_line = self.rfile.readline(64)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline(64)
                    break
                body += self.rfile.read(size)
                self.rfile.readline(64)
        except (OSError, ValueError, socket.timeout):
            pass
        return bytes(body)

    def head_bytes(self) -> bytes:
        """The request line and headers, as they arrived."""
        return (self.requestline + "\r\n" + str(self.headers)).encode("latin-1", "replace")

    def reply(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
