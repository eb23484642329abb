"""The sink's raw TCP listener: read up to a line or 4 KiB, record, answer `ok`."""

from __future__ import annotations

import socket
import socketserver

from canary_scan import canaries_in
from limits import CLIENT_IDLE_SECONDS, LISTEN_BACKLOG, TCP_READ_BYTES
from record_store import RecordStore


class QuietTcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Python's default backlog of 5 stalls concurrent attempts for a second each.
    request_queue_size = LISTEN_BACKLOG

    def handle_error(self, request: object, client_address: object) -> None:
        return


def read_line(conn: socket.socket, limit: int) -> bytes:
    """Bytes up to the first newline, `limit` bytes, EOF or the idle deadline, whichever comes first."""
    data = bytearray()
    conn.settimeout(CLIENT_IDLE_SECONDS)
    try:
        while len(data) < limit and b"\n" not in data:
            chunk = conn.recv(limit - len(data))
            if not chunk:
                break
            data += chunk
    except (socket.timeout, OSError):
        pass
    return bytes(data)


def make_tcp_sink(bind: str, port: int, store: RecordStore) -> QuietTcpServer:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            conn: socket.socket = self.request
            data = read_line(conn, TCP_READ_BYTES)
            store.add(canaries_in(data), "tcp", self.client_address[0])
            try:
                conn.sendall(b"ok\n")
            except OSError:
                pass

    return QuietTcpServer((bind, port), Handler)
