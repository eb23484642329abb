"""Authoritative DNS for the exfiltration zone over UDP and TCP: A → the sink's address, TXT → `ok`.

Every query name is scanned for canaries (the DNS tunnel, EG2), whatever the zone or type.
"""

from __future__ import annotations

import socket
import socketserver
import struct

import dns_wire
from canary_scan import canaries_in_name
from limits import CLIENT_IDLE_SECONDS, DATAGRAM_BYTES, DNS_TCP_MESSAGE_BYTES
from record_store import RecordStore
from tcp_sink import QuietTcpServer


class DnsResponder:
    def __init__(self, zone: str, answer_ip: str, store: RecordStore) -> None:
        self.zone = zone.lower().strip(".")
        self.answer_ip = answer_ip
        self.store = store

    def in_zone(self, name: str) -> bool:
        lowered = name.lower().strip(".")
        return lowered == self.zone or lowered.endswith("." + self.zone)

    def respond(self, message: bytes, source: str) -> bytes | None:
        """The reply to one message, or None when it deserves none (unreadable, or itself a response)."""
        try:
            query = dns_wire.parse_query(message)
        except dns_wire.DnsFormatError:
            return None
        if dns_wire.is_response(query):
            return None
        question = query.question
        if question is None:
            return dns_wire.build_response(query, dns_wire.RCODE_FORMERR, [], False)
        self.store.add(canaries_in_name(question.name), "dns", source)
        if dns_wire.opcode(query) != 0:
            return dns_wire.build_response(query, dns_wire.RCODE_NOTIMP, [], False)
        if not self.in_zone(question.name):
            return dns_wire.build_response(query, dns_wire.RCODE_REFUSED, [], False)
        if question.qclass != dns_wire.CLASS_IN:
            return dns_wire.build_response(query, dns_wire.RCODE_REFUSED, [], True)
        if question.qtype == dns_wire.TYPE_A:
            answers = [(dns_wire.TYPE_A, dns_wire.a_rdata(self.answer_ip))]
        elif question.qtype == dns_wire.TYPE_TXT:
            answers = [(dns_wire.TYPE_TXT, dns_wire.txt_rdata("ok"))]
        else:
            answers = []  # the name exists, the type does not: NOERROR, no data
        return dns_wire.build_response(query, dns_wire.RCODE_NOERROR, answers, True)


def serve_dns_udp(sock: socket.socket, responder: DnsResponder) -> None:
    while True:
        try:
            message, address = sock.recvfrom(DATAGRAM_BYTES)
            reply = responder.respond(message, address[0])
            if reply is not None:
                sock.sendto(reply, address)
        except OSError:
            continue


def _recv_exact(conn: socket.socket, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def make_dns_tcp(bind: str, port: int, responder: DnsResponder) -> QuietTcpServer:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            conn: socket.socket = self.request
            conn.settimeout(CLIENT_IDLE_SECONDS)
            try:
                # Several length-prefixed queries may share one connection.
                while True:
                    prefix = _recv_exact(conn, 2)
                    if prefix is None:
                        return
                    (length,) = struct.unpack("!H", prefix)
                    message = _recv_exact(conn, min(length, DNS_TCP_MESSAGE_BYTES))
                    if message is None:
                        return
                    reply = responder.respond(message, self.client_address[0])
                    if reply is None:
                        return
                    conn.sendall(struct.pack("!H", len(reply)) + reply)
            except (OSError, socket.timeout):
                return

    return QuietTcpServer((bind, port), Handler)
