"""Idempotency-Key, exactly once, enforced by DynamoDB.

A request with an `Idempotency-Key` header gets an `Idempotency` object. The operation
writes the record of its response *inside its own transaction* (`record_item`), with the
condition that no live record exists: the effect and its record commit together or not at
all, so a crash between "did it" and "remembered it" cannot happen, and of two racing
retries exactly one commits. The loser's transaction fails on the record's condition and
the request is answered from the stored record (`Replay`).

Business refusals (a 409 such as SOLD_OUT) are stored too, after the fact, so a retry gets
the first answer. The same key with another request (method, path or body) is
`IdempotencyMismatch`. Records expire after `idempotency_ttl_seconds`.

This module owns the `IDEM#` key format.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import dynamo
from chalicelib.errors import IdempotencyMismatch, ValidationFailed
from chalicelib.indexes import ITEM_ABSENT

KEY_MAX_LENGTH = 128
LIVE_RECORD_ABSENT = f"{ITEM_ABSENT} OR #expires_at < :now_epoch"


class Replay(Exception):
    """The transaction lost to an earlier request with the same key: answer from its record."""


def scope_prefix(scope: str) -> str:
    """The start of the partition keys of every record of one caller (a user id): chalicelib/privacy."""
    return f"IDEM#{scope}#"


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any


@dataclass(frozen=True)
class Idempotency:
    scope: str          # who sent it: the caller's user id
    key: str            # the client's Idempotency-Key
    fingerprint: str    # what was asked: method, path and body
    now: datetime
    status: int         # the status the endpoint answers on success
    ttl_seconds: int

    @property
    def item_key(self) -> dict[str, str]:
        return {"PK": f"{scope_prefix(self.scope)}{self.key}", "SK": "IDEM"}

    def _record(self, status: int, body: Any) -> dict[str, Any]:
        now_epoch = int(self.now.timestamp())
        return {
            **self.item_key,
            "fingerprint": self.fingerprint,
            "status": status,
            "body": json.dumps(body, separators=(",", ":"), ensure_ascii=False),
            "expires_at": now_epoch + self.ttl_seconds,
            "ttl": now_epoch + self.ttl_seconds,
        }

    def record_item(self, body: Any) -> dict[str, Any]:
        """The TransactWriteItems entry that records a success; add it to the operation's transaction."""
        return dynamo.tx_put(
            self._record(self.status, body), LIVE_RECORD_ABSENT,
            names={"#expires_at": "expires_at"},
            vals=dynamo.values(now_epoch=int(self.now.timestamp())),
        )

    def lookup(self) -> StoredResponse | None:
        """The stored response for this key, if a live one exists; mismatch if it answered another request."""
        record = dynamo.get(self.item_key, consistent=True)
        if record is None or record["expires_at"] < int(self.now.timestamp()):
            return None
        if record["fingerprint"] != self.fingerprint:
            raise IdempotencyMismatch()
        return StoredResponse(status=record["status"], body=json.loads(record["body"]))

    def remember_refusal(self, status: int, body: Any) -> StoredResponse:
        """Store a business refusal unless a record already exists; return what is stored."""
        try:
            dynamo.put(
                self._record(status, body), LIVE_RECORD_ABSENT,
                names={"#expires_at": "expires_at"},
                vals=dynamo.values(now_epoch=int(self.now.timestamp())),
            )
        except dynamo.ConditionFailed:
            stored = self.lookup()
            if stored is not None:
                return stored
        return StoredResponse(status=status, body=body)


RECORD = "idempotency_record"  # the record's name among a transaction's items


def transact(items: dict[str, dict[str, Any]], idem: Idempotency | None, body: Any) -> None:
    """Run the named transaction `items` (dynamo.transact) with, when the request carried an
    Idempotency-Key, the record of `body` as its response. If the record lost to an earlier
    request with the same key, raise Replay (web answers from that record); any other
    refusal is the caller's `dynamo.ConditionFailed`, with the record not among its names."""
    if idem is not None:
        items = {**items, RECORD: idem.record_item(body)}
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        if RECORD in exc.failed:
            raise Replay() from exc
        raise


def record_response(idem: Idempotency, body: Any) -> None:
    """Record the response of an operation made of many transactions (grants, code batches)
    after its effects, each exactly-once by its own key; a racing request with the same key
    that recorded first wins, and Replay answers from its record."""
    transact({}, idem, body)


def fingerprint(method: str, path: str, raw_body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), raw_body or b""):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def validate_key(key: str) -> str:
    if not (1 <= len(key) <= KEY_MAX_LENGTH) or not key.isprintable() or "#" in key:
        raise ValidationFailed(
            f"Idempotency-Key must be 1-{KEY_MAX_LENGTH} printable characters without '#'.",
            [{"field": "Idempotency-Key", "message": "invalid"}],
        )
    return key
