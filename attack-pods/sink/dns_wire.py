"""Just enough of the DNS wire format (RFC 1035) to read one question and write an authoritative answer."""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

TYPE_A = 1
TYPE_TXT = 16
CLASS_IN = 1
RCODE_NOERROR = 0
RCODE_FORMERR = 1
RCODE_NXDOMAIN = 3
RCODE_NOTIMP = 4
RCODE_REFUSED = 5

_HEADER = struct.Struct("!HHHHHH")
_FLAG_QR = 0x8000
_FLAG_AA = 0x0400
_FLAG_RD = 0x0100
_OPCODE_MASK = 0x7800
_MAX_POINTER_HOPS = 16
# Every answer has TTL 0: each query must reach the sink, never a resolver's cache.
ANSWER_TTL = 0


class DnsFormatError(Exception):
    pass


@dataclass(frozen=True)
class Question:
    name: str  # dotted, as received (case kept), no trailing dot
    qtype: int
    qclass: int
    end: int  # offset just past the question in the message


@dataclass(frozen=True)
class Query:
    ident: int
    flags: int
    question: Question | None  # None when the header is readable but the question is not


def read_name(message: bytes, offset: int) -> tuple[str, int]:
    """A possibly compressed name at `offset`; returns the name and the offset after it."""
    labels: list[str] = []
    end: int | None = None
    hops = 0
    while True:
        if offset >= len(message):
            raise DnsFormatError("name runs past the message")
        length = message[offset]
        if length == 0:
            offset += 1
            break
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(message):
                raise DnsFormatError("truncated pointer")
            hops += 1
            if hops > _MAX_POINTER_HOPS:
                raise DnsFormatError("pointer loop")
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | message[offset + 1]
            continue
        if length & 0xC0:
            raise DnsFormatError("unsupported label type")
        label = message[offset + 1 : offset + 1 + length]
        if len(label) != length:
            raise DnsFormatError("label runs past the message")
        labels.append(label.decode("ascii", "replace"))
        offset += 1 + length
    return ".".join(labels), (end if end is not None else offset)


def parse_query(message: bytes) -> Query:
    """Raises DnsFormatError only when even the header is unreadable (nothing can be answered then)."""
    if len(message) < _HEADER.size:
        raise DnsFormatError("shorter than a header")
    ident, flags, qdcount, _an, _ns, _ar = _HEADER.unpack_from(message)
    if qdcount != 1:
        return Query(ident, flags, None)
    try:
        name, offset = read_name(message, _HEADER.size)
    except DnsFormatError:
        return Query(ident, flags, None)
    if offset + 4 > len(message):
        return Query(ident, flags, None)
    qtype, qclass = struct.unpack_from("!HH", message, offset)
    return Query(ident, flags, Question(name, qtype, qclass, offset + 4))


def is_response(query: Query) -> bool:
    return bool(query.flags & _FLAG_QR)


def opcode(query: Query) -> int:
    return (query.flags & _OPCODE_MASK) >> 11


def encode_name(name: str) -> bytes:
    out = bytearray()
    for label in name.split(".") if name else []:
        raw = label.encode("ascii", "replace")[:63]
        out += bytes([len(raw)]) + raw
    return bytes(out + b"\x00")


def a_rdata(ip: str) -> bytes:
    return ipaddress.IPv4Address(ip).packed


def txt_rdata(text: str) -> bytes:
    raw = text.encode()[:255]
    return bytes([len(raw)]) + raw


def build_response(query: Query, rcode: int, answers: list[tuple[int, bytes]], authoritative: bool) -> bytes:
    """A response echoing the question; `answers` are (type, rdata) for the question's name."""
    flags = _FLAG_QR | (query.flags & (_OPCODE_MASK | _FLAG_RD)) | (rcode & 0x0F)
    if authoritative:
        flags |= _FLAG_AA
    question = query.question
    if question is None:
        return _HEADER.pack(query.ident, flags, 0, 0, 0, 0)
    body = bytearray(encode_name(question.name) + struct.pack("!HH", question.qtype, question.qclass))
    for rtype, rdata in answers:
        # 0xC00C: a pointer to the question's name, right after the 12-byte header.
        body += struct.pack("!HHHIH", 0xC00C, rtype, CLASS_IN, ANSWER_TTL, len(rdata)) + rdata
    return _HEADER.pack(query.ident, flags, 1, len(answers), 0, 0) + bytes(body)
