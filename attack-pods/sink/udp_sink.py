"""The sink's UDP listener: record every datagram; send nothing back."""

from __future__ import annotations

import socket

from canary_scan import canaries_in
from limits import DATAGRAM_BYTES
from record_store import RecordStore


def open_udp(bind: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((bind, port))
    return sock


def serve_udp(sock: socket.socket, store: RecordStore) -> None:
    while True:
        try:
            data, (source, _port) = sock.recvfrom(DATAGRAM_BYTES)
        except OSError:
            continue
        store.add(canaries_in(data), "udp", source)
