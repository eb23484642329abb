"""Sizes and socket deadlines of the sink's listeners, in one place."""

# Raw TCP: read up to one line or this many bytes.
TCP_READ_BYTES = 4096
# HTTP bodies beyond this are read no further (a canary sits at the start of any sane exfil body).
HTTP_BODY_BYTES = 1 << 20
# A client that stops talking is dropped after this many seconds, so it cannot pin a thread.
CLIENT_IDLE_SECONDS = 5.0
# Largest UDP datagram / raw IP packet.
DATAGRAM_BYTES = 65535
# DNS over TCP: largest message (two-byte length prefix).
DNS_TCP_MESSAGE_BYTES = 65535

# Pending connections each listener queues (socket listen backlog).
LISTEN_BACKLOG = 128
