"""The lab waypoint's HBONE ends (stdlib only); the L7 decision between them is HAProxy's (waypoint-haproxy-config.ts).

  15008 (the waypoint pod's IP): mTLS with the waypoint's SPIFFE certificate, the client's certificate verified
        against the lab CA; an HTTP/1.1 CONNECT <service VIP>:<port> (the lab's model of HBONE, as lab_ztunnel.py
        speaks it). A target that is no Service of this waypoint gets 400. Otherwise 200, and the inner stream goes
        to HAProxy on loopback (its HTTP or TCP frontend by the Service port's protocol) behind a PROXY v2 header:
        source = the client's address, destination = the VIP and port, unique-id TLV = the client's principal.
  upstream (loopback): HAProxy hands what it allowed back here behind PROXY v2 (destination = the VIP and port);
        this end picks one of the Service's endpoints and opens HBONE to its ztunnel (<pod>:15008, CONNECT
        <pod>:<targetPort>) with the waypoint's certificate, as Envoy's connect_originate does upstream.
The configuration file is re-read whenever it changes.
"""

import argparse
import json
import random
import socket
import ssl
import struct
import threading

from lab_ztunnel import HANDSHAKE_TIMEOUT_S, Config, listener, peer_identity, pipe, read_head, reset, serve, upstream

PROXY_V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
PP2_TYPE_UNIQUE_ID = 0x05


def recv_exact(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed before the PROXY header ended")
        data += chunk
    return data


def proxy_v2_header(source, destination, unique_id):
    """PROXY v2, PROXY command, TCP over IPv4, with the principal as a unique-id TLV."""
    body = socket.inet_aton(source[0]) + socket.inet_aton(destination[0]) + struct.pack("!HH", source[1], destination[1])
    if unique_id:
        value = unique_id.encode()
        body += struct.pack("!BH", PP2_TYPE_UNIQUE_ID, len(value)) + value
    return PROXY_V2_SIGNATURE + bytes([0x21, 0x11]) + struct.pack("!H", len(body)) + body


def read_proxy_v2(sock):
    """(source, destination) of a PROXY v2 TCP/IPv4 header; TLVs are skipped."""
    head = recv_exact(sock, 16)
    if head[:12] != PROXY_V2_SIGNATURE or head[13] != 0x11:
        raise ConnectionError("not a PROXY v2 TCP/IPv4 header")
    body = recv_exact(sock, struct.unpack("!H", head[14:16])[0])
    source = (socket.inet_ntoa(body[0:4]), struct.unpack("!H", body[8:10])[0])
    destination = (socket.inet_ntoa(body[4:8]), struct.unpack("!H", body[10:12])[0])
    return source, destination


def contexts(conf):
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(conf["certPath"], conf["keyPath"])
    server.load_verify_locations(conf["caPath"])
    server.verify_mode = ssl.CERT_REQUIRED
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_cert_chain(conf["certPath"], conf["keyPath"])
    client.load_verify_locations(conf["caPath"])
    client.check_hostname = False
    client.verify_mode = ssl.CERT_REQUIRED
    return server, client


class Waypoint:
    def __init__(self, config):
        self.config = config

    def inbound(self, client, peer):
        conf = self.config.refresh()
        client.settimeout(HANDSHAKE_TIMEOUT_S)
        try:
            tls = contexts(conf)[0].wrap_socket(client, server_side=True)
            identity = peer_identity(tls)
            head = read_head(tls)
        except (OSError, ssl.SSLError) as error:
            print(f"lab-waypoint: HBONE from {peer}: {error}", flush=True)
            reset(client)
            return
        target = head.split(" ")[1] if head.startswith("CONNECT ") else ""
        host, _, port_text = target.rpartition(":")
        service = conf.get("services", {}).get(host)
        protocol = (service or {}).get("ports", {}).get(port_text, {}).get("protocol")
        if protocol is None:
            tls.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            print(f"lab-waypoint: {peer[0]} asked for {target!r}, not a Service port of this waypoint", flush=True)
            reset(tls)
            return
        try:
            proxy = socket.create_connection(("127.0.0.1", conf["haproxy"][protocol]), timeout=HANDSHAKE_TIMEOUT_S)
            proxy.settimeout(None)
        except OSError as error:
            tls.sendall(b"HTTP/1.1 503 Service Unavailable\r\n\r\n")
            print(f"lab-waypoint: HAProxy unreachable: {error}", flush=True)
            reset(tls)
            return
        tls.settimeout(None)
        principal = identity[len("spiffe://"):] if identity.startswith("spiffe://") else identity
        proxy.sendall(proxy_v2_header(peer, (host, int(port_text)), principal))
        tls.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
        pipe(tls, proxy)
        proxy.close()
        try:
            tls.close()
        except OSError:
            pass

    def upstream(self, client, peer):
        conf = self.config.refresh()
        _, destination = read_proxy_v2(client)
        service = conf.get("services", {}).get(destination[0])
        port = (service or {}).get("ports", {}).get(str(destination[1]))
        endpoints = (service or {}).get("endpoints", [])
        if port is None or not endpoints:
            print(f"lab-waypoint: no endpoint for {destination}", flush=True)
            reset(client)
            return
        endpoint = random.choice(endpoints)
        target = f"{endpoint['ip']}:{port['targetPort']}"
        try:
            raw = upstream((endpoint["ip"], conf["hbonePort"]), conf.get("skipMark", 3))
            raw.settimeout(HANDSHAKE_TIMEOUT_S)
            server = contexts(conf)[1].wrap_socket(raw)
            if peer_identity(server) != endpoint["identity"]:
                raise ssl.SSLError(f"peer identity {peer_identity(server)!r} is not {endpoint['identity']!r}")
            server.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
            status = read_head(server).split("\r\n", 1)[0]
            server.settimeout(None)
        except (OSError, ssl.SSLError) as error:
            print(f"lab-waypoint: HBONE to {target}: {error}", flush=True)
            reset(client)
            return
        if not status.startswith("HTTP/1.1 200"):
            print(f"lab-waypoint: HBONE to {target}: {status}", flush=True)
            server.close()
            reset(client)
            return
        pipe(client, server)
        server.close()
        client.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    config = Config(args.config)
    waypoint = Waypoint(config)
    conf = config.refresh()
    inbound = listener(conf["hbonePort"], False)
    upstream_listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    upstream_listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    upstream_listener.bind(("127.0.0.1", conf["upstreamPort"]))
    upstream_listener.listen(128)
    for sock, handler in ((inbound, waypoint.inbound), (upstream_listener, waypoint.upstream)):
        threading.Thread(target=serve, args=(sock, handler), daemon=True).start()
    print(json.dumps({"event": "ready", "hbonePort": conf["hbonePort"], "upstreamPort": conf["upstreamPort"]}), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
