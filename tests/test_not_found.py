"""A path that names nothing is 404 `NOT_FOUND`, whatever the shape of its ids (API.md; Stripe
and GitHub answer the same); an unknown route too. 400 stays for bodies and query values."""

from __future__ import annotations

import json

import pytest

from chalicelib import web
from chalicelib.web import PATH_PARAM, PUBLIC
from tests.helpers import headers_for

MALFORMED = ["does-not-exist", "%20", " ", "x" * 300, "01j00000000000000000000000"]


def _routes_with_path_parameters():
    import app  # noqa: F401 - registers every endpoint

    return sorted({(method, e.path, e.auth) for e in web.ENDPOINTS if e.path_params for method in e.methods})


def assert_not_found(response):
    body = json.loads(response.body)
    assert response.status_code == 404, body
    assert set(body) == {"error"} and body["error"]["code"] == "NOT_FOUND", body
    assert body["error"]["message"] and "pattern" not in json.dumps(body)


def test_every_route_with_a_path_parameter_is_walked():
    """The walk below covers whatever routes exist: this only proves it is not empty."""
    paths = {path for _, path, _ in _routes_with_path_parameters()}
    assert {"/templates/{template_id}/claim", "/codes/{code}/claim", "/console/{asset}",
            "/admin/withdrawals/{withdrawal_id}/approve", "/admin/rebate-rules/{rule_id}"} <= paths


@pytest.mark.parametrize("method, path, auth", _routes_with_path_parameters())
@pytest.mark.parametrize("value", MALFORMED)
def test_a_malformed_path_id_is_404_on_every_route(api, method, path, auth, value):
    concrete = PATH_PARAM.sub(value, path)
    headers = headers_for("ops", operator=True) if auth != PUBLIC else {"Content-Type": "application/json"}
    # A body that is itself invalid: the path is judged first, and it names nothing.
    response = api.client.http.request(method, concrete, headers=headers, body=b'{"bogus": 1}' if method != "GET" else b"")
    assert_not_found(response)


def test_a_malformed_id_still_needs_a_token_first(api):
    assert api.post("/templates/does-not-exist/claim", user=None)[0] == 401
    assert api.post("/admin/withdrawals/xyz/approve")[0] == 403


def test_a_well_formed_id_that_names_nothing_is_also_404(api):
    status, body = api.post("/templates/01J00000000000000000000000/claim")
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")


def test_a_bad_query_value_is_still_400(api):
    status, body = api.get("/me/coupons?status=gone")
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")
