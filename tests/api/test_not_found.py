"""A path that names nothing is 404 `NOT_FOUND`, whatever the shape of its ids (API.md; Stripe
and GitHub answer the same); an unknown route too. 400 stays for bodies and query values."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from chalicelib import web
from chalicelib.errors import NO_SUCH_ROUTE, error_body
from chalicelib.web import PATH_PARAM, PUBLIC
from tests.helpers import headers_for

MALFORMED = ["does-not-exist", "%20", " ", "x" * 300, "01j00000000000000000000000", "../../etc"]


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
    body = b'{"bogus": 1}' if method != "GET" else b""
    response = api.client.http.request(method, concrete, headers=headers, body=body)
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


UNKNOWN = [("GET", "/nope"), ("GET", "/admin/unknown"), ("POST", "/nope"), ("GET", "/templates/a/b/c"),
           ("GET", "/"), ("PUT", "/me/coupons/x/y")]


@pytest.mark.parametrize("method, path", UNKNOWN)
@pytest.mark.parametrize("authorized", [False, True])
def test_an_unknown_route_is_404_in_the_error_shape(api, method, path, authorized):
    headers = headers_for("ops", operator=True) if authorized else {}
    response = api.client.http.request(method, path, headers=headers, body=b"")
    assert_not_found(response)
    assert json.loads(response.body) == error_body("NOT_FOUND", NO_SUCH_ROUTE)


@pytest.mark.parametrize("method, path", UNKNOWN)
def test_an_unknown_route_is_404_over_http_from_chalice_local(_local_server, method, path):
    request = urllib.request.Request(_local_server + path, method=method, headers=headers_for("ops"))
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 404
    assert refused.value.headers["Content-Type"] == "application/json"
    assert json.loads(refused.value.read()) == error_body("NOT_FOUND", NO_SUCH_ROUTE)


def test_a_method_the_route_lacks_is_405_in_the_error_shape_locally(api):
    """API Gateway answers this one with its MISSING_AUTHENTICATION_TOKEN response too (404 on AWS)."""
    status, body = api.post("/templates")
    assert (status, body["error"]["code"]) == (405, "METHOD_NOT_ALLOWED")
