"""Identifiers: time-ordered, URL-safe, 26 characters (the ULID layout).

48 bits of milliseconds then 80 random bits, in Crockford base32, so that ids sort by
creation time: a DynamoDB sort key made of them lists newest last, with no extra index.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import zlib

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{26}$"


def new_id(now_ms: int | None = None) -> str:
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    return _encode((ms << 80) | secrets.randbits(80))


def derived_id(seed: str, at_ms: int) -> str:
    """A deterministic id for an effect that must happen once (a coupon granted for one
    payment and rule): the same seed and time always give the same id, so a retried write
    meets its own earlier result through `attribute_not_exists`."""
    return _encode((at_ms << 80) | int.from_bytes(hashlib.sha256(seed.encode()).digest()[:10], "big"))


def shard_of(text: str, shards: int) -> int:
    """A stable shard number in [0, shards) for `text`: CRC-32, the same in every process
    (unlike `hash`), so the writer and the reader of a sharded key agree."""
    return zlib.crc32(text.encode()) % shards


def _encode(value: int) -> str:
    return "".join(CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))
