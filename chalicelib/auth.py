"""Bearer JWT (HS256) authentication, as API.md specifies.

Claims: `sub` (user id), `exp`, `roles` (a list; which roles open which /admin
route is chalicelib.access). The secret is
`MALL_JWT_SECRET`. The user id becomes part of DynamoDB keys, so its alphabet is limited,
and the whole of it must match (`fullmatch`: `$` alone also matches before a final newline).
`exp`, and `iat` and `nbf` when present, must be JSON numbers: PyJWT alone takes a numeric
string (`"exp": "1900000000"`) or a boolean (`"iat": true`) as a time.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping

from chalicelib.errors import Unauthenticated
from chalicelib.settings import secret

OPERATOR = "operator"
USER_ID = re.compile(r"^[A-Za-z0-9_.@:\-]{1,128}$")  # the pattern pydantic models share: use fullmatch
TIME_CLAIMS = ("exp", "iat", "nbf")


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: frozenset[str]

    @property
    def is_operator(self) -> bool:
        return OPERATOR in self.roles


def authenticate(headers: Mapping[str, str]) -> Principal:
    header = headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Missing bearer token: send Authorization: Bearer <JWT>.")
    import jwt  # imported on first use: functions that never authenticate (SQS, schedules) skip ~40 ms

    key = secret("MALL_JWT_SECRET")
    if key is None:
        raise RuntimeError("Neither MALL_JWT_SECRET nor MALL_JWT_SECRET_PARAM is set; tokens cannot be verified.")
    try:
        claims = jwt.decode(
            token.strip(), key, algorithms=["HS256"],
            options={"require": ["sub", "exp"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("The token has expired; get a new one.") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated("The token is not valid.") from exc
    if not all(_is_time(claims[name]) for name in TIME_CLAIMS if name in claims):
        raise Unauthenticated("The token's exp, iat and nbf must be numbers (seconds since 1970).")
    sub, roles = claims.get("sub"), claims.get("roles", [])
    if not isinstance(sub, str) or not USER_ID.fullmatch(sub):
        raise Unauthenticated("The token's sub must be 1-128 characters of A-Z a-z 0-9 _ . @ : -.")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise Unauthenticated("The token's roles must be a list of strings.")
    return Principal(user_id=sub, roles=frozenset(roles))


def _is_time(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def issue_token(secret: str, user_id: str, roles: list[str], ttl_seconds: int, now_epoch: int) -> str:
    """Sign a token; used by `make token` and the tests (the service itself only verifies)."""
    import jwt

    return jwt.encode(
        {"sub": user_id, "roles": roles, "iat": now_epoch, "exp": now_epoch + ttl_seconds},
        secret, algorithm="HS256",
    )
