"""Pagination cursors: opaque to clients, signed for the one list they page through.

A cursor is `<payload>.<signature>`, both base64url: the payload is the JSON object of the
last item's key attributes (all strings), the signature HMAC-SHA256 over the list it belongs
to (index, partition, key condition, key attributes) and the payload, with a key derived from
MALL_JWT_SECRET (never that secret itself). A client can read a cursor but not make or alter
one: anything but a cursor this service made for this very list is a 400, before DynamoDB
sees it (docs/architecture.md, "Pages").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from functools import lru_cache
from typing import Any, TypedDict

from chalicelib.errors import ValidationFailed
from chalicelib.settings import secret

CURSOR_KEY_CONTEXT = b"mall-cursor-v1"
_BASE64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not text or not set(text) <= _BASE64URL:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=1)
def _process_cursor_key() -> bytes:
    return os.urandom(32)


def _cursor_key() -> bytes:
    """HMAC(MALL_JWT_SECRET, "mall-cursor-v1"): every API function shares it, and the token
    secret itself signs nothing but tokens. A process without the secret (a terminal tool
    paging through its own query) signs with a random key of its own."""
    token_secret = secret("MALL_JWT_SECRET")
    if token_secret is None:
        return _process_cursor_key()
    return hmac.new(token_secret.encode(), CURSOR_KEY_CONTEXT, hashlib.sha256).digest()


def _cursor_signature(payload: str, scope: dict[str, Any]) -> bytes:
    key = _cursor_key()
    bound = json.dumps(scope, separators=(",", ":"), sort_keys=True)
    return hmac.new(key, f"{bound}\n{payload}".encode(), hashlib.sha256).digest()


class CursorBinding(TypedDict):
    """What a cursor is bound to: `encode_cursor` and `decode_cursor` take it as keywords."""

    index: str | None
    partition_attr: str
    partition_value: str
    key_attrs: tuple[str, ...]
    sort_condition: str | None


def _cursor_scope(index: str | None, partition_attr: str, partition_value: str, key_attrs: tuple[str, ...],
                  sort_condition: str | None) -> dict[str, Any]:
    return {"index": index, "partition_attr": partition_attr, "partition_value": partition_value,
            "key_attrs": list(key_attrs), "sort_condition": sort_condition}


def bad_cursor(reason: str) -> ValidationFailed:
    return ValidationFailed("The cursor is not valid for this list; start again without it.",
                            [{"field": "cursor", "message": reason}])


def encode_cursor(key: dict[str, Any], *, index: str | None, partition_attr: str, partition_value: str,
                  key_attrs: tuple[str, ...], sort_condition: str | None) -> str:
    """The cursor after the item with this `key` (attribute -> string), signed for this list."""
    payload = _b64(json.dumps(key, separators=(",", ":"), sort_keys=True).encode())
    scope = _cursor_scope(index, partition_attr, partition_value, key_attrs, sort_condition)
    return f"{payload}.{_b64(_cursor_signature(payload, scope))}"


def decode_cursor(cursor: str, *, index: str | None, partition_attr: str, partition_value: str,
                  key_attrs: tuple[str, ...], sort_condition: str | None) -> dict[str, Any]:
    """The ExclusiveStartKey of a cursor made by `query_page` for this list; ValidationFailed
    (400, field `cursor`) for anything else: malformed, altered, signed for another list or
    user, or not exactly this list's key attributes as strings."""
    payload, dot, signature = cursor.partition(".")
    try:
        given = _unb64(signature) if dot else b""
    except (binascii.Error, ValueError) as exc:
        raise bad_cursor("malformed") from exc
    scope = _cursor_scope(index, partition_attr, partition_value, key_attrs, sort_condition)
    if not hmac.compare_digest(given, _cursor_signature(payload, scope)):
        raise bad_cursor("not a cursor of this list")
    try:
        key = json.loads(_unb64(payload))
    except (binascii.Error, ValueError) as exc:  # signed, so only if the signing key leaked
        raise bad_cursor("malformed") from exc
    valid = (
        isinstance(key, dict)
        and set(key) == set(key_attrs)
        and all(isinstance(v, str) and v for v in key.values())
        and key[partition_attr] == partition_value
    )
    if not valid:
        raise bad_cursor("not a cursor of this list")
    return {name: {"S": value} for name, value in key.items()}
