"""An emulated cloud metadata endpoint (EG7): answers like AWS IMDS with a fake role and records canaries."""

from __future__ import annotations

import json

from canary_scan import canaries_in
from http_common import AnyMethodHandler, QuietServer
from record_store import RecordStore

FAKE_ROLE = "breachmatrix-fake-role"
META = "/latest/meta-data/"
CREDENTIALS = META + "iam/security-credentials/"


def _fake_credentials() -> bytes:
    # Obviously fake values: proof of reach, never something that works anywhere.
    return json.dumps(
        {
            "Code": "Success",
            "Type": "AWS-HMAC",
            "AccessKeyId": "BREACHMATRIXFAKEKEY",
            "SecretAccessKey": "breachmatrix-fake-secret",
            "Token": "breachmatrix-fake-token",
        }
    ).encode()


def make_metadata_sink(bind: str, port: int, store: RecordStore) -> QuietServer:
    class Handler(AnyMethodHandler):
        def handle_any(self) -> None:
            body = self.read_body()
            store.add(
                canaries_in(self.head_bytes() + b"\r\n" + body), "http", self.client_address[0], "metadata"
            )
            path = self.path.split("?", 1)[0]
            if self.command == "PUT" and path == "/latest/api/token":
                self.reply(200, b"breachmatrix-fake-imdsv2-token")
            elif path in (META, CREDENTIALS, CREDENTIALS.rstrip("/")):
                self.reply(200, FAKE_ROLE.encode())
            elif path == CREDENTIALS + FAKE_ROLE:
                self.reply(200, _fake_credentials(), "application/json")
            else:
                self.reply(404, b"not found")

    return QuietServer((bind, port), Handler)
