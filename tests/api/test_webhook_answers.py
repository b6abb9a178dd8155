"""WeChat Pay and Alipay are answered in their own shapes, whatever arrives: a wrong method, a
wrong content type, an unsigned or unreadable body. WeChat Pay: 4xx/5xx `{"code": "FAIL",
"message"}`; Alipay: 4xx/5xx with the body `fail`. Refusals that Chalice itself makes (405, 415)
included, which otherwise come out in API.md's error shape."""

from __future__ import annotations

import json

import pytest

WECHAT = "/webhooks/payments/wechatpay"
ALIPAY = "/webhooks/payments/alipay"
FORM = "application/x-www-form-urlencoded"
ANYTHING = [
    ("POST", {"Content-Type": FORM}, b"a=1"),
    ("POST", {"Content-Type": "text/plain"}, b"{}"),
    ("POST", {"Content-Type": "application/json"}, b'{"a": 1}'),
    ("POST", {"Content-Type": "application/json"}, b"{not json"),
    ("POST", {"Content-Type": "application/json"}, b"\xff\xfe"),
    ("POST", {"Content-Type": "multipart/form-data; boundary=x"}, b"--x--"),
    ("POST", {}, b""),
    ("POST", {}, b'{"a": 1}'),
    ("POST", {"Content-Type": FORM}, b"\xff=%zz&&="),
    ("GET", {}, b""),
    ("PUT", {"Content-Type": "application/json"}, b"{}"),
    ("DELETE", {}, b""),
    ("PATCH", {"Content-Type": FORM}, b"a=1"),
]


def send(api, method, path, headers, body):
    response = api.client.http.request(method, path, headers=headers, body=body)
    return response.status_code, response.headers, response.body


@pytest.mark.parametrize("method, headers, body", ANYTHING)
def test_wechatpay_refuses_anything_unexpected_with_its_fail_shape(api, method, headers, body):
    status, answered, raw = send(api, method, WECHAT, headers, body)
    assert 400 <= status < 500
    assert answered["Content-Type"] == "application/json"
    refusal = json.loads(raw)
    assert set(refusal) == {"code", "message"} and refusal["code"] == "FAIL" and refusal["message"], refusal


@pytest.mark.parametrize("method, headers, body", ANYTHING)
def test_alipay_refuses_anything_unexpected_with_fail(api, method, headers, body):
    status, answered, raw = send(api, method, ALIPAY, headers, body)
    assert 400 <= status < 500
    assert (raw, answered["Content-Type"]) == (b"fail", "text/plain; charset=utf-8")


def test_a_json_body_to_alipay_is_415_fail(api):
    status, _, raw = send(api, "POST", ALIPAY, {"Content-Type": "application/json"}, b'{"trade_no": "1"}')
    assert (status, raw) == (415, b"fail")


def test_a_wrong_method_keeps_the_allow_header(api):
    status, answered, raw = send(api, "GET", WECHAT, {}, b"")
    assert (status, answered["Allow"], json.loads(raw)["code"]) == (405, "POST", "FAIL")


def test_the_generic_webhook_keeps_the_api_error_shape(api):
    status, _, raw = send(api, "POST", "/webhooks/payments/generic", {"Content-Type": FORM}, b"a=1")
    assert (status, json.loads(raw)["error"]["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.parametrize("path, accepted", [("/admin/templates", "application/json")])
def test_a_415_names_the_media_type_the_route_accepts(api, path, accepted):
    status, _, raw = send(api, "POST", path, {"Content-Type": "text/plain"}, b"{}")
    error = json.loads(raw)["error"]
    assert (status, error["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
    assert accepted in error["message"]
