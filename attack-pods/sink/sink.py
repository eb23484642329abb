"""breachmatrix exfiltration sink: the "internet" of every stack. Records every canary that arrives.

    python3 sink.py --bind 0.0.0.0 [--http-port 8080] [--tcp-port 9000] [--udp-port 9001] [--dns-port 53]
                    [--query-port 8081] [--zone exfil.test] [--answer-ip IP] [--metadata-port 80] [--no-icmp]

Port 0 lets the kernel choose; the `ready` JSON line on stdout names the ports actually bound.
Exit codes: 2 bad flags, 3 a listener could not be opened.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import signal
import socket
import sys
import threading
from collections.abc import Callable
from types import FrameType

# The sink runs from a source checkout (lab) as well as from the image: leave no __pycache__ behind.
sys.dont_write_bytecode = True

from dns_sink import DnsResponder, make_dns_tcp, serve_dns_udp
from http_sink import make_http_sink
from icmp_sink import open_icmp, serve_icmp
from metadata_sink import make_metadata_sink
from query_api import make_query_api
from record_store import RecordStore
from tcp_sink import make_tcp_sink
from udp_sink import open_udp, serve_udp

EXIT_BAD_INPUT = 2
EXIT_INFRASTRUCTURE = 3
# Defaults mirror manifests/scene.ts SCENE.sink and SCENE.exfilZone.
DEFAULTS = {"http": 8080, "tcp": 9000, "udp": 9001, "dns": 53, "query": 8081}
DEFAULT_ZONE = "exfil.test"


def port(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is outside 0-65535")
    return number


def ipv4(value: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{value!r} is not an IPv4 address") from error


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sink.py", description="breachmatrix exfiltration sink")
    parser.add_argument("--bind", type=ipv4, default="0.0.0.0", help="address every listener binds")
    parser.add_argument("--http-port", type=port, default=DEFAULTS["http"])
    parser.add_argument("--tcp-port", type=port, default=DEFAULTS["tcp"])
    parser.add_argument("--udp-port", type=port, default=DEFAULTS["udp"])
    parser.add_argument("--dns-port", type=port, default=DEFAULTS["dns"], help="UDP and TCP")
    parser.add_argument("--query-port", type=port, default=DEFAULTS["query"], help="the harness's query API")
    parser.add_argument("--query-bind", type=ipv4, help="address of the query API (default: --bind)")
    parser.add_argument("--zone", default=DEFAULT_ZONE, help="DNS zone the sink is authoritative for")
    parser.add_argument("--answer-ip", type=ipv4, help="A answer under the zone (default: the sink's address)")
    parser.add_argument("--metadata-port", type=port, help="also emulate a cloud metadata endpoint on this port")
    parser.add_argument("--metadata-bind", type=ipv4, help="address of the metadata endpoint (default: --bind)")
    parser.add_argument("--no-icmp", action="store_true", help="skip the raw ICMP listener (no CAP_NET_RAW)")
    args = parser.parse_args(argv)
    if not args.zone.strip(".") or " " in args.zone:
        parser.error(f"--zone {args.zone!r} is not a DNS name")
    return args


def own_address(bind: str) -> str:
    """The address A answers point at when --answer-ip is not given: the bound one, else the primary one."""
    if bind != "0.0.0.0":
        return bind
    try:
        # connect() on UDP only picks a route; nothing is sent.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def fail(what: str, error: OSError) -> None:
    sys.stderr.write(f"sink: cannot open {what}: {error}\n")
    sys.exit(EXIT_INFRASTRUCTURE)




def main(argv: list[str]) -> None:
    args = parse_args(argv)
    store = RecordStore()
    answer_ip = args.answer_ip or own_address(args.bind)
    responder = DnsResponder(args.zone, answer_ip, store)
    loops: list[Callable[[], None]] = []
    ports: dict[str, int] = {}

    try:
        http = make_http_sink(args.bind, args.http_port, store)
    except OSError as error:
        fail(f"HTTP on {args.bind}:{args.http_port}", error)
    try:
        tcp = make_tcp_sink(args.bind, args.tcp_port, store)
    except OSError as error:
        fail(f"TCP on {args.bind}:{args.tcp_port}", error)
    try:
        udp = open_udp(args.bind, args.udp_port)
    except OSError as error:
        fail(f"UDP on {args.bind}:{args.udp_port}", error)
    try:
        dns_udp = open_udp(args.bind, args.dns_port)
        dns_tcp = make_dns_tcp(args.bind, dns_udp.getsockname()[1], responder)
    except OSError as error:
        fail(f"DNS on {args.bind}:{args.dns_port}", error)
    query_bind = args.query_bind or args.bind
    try:
        query = make_query_api(query_bind, args.query_port, store)
    except OSError as error:
        fail(f"query API on {query_bind}:{args.query_port}", error)

    ports.update(
        http=http.server_address[1],
        tcp=tcp.server_address[1],
        udp=udp.getsockname()[1],
        dns=dns_udp.getsockname()[1],
        query=query.server_address[1],
    )
    loops += [http.serve_forever, tcp.serve_forever, dns_tcp.serve_forever, query.serve_forever]
    loops += [lambda: serve_udp(udp, store), lambda: serve_dns_udp(dns_udp, responder)]

    if args.metadata_port is not None:
        metadata_bind = args.metadata_bind or args.bind
        try:
            metadata = make_metadata_sink(metadata_bind, args.metadata_port, store)
        except OSError as error:
            fail(f"metadata endpoint on {metadata_bind}:{args.metadata_port}", error)
        ports["metadata"] = metadata.server_address[1]
        loops.append(metadata.serve_forever)

    if not args.no_icmp:
        try:
            icmp = open_icmp(args.bind)
        except OSError as error:
            fail("raw ICMP socket (needs CAP_NET_RAW; --no-icmp skips it)", error)
        loops.append(lambda: serve_icmp(icmp, store))

    for loop in loops:
        threading.Thread(target=loop, daemon=True).start()

    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ready = {
        "event": "ready",
        "bind": args.bind,
        "ports": ports,
        "zone": args.zone.strip("."),
        "answerIp": answer_ip,
        "icmp": not args.no_icmp,
    }
    sys.stdout.write(json.dumps(ready) + "\n")
    sys.stdout.flush()
    stop.wait()


if __name__ == "__main__":
    main(sys.argv[1:])
