"""Domain errors, each with its API.md error code, and the one table from code to HTTP status.

Services and repositories raise these; `chalicelib.web` turns them into the error shape of
API.md (`{"error": {"code", "message", "details"}}`) in one place.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a client can cause: `code` is API.md's error code (what a client
    branches on), `message` is written for a person."""

    code = "CONFLICT"
    default_message = "The request cannot be served."

    def __init__(self, message: str | None = None, details: Any = None) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.details = details


class ValidationFailed(DomainError):
    code = "VALIDATION_ERROR"
    default_message = "The request is not valid; see details."


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    default_message = "Send a valid token: Authorization: Bearer <JWT>."


class Forbidden(DomainError):
    code = "FORBIDDEN"
    default_message = "Your token does not carry the role this needs."


class NotFound(DomainError):
    code = "NOT_FOUND"
    default_message = "No such resource."


class SoldOut(DomainError):
    code = "SOLD_OUT"
    default_message = "This coupon is sold out."


class LimitReached(DomainError):
    code = "LIMIT_REACHED"
    default_message = "You have already claimed as many of these as allowed."


class NotClaimable(DomainError):
    code = "NOT_CLAIMABLE"
    default_message = "This coupon cannot be claimed now."


class NotUsable(DomainError):
    code = "NOT_USABLE"
    default_message = "This coupon cannot be used for this order."


class AlreadyLocked(DomainError):
    code = "ALREADY_LOCKED"
    default_message = "This coupon is already reserved by another order."


class InsufficientBalance(DomainError):
    code = "INSUFFICIENT_BALANCE"
    default_message = "The balance cannot cover this amount."


class InsufficientPoints(DomainError):
    code = "INSUFFICIENT_POINTS"
    default_message = "The free points cannot cover this amount."


class InvalidState(DomainError):
    code = "INVALID_STATE"
    default_message = "This action is not allowed in the current state."


class IdempotencyMismatch(DomainError):
    code = "IDEMPOTENCY_MISMATCH"
    default_message = "This Idempotency-Key was used with a different request; use a new key."


class Throttled(DomainError):
    code = "THROTTLED"
    default_message = "The service is busy; retry after a short pause."


class Unavailable(DomainError):
    code = "UNAVAILABLE"
    default_message = "A dependency is unavailable; retry later."


class NotConfigured(DomainError):
    code = "NOT_CONFIGURED"
    default_message = "This feature is not configured on this deployment."


# The one table from error code to HTTP status; a code not listed is a business conflict.
HTTP_STATUS: dict[str, int] = {
    "VALIDATION_ERROR": 400,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "THROTTLED": 429,
    "UNAVAILABLE": 503,
    "NOT_CONFIGURED": 503,
}


def http_status(error: DomainError) -> int:
    return HTTP_STATUS.get(error.code, 409)


# The answer to a request that no route serves: API Gateway's MISSING_AUTHENTICATION_TOKEN
# response in the deploy template (infra/package.py) and dev/local_gateway.py locally.
NO_SUCH_ROUTE = "No such route: GET /openapi.json lists every path and its methods."


def validation_details(exc: Any, where: str = "body") -> list[dict[str, str]]:
    """API.md's `details` of a pydantic ValidationError: one `{"field", "message"}` per error,
    the field as a dotted path in a body or query (`validity.days_after_claim`), or `where`
    itself for a single value such as a path parameter."""
    details = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in err["loc"]) or where
        details.append({"field": loc if where in ("body", "query") else where, "message": err["msg"]})
    return details


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}
