"""Finding canaries in whatever arrived. The harness makes canaries as `bm` + 16 lowercase hex chars."""

from __future__ import annotations

import re
from collections import Counter

CANARY_RE = re.compile(rb"bm[0-9a-f]{16}")

# iputils `ping -p` repeats its pattern from the first payload byte (the timestamp then overwrites the
# start), so the canary's 8 random bytes show up at offsets that are multiples of 8.
PING_PATTERN_BYTES = 8


def canaries_in(data: bytes) -> list[str]:
    """Every distinct canary token in `data`, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in CANARY_RE.finditer(data):
        seen.setdefault(match.group(0).decode("ascii"), None)
    return list(seen)


def canaries_in_name(name: str) -> list[str]:
    """DNS names are case-insensitive and resolvers may randomise case (0x20), so match lowercased."""
    return canaries_in(name.lower().encode("ascii", "replace"))


def canary_from_ping_pattern(payload: bytes) -> str | None:
    """The canary carried as `ping -p <16 hex>`: an 8-byte chunk repeated at aligned offsets.

    A chunk counts only when it appears at least twice, back to back, so random payload bytes and the
    timestamp never produce a canary.
    """
    chunks = [
        payload[i : i + PING_PATTERN_BYTES]
        for i in range(0, len(payload) - PING_PATTERN_BYTES + 1, PING_PATTERN_BYTES)
    ]
    repeated: Counter[bytes] = Counter()
    for first, second in zip(chunks, chunks[1:]):
        if first == second:
            repeated[first] += 1
    if not repeated:
        return None
    chunk, _ = repeated.most_common(1)[0]
    return "bm" + chunk.hex()


def canaries_in_icmp_payload(payload: bytes) -> list[str]:
    """ASCII canaries anywhere in the payload, then the one a `ping -p` pattern carries."""
    found = canaries_in(payload)
    from_pattern = canary_from_ping_pattern(payload)
    if from_pattern is not None and from_pattern not in found:
        found.append(from_pattern)
    return found
