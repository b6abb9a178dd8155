"""Wrong callers and bad input: the status and error shape of API.md, and nothing changes."""

from __future__ import annotations

import io
import json
import os
import time
import uuid

import pytest

from tests.helpers import template_body, token


def assert_error(response, status, code):
    got_status, body = response
    assert got_status == status, body
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_health_needs_no_token(api):
    assert api.get("/health", user=None) == (200, {"status": "ok"})


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Basic abc", "Bearer not-a-jwt",
])
def test_missing_or_malformed_token_is_401(api, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    assert_error(api.get("/me/coupons", user=None, headers=headers), 401, "UNAUTHENTICATED")


def test_expired_token_is_401(api):
    expired = token("alice", ttl=-10)
    assert_error(api.get("/me/coupons", user=None, headers={"Authorization": f"Bearer {expired}"}),
                 401, "UNAUTHENTICATED")


def test_token_signed_with_another_secret_is_401(api):
    forged = token("alice", ("operator",), secret="another-secret-0123456789abcdef0123")
    assert_error(api.get("/admin/templates", user=None, headers={"Authorization": f"Bearer {forged}"}),
                 401, "UNAUTHENTICATED")


def test_token_with_unsafe_subject_is_401(api):
    assert_error(api.get("/me/coupons", user="alice#CPN"), 401, "UNAUTHENTICATED")


def test_shopper_on_admin_route_is_403(api):
    assert_error(api.get("/admin/templates"), 403, "FORBIDDEN")
    assert_error(api.post("/admin/templates", template_body()), 403, "FORBIDDEN")
    assert api.get("/admin/templates", operator=True)[1]["items"] == []


@pytest.mark.parametrize("overrides, field", [
    ({"name": ""}, "name"),
    ({"name": "x" * 65}, "name"),
    ({"kind": "bogus"}, "kind"),
    ({"value": 0}, "value"),
    ({"value": 19.99}, "value"),
    ({"value": "1000"}, "value"),
    ({"min_spend": -1}, "min_spend"),
    ({"total_stock": 0}, "total_stock"),
    ({"per_user_limit": 0}, "per_user_limit"),
    ({"claim_starts_at": "yesterday"}, "claim_starts_at"),
    ({"claim_starts_at": "2030-01-01T00:00:00"}, "claim_starts_at"),
    ({"validity": {}}, "validity"),
    ({"validity": {"days_after_claim": 0}}, "validity"),
    ({"scope": {"all": False}}, "scope"),
    ({"scope": {"all": True, "skus": ["a"]}}, "scope"),
    ({"unexpected": 1}, "unexpected"),
])
def test_invalid_template_field_is_400_naming_the_field(api, overrides, field):
    status, body = api.post("/admin/templates", template_body(**overrides), operator=True)
    assert_error((status, body), 400, "VALIDATION_ERROR")
    assert any(field in d["field"] for d in body["error"]["details"]), body
    assert api.get("/admin/templates", operator=True)[1]["items"] == []


@pytest.mark.parametrize("overrides, message", [
    ({"claim_starts_at": "2030-01-02T00:00:00Z", "claim_ends_at": "2030-01-01T00:00:00Z"}, "claim_ends_at"),
    ({"kind": "percent_off", "value": 100}, "percent"),
    ({"kind": "amount_off", "max_discount": 100}, "max_discount"),
    ({"validity": {"fixed": {"from": "2030-02-01T00:00:00Z", "until": "2030-01-01T00:00:00Z"}}}, "until"),
    ({"validity": {"fixed": {"from": "2020-01-01T00:00:00Z", "until": "2020-02-01T00:00:00Z"}}}, "usable"),
])
def test_inconsistent_template_is_400(api, overrides, message):
    status, body = api.post("/admin/templates", template_body(**overrides), operator=True)
    assert_error((status, body), 400, "VALIDATION_ERROR")
    assert message in str(body["error"]["details"])


@pytest.mark.parametrize("raw", [b"{", b"[]", b"null", b"\xff\xfe"])
def test_unparsable_body_is_400(api, raw):
    assert_error(api.post("/admin/templates", raw=raw, operator=True), 400, "VALIDATION_ERROR")


def test_wrong_content_type_is_415_in_our_shape(api):
    response = api.post("/admin/templates", raw=b"a=b", operator=True,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_wrong_method_is_405_in_our_shape(api):
    assert_error(api.call("DELETE", "/admin/templates", operator=True), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize("path", ["/admin/templates/not-an-id", "/admin/templates/" + "A" * 300])
def test_malformed_path_id_is_404(api, path):
    assert_error(api.get(path, operator=True), 404, "NOT_FOUND")


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "status=gone", "cursor=%%%", "cursor=e30"])
def test_bad_list_query_is_400(api, query):
    assert_error(api.get(f"/me/coupons?{query}"), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("key", ["", "x" * 129, "has#hash"])
def test_bad_idempotency_key_is_400(api, key):
    template = api.published_template()
    status, body = api.post(f"/templates/{template['id']}/claim", headers={"Idempotency-Key": key})
    assert_error((status, body), 400, "VALIDATION_ERROR")
    assert api.get("/me/coupons")[1]["items"] == []


def test_users_see_only_their_own_coupons(api):
    template = api.published_template(total_stock=2)
    api.post(f"/templates/{template['id']}/claim", user="alice")
    assert api.get("/me/coupons", user="bob")[1]["items"] == []


def test_token_subject_with_a_trailing_newline_is_401(api):
    assert_error(api.get("/me/coupons", user="alice\n"), 401, "UNAUTHENTICATED")


def _signed(claims):
    import jwt

    return jwt.encode(claims, os.environ["MALL_JWT_SECRET"], algorithm="HS256")


@pytest.mark.parametrize("times", [
    {"exp": "{soon}"},  # PyJWT alone accepts a numeric string
    {"exp": "{soon}", "iat": "{now}"},
    {"iat": "{now}"},
    {"nbf": "{now}"},
    {"iat": True},
])
def test_time_claims_that_are_not_numbers_are_401(api, times):
    now = int(time.time())
    claims = {"sub": "alice", "roles": [], "exp": now + 3600}
    claims.update({k: v.format(now=now - 10, soon=now + 3600) if isinstance(v, str) else v for k, v in times.items()})
    status, body = api.get("/me/coupons", user=None, headers={"Authorization": f"Bearer {_signed(claims)}"})
    assert_error((status, body), 401, "UNAUTHENTICATED")


def test_numeric_time_claims_are_accepted(api):
    now = time.time()
    claims = {"sub": "alice", "roles": [], "exp": now + 3600.5, "iat": int(now) - 10, "nbf": now - 10.25}
    assert api.get("/me/coupons", user=None, headers={"Authorization": f"Bearer {_signed(claims)}"})[0] == 200


@pytest.fixture
def log_lines():
    """What the service logs during the test (its Powertools handler, pointed at a buffer)."""
    from chalicelib.observability import logger

    buffer = io.StringIO()
    previous = logger.registered_handler.setStream(buffer)
    yield buffer
    logger.registered_handler.setStream(previous)


def _request_id(api, sent):
    response = api.client.http.get("/health", headers={"X-Request-Id": sent})
    assert response.status_code == 200
    return response.headers["X-Request-Id"]


@pytest.mark.parametrize("sent", ["req-42", "a" * 128, "!~"])
def test_a_well_formed_request_id_is_echoed_and_logged(api, log_lines, sent):
    assert _request_id(api, sent) == sent
    assert json.loads(log_lines.getvalue().splitlines()[-1])["correlation_id"] == sent


@pytest.mark.parametrize("sent", ["", "a" * 129, "has space", "tab\there", "bell\x07", "trail\n", "ид-42", "é" * 10])
def test_a_bad_request_id_is_replaced_never_echoed_nor_logged(api, log_lines, sent):
    answered = _request_id(api, sent)
    assert answered != sent and uuid.UUID(answered)
    logged = log_lines.getvalue()
    assert json.loads(logged.splitlines()[-1])["correlation_id"] == answered
    if sent:
        assert sent not in logged and json.dumps(sent)[1:-1] not in logged
