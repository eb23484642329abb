"""ICMP echo with a payload, seen through a raw socket. The kernel answers the echo itself; this only watches."""

from __future__ import annotations

import socket

from canary_scan import canaries_in_icmp_payload
from limits import DATAGRAM_BYTES
from record_store import RecordStore

ICMP_ECHO_REQUEST = 8
ICMP_HEADER_BYTES = 8


def open_icmp(bind: str) -> socket.socket:
    """Needs CAP_NET_RAW. Bound to an address, the socket sees only packets addressed to it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    if bind not in ("", "0.0.0.0"):
        sock.bind((bind, 0))
    return sock


def echo_request_payload(packet: bytes) -> bytes | None:
    """The payload of an IPv4 ICMP echo request, or None for anything else (replies included, malformed)."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    header_len = (packet[0] & 0x0F) * 4
    if header_len < 20 or len(packet) < header_len + ICMP_HEADER_BYTES:
        return None
    if packet[header_len] != ICMP_ECHO_REQUEST:
        return None
    return packet[header_len + ICMP_HEADER_BYTES :]


def serve_icmp(sock: socket.socket, store: RecordStore) -> None:
    while True:
        try:
            packet, (source, _port) = sock.recvfrom(DATAGRAM_BYTES)
        except OSError:
            continue
        payload = echo_request_payload(packet)
        if payload:
            store.add(canaries_in_icmp_payload(payload), "icmp", source)
