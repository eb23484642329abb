"""The sink's memory: every canary that arrived, with protocol, source and time. Thread-safe."""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TextIO


@dataclass(frozen=True)
class SinkRecord:
    canary: str
    protocol: str  # http | tcp | udp | icmp | dns
    source: str
    at: str
    listener: str  # which listener took it (e.g. `metadata` for the emulated cloud endpoint)

    def to_json(self) -> dict[str, str]:
        return {
            "canary": self.canary,
            "protocol": self.protocol,
            "from": self.source,
            "at": self.at,
            "listener": self.listener,
        }


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RecordStore:
    def __init__(self, log: TextIO = sys.stdout) -> None:
        self._lock = threading.Lock()
        self._records: list[SinkRecord] = []
        self._log = log

    def add(self, canaries: list[str], protocol: str, source: str, listener: str | None = None) -> None:
        at = now_iso()
        for canary in canaries:
            record = SinkRecord(canary, protocol, source, at, listener or protocol)
            with self._lock:
                self._records.append(record)
                # One JSON line per record, written under the lock so lines never interleave.
                self._log.write(json.dumps({"event": "canary", **record.to_json()}) + "\n")
                self._log.flush()

    def for_canary(self, canary: str) -> list[SinkRecord]:
        with self._lock:
            return [r for r in self._records if r.canary == canary]

    def all(self) -> list[SinkRecord]:
        with self._lock:
            return list(self._records)

    def reset(self) -> int:
        with self._lock:
            cleared = len(self._records)
            self._records.clear()
            return cleared
