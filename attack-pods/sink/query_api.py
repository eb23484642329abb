"""The harness's window into the sink: GET /canaries/<canary>, GET /records, GET /healthz, POST /reset."""

from __future__ import annotations

import json
import re

from http_common import AnyMethodHandler, QuietServer
from record_store import RecordStore

_CANARY_PATH = re.compile(r"^/canaries/(bm[0-9a-f]{16})$")


def make_query_api(bind: str, port: int, store: RecordStore) -> QuietServer:
    class Handler(AnyMethodHandler):
        def handle_any(self) -> None:
            self.read_body()
            path = self.path.split("?", 1)[0]
            if self.command == "GET" and path == "/healthz":
                return self._json(200, {"status": "ok"})
            if self.command == "POST" and path == "/reset":
                return self._json(200, {"cleared": store.reset()})
            if self.command == "GET" and path == "/records":
                return self._json(200, {"records": [r.to_json() for r in store.all()]})
            if path.startswith("/canaries/"):
                match = _CANARY_PATH.match(path)
                if match is None:
                    return self._json(400, {"error": "canary must match bm[0-9a-f]{16}", "path": path})
                if self.command != "GET":
                    return self._json(405, {"error": "use GET"})
                canary = match.group(1)
                records = [r.to_json() for r in store.for_canary(canary)]
                return self._json(200, {"canary": canary, "records": records})
            self._json(404, {"error": "unknown endpoint", "path": path})

        def _json(self, status: int, value: object) -> None:
            self.reply(status, json.dumps(value).encode(), "application/json")

    return QuietServer((bind, port), Handler)
