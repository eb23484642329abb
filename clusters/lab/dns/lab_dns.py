"""The lab's kube-dns: answers A queries for cluster names from a JSON records file (re-read when it changes),
forwards one zone (the sink's exfil zone) to an upstream, and says NXDOMAIN to everything else — the lab has no
internet. Standard library only.

Usage: lab_dns.py --bind ADDR --port 53 --records FILE --forward-zone exfil.test --forward ADDR:PORT
Records file: {"names": {"api.bm-app.svc.cluster.local": ["10.244.1.3"], ...}}
"""
import argparse
import json
import os
import socket
import struct
import sys
import threading

TYPE_A = 1
CLASS_IN = 1
RCODE_NXDOMAIN = 3
RCODE_SERVFAIL = 2
RCODE_FORMERR = 1


class Records:
    def __init__(self, path):
        self.path = path
        self.mtime = None
        self.names = {}
        self.lock = threading.Lock()

    def lookup(self, name):
        with self.lock:
            try:
                mtime = os.stat(self.path).st_mtime_ns
            except OSError:
                mtime = None
            if mtime != self.mtime:
                self.mtime = mtime
                try:
                    with open(self.path, encoding="utf-8") as handle:
                        self.names = {k.lower(): v for k, v in json.load(handle).get("names", {}).items()}
                except (OSError, ValueError):
                    self.names = {}
            return self.names.get(name)


def parse_question(packet):
    """Returns (name, qtype, end offset) of the first question, or None when the packet is malformed."""
    if len(packet) < 12:
        return None
    offset = 12
    labels = []
    while True:
        if offset >= len(packet):
            return None
        length = packet[offset]
        offset += 1
        if length == 0:
            break
        if length & 0xC0:
            return None
        labels.append(packet[offset:offset + length].decode("ascii", "replace"))
        offset += length
    if offset + 4 > len(packet):
        return None
    qtype = struct.unpack("!H", packet[offset:offset + 2])[0]
    return ".".join(labels).lower(), qtype, offset + 4


def answer(packet, question_end, rcode, addresses, qtype):
    ident, flags = struct.unpack("!HH", packet[:4])
    reply_flags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode
    body = packet[12:question_end]
    records = b""
    count = 0
    if rcode == 0 and qtype == TYPE_A:
        for address in addresses:
            records += struct.pack("!HHHIH", 0xC00C, TYPE_A, CLASS_IN, 5, 4) + socket.inet_aton(address)
            count += 1
    return struct.pack("!HHHHHH", ident, reply_flags, 1, count, 0, 0) + body + records


def forward(packet, upstream):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2.0)
        sock.sendto(packet, upstream)
        data, _ = sock.recvfrom(4096)
        return data


def resolve(packet, records, zone, upstream):
    question = parse_question(packet)
    if question is None:
        if len(packet) >= 4:
            ident = struct.unpack("!H", packet[:2])[0]
            return struct.pack("!HHHHHH", ident, 0x8000 | RCODE_FORMERR, 0, 0, 0, 0)
        return None
    name, qtype, end = question
    print(f"query {name} type {qtype}", flush=True)
    if zone and (name == zone or name.endswith("." + zone)):
        try:
            return forward(packet, upstream)
        except OSError as error:
            print(f"forward {name} failed: {error}", flush=True)
            return answer(packet, end, RCODE_SERVFAIL, [], qtype)
    addresses = records.lookup(name)
    if addresses is None:
        return answer(packet, end, RCODE_NXDOMAIN, [], qtype)
    return answer(packet, end, 0, addresses, qtype)


def serve_udp(sock, records, zone, upstream):
    while True:
        packet, client = sock.recvfrom(4096)
        threading.Thread(target=lambda p=packet, c=client: reply_udp(sock, p, c, records, zone, upstream), daemon=True).start()


def reply_udp(sock, packet, client, records, zone, upstream):
    reply = resolve(packet, records, zone, upstream)
    if reply is not None:
        sock.sendto(reply, client)


def serve_tcp(sock, records, zone, upstream):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=reply_tcp, args=(conn, records, zone, upstream), daemon=True).start()


def reply_tcp(conn, records, zone, upstream):
    with conn:
        conn.settimeout(3.0)
        try:
            header = conn.recv(2)
            if len(header) < 2:
                return
            size = struct.unpack("!H", header)[0]
            packet = b""
            while len(packet) < size:
                chunk = conn.recv(size - len(packet))
                if not chunk:
                    return
                packet += chunk
            reply = resolve(packet, records, zone, upstream)
            if reply is not None:
                conn.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            return


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", required=True)
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--records", required=True)
    parser.add_argument("--forward-zone", default="")
    parser.add_argument("--forward", default="")
    args = parser.parse_args()
    upstream = None
    if args.forward:
        host, _, port = args.forward.rpartition(":")
        upstream = (host, int(port))
    records = Records(args.records)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((args.bind, args.port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((args.bind, args.port))
    tcp.listen(64)
    threading.Thread(target=serve_tcp, args=(tcp, records, args.forward_zone.lower(), upstream), daemon=True).start()
    print(json.dumps({"event": "ready", "bind": args.bind, "port": args.port}), flush=True)
    serve_udp(udp, records, args.forward_zone.lower(), upstream)


if __name__ == "__main__":
    sys.exit(main())
