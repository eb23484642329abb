"""The lab's ztunnel stand-in: one L4 proxy inside an ambient pod's network namespace (stdlib only).

Listeners (istio-cni's in-pod rules send traffic here):
  15001 outbound: the original destination comes from SO_ORIGINAL_DST (nat REDIRECT). To a Service VIP with a
        waypoint: HBONE to the waypoint, CONNECT <vip>:<port> (the waypoint applies the Service's L7 policy); to a
        VIP without one: one of its endpoints, as below. To a mesh member (a pod IP, even one behind a waypoint):
        mTLS with this pod's SPIFFE certificate to <dst>:15008 and an HTTP/1.1 CONNECT <dst>:<port> (HBONE is
        HTTP/2 CONNECT over mTLS; the lab models it as HTTP/1.1 CONNECT over mTLS). Elsewhere: passthrough.
  15006 inbound plaintext (TPROXY): PeerAuthentication STRICT refuses it; else L4 AuthorizationPolicy with an
        empty identity.
  15008 inbound HBONE (TPROXY): the peer certificate's URI SAN is the identity, then L4 AuthorizationPolicy.
Every socket this proxy opens upstream carries mark 0x3, so the in-pod rules let it through. One access line
per connection, in ztunnel's own text format (`<time>\t<level>\taccess\tconnection complete\t<k=v …>`).
The configuration file is re-read whenever it changes.
"""

import argparse
import json
import os
import random
import socket
import ssl
import struct
import sys
import threading
import time
from datetime import datetime, timezone

SO_ORIGINAL_DST = 80
SO_MARK = getattr(socket, "SO_MARK", 36)
IP_TRANSPARENT = getattr(socket, "IP_TRANSPARENT", 19)
STRICT_POLICY = "istio-system/istio_converted_static_strict"
CONNECT_TIMEOUT_S = 5.0
HANDSHAKE_TIMEOUT_S = 5.0


class Config:
    def __init__(self, path):
        self.path = path
        self.mtime = None
        self.data = {}
        self.lock = threading.Lock()
        self.refresh()

    def refresh(self):
        with self.lock:
            try:
                mtime = os.stat(self.path).st_mtime_ns
            except OSError:
                return self.data
            if mtime != self.mtime:
                with open(self.path, encoding="utf-8") as handle:
                    self.data = json.load(handle)
                self.mtime = mtime
            return self.data


class AccessLog:
    def __init__(self, path):
        self.handle = open(path, "a", encoding="utf-8")
        self.lock = threading.Lock()

    def write(self, level, fields):
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        parts = []
        for key, value in fields:
            if value is None or value == "":
                continue
            if isinstance(value, int):
                parts.append(f"{key}={value}")
            elif key.endswith(".addr") or key.endswith("_addr"):
                parts.append(f"{key}={value}")
            else:
                parts.append(f'{key}="{value}"')
        line = f"{now}\t{level}\taccess\tconnection complete\t{' '.join(parts)}\n"
        with self.lock:
            self.handle.write(line)
            self.handle.flush()


def istio_match(pattern, value):
    if pattern == "*":
        return value != ""
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern


def namespace_of(principal):
    parts = principal.split("/")
    return parts[2] if len(parts) >= 5 and parts[1] == "ns" else ""


def condition_holds(condition, principal, port):
    field = condition["field"]
    if field == "principal":
        value = principal
    elif field == "namespace":
        value = namespace_of(principal)
    elif field == "port":
        value = str(port)
    else:
        # L7 fields never reach ztunnel: the compiler already dropped or neutralised them.
        value = ""
    if field == "port":
        hit = value in condition["patterns"]
    else:
        hit = any(istio_match(p, value) for p in condition["patterns"])
    return (not hit) if condition["negate"] else hit


def first_match(policies, principal, port):
    for policy in policies:
        for rule in policy["rules"]:
            if any(all(condition_holds(c, principal, port) for c in term) for term in rule["terms"]):
                return policy["name"]
    return None


def authorize(inbound, principal, port):
    """None when allowed, else ztunnel's rejection text."""
    mode = inbound.get("portModes", {}).get(str(port), inbound.get("defaultMode", "PERMISSIVE"))
    if mode == "STRICT" and principal == "":
        return f"connection closed due to policy rejection: explicitly denied by: {STRICT_POLICY}"
    policies = inbound.get("policies", [])
    denied = first_match([p for p in policies if p["action"] == "DENY"], principal, port)
    if denied is not None:
        return f"connection closed due to policy rejection: explicitly denied by: {denied}"
    allows = [p for p in policies if p["action"] == "ALLOW"]
    if allows and first_match(allows, principal, port) is None:
        return "connection closed due to policy rejection: allow policies exist, but none allowed"
    return None


def reset(sock):
    """Close with RST, as ztunnel does on a rejection: the client sees a reset, not a clean close."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def reset_after_request(sock):
    """Reject the way a client meets ztunnel across a network: its connect has completed and its first bytes
    are out before the reset lands (curl 56). In one kernel an instant RST would beat curl's connect check
    and read as refused (curl 7), which no real ztunnel produces."""
    try:
        sock.settimeout(1.0)
        sock.recv(1, socket.MSG_PEEK)
    except (OSError, ValueError):
        pass
    reset(sock)


def upstream(address, mark):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, SO_MARK, mark)
    sock.settimeout(CONNECT_TIMEOUT_S)
    sock.connect(address)
    sock.settimeout(None)
    return sock


def pipe(a, b):
    """Copy both ways until both sides closed; returns (bytes a→b, bytes b→a)."""
    counts = [0, 0]

    def copy(src, dst, index):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                counts[index] += len(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    other = threading.Thread(target=copy, args=(b, a, 1), daemon=True)
    other.start()
    copy(a, b, 0)
    other.join()
    return counts


def read_head(sock, limit=8192):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(1)
        if not chunk:
            break
        data += chunk
        if len(data) > limit:
            break
    return data.decode("latin-1")


def peer_identity(tls_sock):
    cert = tls_sock.getpeercert() or {}
    for kind, value in cert.get("subjectAltName", ()):
        if kind == "URI" and value.startswith("spiffe://"):
            return value
    return ""


class Ztunnel:
    def __init__(self, config, log):
        self.config = config
        self.log = log

    def conf(self):
        return self.config.refresh()

    def pod_fields(self, prefix, ip, conf):
        """src.* / dst.* fields naming a workload the lab knows."""
        known = conf.get("workloads", {}).get(ip)
        if known is None:
            return []
        return [
            (f"{prefix}.service", known.get("service")),
            (f"{prefix}.workload", known.get("workload")),
            (f"{prefix}.namespace", known.get("namespace")),
        ]

    def server_context(self, conf):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(conf["certPath"], conf["keyPath"])
        ctx.load_verify_locations(conf["caPath"])
        ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx

    def client_context(self, conf):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_cert_chain(conf["certPath"], conf["keyPath"])
        ctx.load_verify_locations(conf["caPath"])
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx

    # ---- outbound -----------------------------------------------------------------------------------------

    def outbound(self, client, peer):
        conf = self.conf()
        started = time.monotonic()
        raw = client.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
        port = struct.unpack("!H", raw[2:4])[0]
        ip = socket.inet_ntoa(raw[4:8])
        me = conf["pod"]
        src = [
            ("src.addr", f"{peer[0]}:{peer[1]}"),
            ("src.workload", me["workload"]),
            ("src.namespace", me["namespace"]),
            ("src.identity", me["identity"]),
        ]
        mark = conf.get("skipMark", 3)
        service = conf.get("services", {}).get(ip)
        if service is not None:
            # Addressed to a Service VIP: through its waypoint when it has one, else to one of its endpoints.
            waypoint = service.get("waypoint")
            if waypoint is not None:
                fields = (
                    src
                    + [("dst.addr", f"{waypoint['ip']}:{conf.get('hbonePort', 15008)}"), ("dst.hbone_addr", f"{ip}:{port}")]
                    + [("dst.service", service.get("name")), ("dst.workload", waypoint.get("workload")), ("dst.namespace", waypoint.get("namespace"))]
                    + [("dst.identity", waypoint["identity"]), ("direction", "outbound")]
                )
                self.hbone(client, conf, fields, started, waypoint["ip"], f"{ip}:{port}", waypoint["identity"])
                return
            endpoints = service.get("endpoints", [])
            if not endpoints:
                fields = src + [("dst.addr", f"{ip}:{port}"), ("dst.service", service.get("name")), ("direction", "outbound")]
                self.finish("error", fields, started, (0, 0), "no healthy upstream")
                reset(client)
                return
            ip = random.choice(endpoints)
            port = service.get("targetPorts", {}).get(str(port), port)
        mesh_peer = conf.get("meshPeers", {}).get(ip)
        if mesh_peer is None:
            fields = src + [("dst.addr", f"{ip}:{port}")] + self.pod_fields("dst", ip, conf) + [("direction", "outbound")]
            try:
                server = upstream((ip, port), mark)
            except OSError as error:
                self.finish("error", fields, started, (0, 0), f"connection failed: {error.strerror or error}")
                reset(client)
                return
            counts = pipe(client, server)
            server.close()
            client.close()
            self.finish("info", fields, started, counts, None)
            return
        hbone = conf.get("hbonePort", 15008)
        fields = (
            src
            + [("dst.addr", f"{ip}:{hbone}"), ("dst.hbone_addr", f"{ip}:{port}")]
            + self.pod_fields("dst", ip, conf)
            + [("dst.identity", mesh_peer["identity"]), ("direction", "outbound")]
        )
        self.hbone(client, conf, fields, started, ip, f"{ip}:{port}", mesh_peer["identity"])

    def hbone(self, client, conf, fields, started, peer_ip, target, identity):
        """mTLS to peer_ip:15008 (the destination's ztunnel or a waypoint), CONNECT target, then relay."""
        hbone = conf.get("hbonePort", 15008)
        try:
            raw_server = upstream((peer_ip, hbone), conf.get("skipMark", 3))
            raw_server.settimeout(HANDSHAKE_TIMEOUT_S)
            server = self.client_context(conf).wrap_socket(raw_server)
            if peer_identity(server) != identity:
                raise ssl.SSLError(f"peer identity {peer_identity(server)!r} is not {identity!r}")
            server.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
            status = read_head(server).split("\r\n", 1)[0]
            server.settimeout(None)
        except (OSError, ssl.SSLError) as error:
            self.finish("error", fields, started, (0, 0), f"connection failed: {error}")
            reset(client)
            return
        if not status.startswith("HTTP/1.1 200"):
            self.finish("error", fields, started, (0, 0), f"http status: {status[len('HTTP/1.1 '):] or 'none'}")
            server.close()
            reset_after_request(client)
            return
        counts = pipe(client, server)
        server.close()
        client.close()
        self.finish("info", fields, started, counts, None)

    # ---- inbound ------------------------------------------------------------------------------------------

    def inbound_plaintext(self, client, peer):
        conf = self.conf()
        started = time.monotonic()
        local = client.getsockname()
        fields = (
            [("src.addr", f"{peer[0]}:{peer[1]}")]
            + self.pod_fields("src", peer[0], conf)
            + [("dst.addr", f"{local[0]}:{local[1]}")]
            + self.pod_fields("dst", local[0], conf)
            + [("direction", "inbound")]
        )
        self.admit(client, fields, started, conf, "", local)

    def inbound_hbone(self, client, peer):
        conf = self.conf()
        started = time.monotonic()
        local = client.getsockname()
        fields = [("src.addr", f"{peer[0]}:{peer[1]}")] + self.pod_fields("src", peer[0], conf)
        try:
            client.settimeout(HANDSHAKE_TIMEOUT_S)
            tls = self.server_context(conf).wrap_socket(client, server_side=True)
            identity = peer_identity(tls)
            head = read_head(tls)
            tls.settimeout(None)
        except (OSError, ssl.SSLError) as error:
            fields += [("dst.addr", f"{local[0]}:{local[1]}"), ("direction", "inbound")]
            self.finish("error", fields, started, (0, 0), f"tls handshake failed: {error}")
            reset(client)
            return
        target = head.split(" ")[1] if head.startswith("CONNECT ") else ""
        host, _, port_text = target.rpartition(":")
        fields = (
            fields
            + [("src.identity", identity), ("dst.addr", f"{local[0]}:{local[1]}"), ("dst.hbone_addr", target)]
            + self.pod_fields("dst", host, conf)
            + [("dst.identity", conf["pod"]["identity"]), ("direction", "inbound")]
        )
        if not port_text.isdigit() or host != conf["pod"]["ip"]:
            tls.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            self.finish("error", fields, started, (0, 0), f"unknown HBONE target {target!r}")
            reset(tls)
            return
        self.admit(tls, fields, started, conf, identity, (host, int(port_text)), hbone=True)

    def admit(self, client, fields, started, conf, identity, target, hbone=False):
        principal = identity[len("spiffe://"):] if identity.startswith("spiffe://") else identity
        rejection = authorize(conf.get("inbound", {}), principal, target[1])
        if rejection is not None:
            if hbone:
                try:
                    client.sendall(b"HTTP/1.1 401 Unauthorized\r\n\r\n")
                except OSError:
                    pass
            self.finish("error", fields, started, (0, 0), rejection)
            if hbone:
                reset(client)
            else:
                reset_after_request(client)
            return
        try:
            app = upstream((conf["pod"]["ip"], target[1]), conf.get("skipMark", 3))
        except OSError as error:
            if hbone:
                try:
                    client.sendall(b"HTTP/1.1 503 Service Unavailable\r\n\r\n")
                except OSError:
                    pass
            self.finish("error", fields, started, (0, 0), f"connection failed: {error.strerror or error}")
            reset(client)
            return
        if hbone:
            client.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
        counts = pipe(client, app)
        app.close()
        try:
            client.close()
        except OSError:
            pass
        self.finish("info", fields, started, counts, None)

    def finish(self, level, fields, started, counts, error):
        duration = int((time.monotonic() - started) * 1000)
        self.log.write(
            level,
            fields
            + [("bytes_sent", counts[0]), ("bytes_recv", counts[1]), ("duration", f"{duration}ms"), ("error", error)],
        )


def listener(port, transparent):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if transparent:
        # TPROXY only hands connections to transparent sockets.
        sock.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
    sock.bind(("0.0.0.0", port))
    sock.listen(128)
    return sock


def serve(sock, handler):
    while True:
        client, peer = sock.accept()
        threading.Thread(target=guarded, args=(handler, client, peer), daemon=True).start()


def guarded(handler, client, peer):
    try:
        handler(client, peer)
    except Exception as error:  # one broken connection must not take the proxy down
        print(f"lab-ztunnel: {handler.__name__} from {peer}: {error!r}", file=sys.stderr, flush=True)
        reset(client)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--access-log", required=True)
    args = parser.parse_args()
    config = Config(args.config)
    ztunnel = Ztunnel(config, AccessLog(args.access_log))
    ports = config.refresh()["ports"]
    sockets = [
        (listener(ports["outbound"], False), ztunnel.outbound),
        (listener(ports["inboundPlaintext"], True), ztunnel.inbound_plaintext),
        (listener(ports["inboundHbone"], True), ztunnel.inbound_hbone),
    ]
    for sock, handler in sockets:
        threading.Thread(target=serve, args=(sock, handler), daemon=True).start()
    print(json.dumps({"event": "ready", "ports": ports}), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
