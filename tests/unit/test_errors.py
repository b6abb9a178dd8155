"""Every domain error carries its own API.md code, and the one table gives its HTTP status."""

from chalicelib import errors
from chalicelib.errors import DomainError, http_status


def every_domain_error():
    found, pending = [], [DomainError]
    while pending:
        cls = pending.pop()
        found.extend(cls.__subclasses__())
        pending.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__ == errors.__name__]


def test_each_error_has_a_code_of_its_own():
    codes = [cls.code for cls in every_domain_error()]
    assert len(codes) == len(set(codes)) and "CONFLICT" not in codes, codes


def test_client_errors_map_to_their_status_and_business_refusals_to_409():
    status = {cls.code: http_status(cls()) for cls in every_domain_error()}
    assert status == {
        "VALIDATION_ERROR": 400, "UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404,
        "SOLD_OUT": 409, "LIMIT_REACHED": 409, "NOT_CLAIMABLE": 409, "NOT_USABLE": 409,
        "ALREADY_LOCKED": 409, "INSUFFICIENT_BALANCE": 409, "INSUFFICIENT_POINTS": 409, "INVALID_STATE": 409,
        "IDEMPOTENCY_MISMATCH": 409, "THROTTLED": 429, "UNAVAILABLE": 503, "NOT_CONFIGURED": 503,
    }
