"""Domain errors and the one table that maps them to HTTP.

Services and repositories raise these; `chalicelib.web` turns them into the error shape of
API.md (`{"error": {"code", "message", "details"}}`) in one place.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a client can cause. `message` is written for a person."""

    default_message = "The request cannot be served."

    def __init__(self, message: str | None = None, details: Any = None) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.details = details


class ValidationFailed(DomainError):
    default_message = "The request is not valid; see details."


class Unauthenticated(DomainError):
    default_message = "Send a valid token: Authorization: Bearer <JWT>."


class Forbidden(DomainError):
    default_message = "Your token does not carry the role this needs."


class NotFound(DomainError):
    default_message = "No such resource."


class SoldOut(DomainError):
    default_message = "This coupon is sold out."


class LimitReached(DomainError):
    default_message = "You have already claimed as many of these as allowed."


class NotClaimable(DomainError):
    default_message = "This coupon cannot be claimed now."


class NotUsable(DomainError):
    default_message = "This coupon cannot be used for this order."


class AlreadyLocked(DomainError):
    default_message = "This coupon is already reserved by another order."


class InsufficientBalance(DomainError):
    default_message = "The balance cannot cover this amount."


class InvalidState(DomainError):
    default_message = "This action is not allowed in the current state."


class IdempotencyMismatch(DomainError):
    default_message = "This Idempotency-Key was used with a different request; use a new key."


class Throttled(DomainError):
    default_message = "The service is busy; retry after a short pause."


class Unavailable(DomainError):
    default_message = "A dependency is unavailable; retry later."


class NotConfigured(DomainError):
    default_message = "This feature is not configured on this deployment."


# The one table from error to (HTTP status, error code).
HTTP_ERRORS: dict[type[DomainError], tuple[int, str]] = {
    ValidationFailed: (400, "VALIDATION_ERROR"),
    Unauthenticated: (401, "UNAUTHENTICATED"),
    Forbidden: (403, "FORBIDDEN"),
    NotFound: (404, "NOT_FOUND"),
    SoldOut: (409, "SOLD_OUT"),
    LimitReached: (409, "LIMIT_REACHED"),
    NotClaimable: (409, "NOT_CLAIMABLE"),
    NotUsable: (409, "NOT_USABLE"),
    AlreadyLocked: (409, "ALREADY_LOCKED"),
    InsufficientBalance: (409, "INSUFFICIENT_BALANCE"),
    InvalidState: (409, "INVALID_STATE"),
    IdempotencyMismatch: (409, "IDEMPOTENCY_MISMATCH"),
    Throttled: (429, "THROTTLED"),
    Unavailable: (503, "UNAVAILABLE"),
    NotConfigured: (503, "NOT_CONFIGURED"),
}


def http_status_and_code(error: DomainError) -> tuple[int, str]:
    for cls in type(error).__mro__:
        if cls in HTTP_ERRORS:
            return HTTP_ERRORS[cls]
    return 409, "CONFLICT"


# The answer to a request that no route serves: API Gateway's MISSING_AUTHENTICATION_TOKEN
# response in the deploy template (infra/package.py) and dev/local_gateway.py locally.
NO_SUCH_ROUTE = "No such route: GET /openapi.json lists every path and its methods."


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}
