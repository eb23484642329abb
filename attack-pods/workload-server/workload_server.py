"""breachmatrix workload server: what `frontend`, `api` and `db` run. Answers, and says who it is.

    python3 workload_server.py --name api --http-port 8080 [--http-port 9090] [--tcp-port 5432] [--bind 0.0.0.0]

HTTP: 200 on any method and path, body `workload=<name> path=<raw path>` with the request target exactly as it
arrived (path-trick attacks need to see what reached the workload), then one line `header <lower-case name>: <value>`
per request header as received (header-forgery attacks need to see what the proxies let through). TCP: a line `workload=<name>`, then the
client's first line echoed back. One JSON line per request on stdout; a `ready` line once every port is bound.
Exit codes: 2 bad flags, 3 a port could not be bound.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import signal
import socket
import socketserver
import sys
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

EXIT_INFRASTRUCTURE = 3
IDLE_SECONDS = 5.0
LINE_BYTES = 4096
BODY_BYTES = 1 << 20
# Pending connections each listener queues: the default of 5 stalls concurrent attempts for a second each.
LISTEN_BACKLOG = 128

_log_lock = threading.Lock()


def log(event: dict[str, object]) -> None:
    at = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    line = json.dumps({"at": at, **event})
    with _log_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class QuietHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Python's default backlog of 5 stalls concurrent attempts for a second each.
    request_queue_size = LISTEN_BACKLOG

    def handle_error(self, request: object, client_address: object) -> None:
        return


class QuietTcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Python's default backlog of 5 stalls concurrent attempts for a second each.
    request_queue_size = LISTEN_BACKLOG

    def handle_error(self, request: object, client_address: object) -> None:
        return


def make_http(name: str, bind: str, port: int) -> QuietHttpServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = IDLE_SECONDS

        def __getattr__(self, attribute: str) -> object:
            if attribute.startswith("do_"):
                return self.handle_any
            raise AttributeError(attribute)

        def raw_target(self) -> str:
            # http.server rewrites a leading `//` in self.path (open-redirect guard), so take the
            # request target straight from the request line: exactly what arrived, undecoded.
            words = self.requestline.split(" ")
            return words[1] if len(words) >= 2 else self.path

        def handle_any(self) -> None:
            try:
                length = max(0, min(int(self.headers.get("Content-Length", "0")), BODY_BYTES))
            except ValueError:
                length = 0
            if length:
                self.rfile.read(length)
            target = self.raw_target()
            lines = [f"workload={name} path={target}"]
            lines += [f"header {key.lower()}: {value}" for key, value in self.headers.items()]
            body = "\n".join(lines).encode("utf-8", "replace")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            log(
                {
                    "event": "http",
                    "workload": name,
                    "port": port,
                    "from": self.client_address[0],
                    "method": self.command,
                    "path": target,
                    "host": self.headers.get("Host", ""),
                    "status": 200,
                }
            )

        def log_message(self, format: str, *args: object) -> None:
            return

    return QuietHttpServer((bind, port), Handler)


def make_tcp(name: str, bind: str, port: int) -> QuietTcpServer:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            conn: socket.socket = self.request
            conn.settimeout(IDLE_SECONDS)
            received = bytearray()
            try:
                conn.sendall(f"workload={name}\n".encode())
                while len(received) < LINE_BYTES and b"\n" not in received:
                    chunk = conn.recv(LINE_BYTES - len(received))
                    if not chunk:
                        break
                    received += chunk
                first_line = bytes(received).split(b"\n", 1)[0]
                if first_line:
                    conn.sendall(first_line + b"\n")
            except (OSError, socket.timeout):
                first_line = bytes(received).split(b"\n", 1)[0]
            log(
                {
                    "event": "tcp",
                    "workload": name,
                    "port": port,
                    "from": self.client_address[0],
                    "line": first_line.decode("utf-8", "replace"),
                }
            )

    return QuietTcpServer((bind, port), Handler)


def port(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is outside 1-65535")
    return number


def ipv4(value: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{value!r} is not an IPv4 address") from error


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="workload_server.py", description="breachmatrix workload server")
    parser.add_argument("--name", required=True, help="workload name reported in every answer")
    parser.add_argument("--http-port", type=port, action="append", default=[], help="repeatable")
    parser.add_argument("--tcp-port", type=port, action="append", default=[], help="repeatable")
    parser.add_argument("--bind", type=ipv4, default="0.0.0.0")
    args = parser.parse_args(argv)
    if not args.http_port and not args.tcp_port:
        parser.error("give at least one --http-port or --tcp-port")

    servers: list[socketserver.BaseServer] = []
    for kind, ports, make in (("HTTP", args.http_port, make_http), ("TCP", args.tcp_port, make_tcp)):
        for number in ports:
            try:
                servers.append(make(args.name, args.bind, number))
            except OSError as error:
                sys.stderr.write(f"workload_server: cannot bind {kind} {args.bind}:{number}: {error}\n")
                sys.exit(EXIT_INFRASTRUCTURE)
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()

    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log({"event": "ready", "workload": args.name, "httpPorts": args.http_port, "tcpPorts": args.tcp_port})
    stop.wait()


if __name__ == "__main__":
    main(sys.argv[1:])
