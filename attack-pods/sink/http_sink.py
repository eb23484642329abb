"""The sink's HTTP listener: any method, any path; the canary may be in the path, a query, a header or the body."""

from __future__ import annotations

from canary_scan import canaries_in
from http_common import AnyMethodHandler, QuietServer
from record_store import RecordStore


def make_http_sink(bind: str, port: int, store: RecordStore) -> QuietServer:
    class Handler(AnyMethodHandler):
        def handle_any(self) -> None:
            body = self.read_body()
            store.add(canaries_in(self.head_bytes() + b"\r\n" + body), "http", self.client_address[0])
            self.reply(200, b"received")

    return QuietServer((bind, port), Handler)
