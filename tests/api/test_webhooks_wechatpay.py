"""POST /webhooks/payments/wechatpay: WeChat Pay API v3 notifications, with a platform key pair
and an APIv3 key generated here."""

from __future__ import annotations

import json
import secrets
import time

import pytest

from chalicelib.settings import get_settings
from tests.payment_helpers import (
    WECHAT_SERIAL, drain, public_pem, queued_count, rsa_key, wechat_headers, wechat_notification, wechat_refund,
    wechat_transaction,
)

PATH = "/webhooks/payments/wechatpay"


@pytest.fixture(scope="module")
def platform_key():
    return rsa_key()


@pytest.fixture
def apiv3_key():
    return secrets.token_hex(16)  # 32 characters, as WeChat's console issues them


@pytest.fixture
def wechat(api, monkeypatch, platform_key, apiv3_key):
    monkeypatch.setenv("WECHATPAY_PLATFORM_KEYS", json.dumps({WECHAT_SERIAL: public_pem(platform_key)}))
    monkeypatch.setenv("WECHATPAY_APIV3_KEY", apiv3_key)
    get_settings.cache_clear()
    yield api
    get_settings.cache_clear()


def post(api, raw, headers):
    response = api.client.http.post(PATH, headers=headers, body=raw)
    return response.status_code, response.body


def test_a_paid_transaction_is_acknowledged_with_204_and_queued(wechat, platform_key, apiv3_key):
    raw = wechat_notification(wechat_transaction(coupon_ids=["01J00000000000000000000000"]), apiv3_key)
    assert post(wechat, raw, wechat_headers(platform_key, raw)) == (204, b"")
    [event] = drain()
    assert event | {"received_at": None} == {
        "provider": "wechatpay", "event_id": "EV-2018022511223320873", "type": "payment",
        "payment_id": "4200000001", "order_id": "order_wx_1", "user_id": "alice", "amount": 10000,
        "refunded_total": None, "paid_at": "2030-06-01T12:00:00Z", "refund_id": None, "refunded_at": None,
        "coupon_ids": ["01J00000000000000000000000"], "purchases": [], "received_at": None,
    }


def test_a_refund_maps_refund_id_transaction_id_and_amount_refund(wechat, platform_key, apiv3_key):
    raw = wechat_notification(wechat_refund(refund=4000), apiv3_key, event_type="REFUND.SUCCESS", event_id="EV-R1")
    assert post(wechat, raw, wechat_headers(platform_key, raw))[0] == 204
    [event] = drain()
    assert (event["type"], event["refund_id"], event["payment_id"], event["amount"], event["user_id"]) == (
        "refund", "50000000382019052709732678859", "4200000001", 4000, None)
    assert event["refunded_at"] == "2030-06-02T02:00:00Z"


def test_other_event_types_are_acknowledged_and_not_queued(wechat, platform_key, apiv3_key):
    raw = wechat_notification(wechat_refund() | {"refund_status": "ABNORMAL"}, apiv3_key, event_type="REFUND.ABNORMAL")
    assert post(wechat, raw, wechat_headers(platform_key, raw))[0] == 204
    assert queued_count() == 0


def test_a_signature_by_another_key_is_refused_with_fail(wechat, apiv3_key):
    raw = wechat_notification(wechat_transaction(), apiv3_key)
    status, body = post(wechat, raw, wechat_headers(rsa_key(), raw))
    assert status == 401
    assert json.loads(body)["code"] == "FAIL"
    assert queued_count() == 0


def test_a_body_changed_after_signing_is_refused(wechat, platform_key, apiv3_key):
    raw = wechat_notification(wechat_transaction(), apiv3_key)
    headers = wechat_headers(platform_key, raw)
    assert post(wechat, raw.replace(b"EV-2018", b"EV-2019"), headers)[0] == 401
    assert queued_count() == 0


@pytest.mark.parametrize("age", [301, -301])
def test_a_timestamp_more_than_5_minutes_away_is_refused(wechat, platform_key, apiv3_key, age):
    raw = wechat_notification(wechat_transaction(), apiv3_key)
    status, body = post(wechat, raw, wechat_headers(platform_key, raw, at=int(time.time()) - age))
    assert (status, json.loads(body)["code"]) == (401, "FAIL")
    assert queued_count() == 0


def test_missing_signature_headers_are_refused(wechat, platform_key, apiv3_key):
    raw = wechat_notification(wechat_transaction(), apiv3_key)
    headers = wechat_headers(platform_key, raw)
    del headers["Wechatpay-Signature"]
    assert post(wechat, raw, headers)[0] == 401
    assert queued_count() == 0


def test_a_resource_encrypted_with_another_key_is_refused(wechat, platform_key):
    raw = wechat_notification(wechat_transaction(), secrets.token_hex(16))
    status, body = post(wechat, raw, wechat_headers(platform_key, raw))
    assert (status, json.loads(body)["code"]) == (400, "FAIL")
    assert queued_count() == 0


@pytest.mark.parametrize("resource", [
    wechat_transaction() | {"attach": "not json"},
    wechat_transaction() | {"attach": json.dumps({"coupon_ids": []})},
    {k: v for k, v in wechat_transaction().items() if k != "attach"},
    wechat_transaction() | {"amount": {"total": 100, "payer_total": "100"}},
    wechat_transaction() | {"success_time": "yesterday"},
])
def test_a_malformed_resource_is_refused(wechat, platform_key, apiv3_key, resource):
    raw = wechat_notification(resource, apiv3_key)
    assert post(wechat, raw, wechat_headers(platform_key, raw))[0] == 400
    assert queued_count() == 0


def test_a_signed_body_that_is_not_a_notification_is_refused(wechat, platform_key):
    raw = b'{"id": "EV-1"}'
    assert post(wechat, raw, wechat_headers(platform_key, raw))[0] == 400
    assert queued_count() == 0


@pytest.mark.parametrize("configured", [None, "not json", "[]", "{}", '{"SERIAL": 1}'])
def test_without_readable_keys_a_signed_notification_gets_503(api, platform_key, apiv3_key, monkeypatch, configured):
    if configured is None:
        monkeypatch.delenv("WECHATPAY_PLATFORM_KEYS", raising=False)
    else:
        monkeypatch.setenv("WECHATPAY_PLATFORM_KEYS", configured)
    get_settings.cache_clear()
    raw = wechat_notification(wechat_transaction(), apiv3_key)
    status, body = post(api, raw, wechat_headers(platform_key, raw))
    assert status == 503
    assert "WECHATPAY_PLATFORM_KEYS" in json.loads(body)["message"]
    assert queued_count() == 0


# --- platform key rotation: the key is chosen by Wechatpay-Serial ------------------------------

NEXT_SERIAL = "PUB_KEY_ID_0114232134912410000000000000"


@pytest.fixture
def rotating(api, monkeypatch, platform_key, apiv3_key):
    """The old certificate's key and a new public key (by its ID) configured side by side."""
    next_key = rsa_key()
    keys = {WECHAT_SERIAL: public_pem(platform_key), NEXT_SERIAL: public_pem(next_key).replace("\n", "\\n")}
    monkeypatch.setenv("WECHATPAY_PLATFORM_KEYS", json.dumps(keys))
    monkeypatch.setenv("WECHATPAY_APIV3_KEY", apiv3_key)
    get_settings.cache_clear()
    yield next_key
    get_settings.cache_clear()


def test_during_a_rotation_each_key_verifies_what_its_serial_signed(rotating, api, platform_key, apiv3_key):
    old = wechat_notification(wechat_transaction(transaction_id="4200000001"), apiv3_key, event_id="EV-OLD")
    new = wechat_notification(wechat_transaction(transaction_id="4200000002"), apiv3_key, event_id="EV-NEW")

    assert post(api, old, wechat_headers(platform_key, old, serial=WECHAT_SERIAL))[0] == 204
    assert post(api, new, wechat_headers(rotating, new, serial=NEXT_SERIAL))[0] == 204

    assert sorted(event["event_id"] for event in drain()) == ["EV-NEW", "EV-OLD"]


def test_a_signature_checked_against_the_key_its_serial_names_only(rotating, api, platform_key, apiv3_key):
    raw = wechat_notification(wechat_transaction(), apiv3_key)

    status, body = post(api, raw, wechat_headers(rotating, raw, serial=WECHAT_SERIAL))  # new key, old serial

    assert (status, json.loads(body)["code"]) == (401, "FAIL")
    assert queued_count() == 0


@pytest.mark.parametrize("serial", ["", "UNKNOWN0000000000000000000000000"])
def test_a_missing_or_unknown_serial_is_refused_and_retried_by_wechat(wechat, platform_key, apiv3_key, serial):
    raw = wechat_notification(wechat_transaction(), apiv3_key)

    status, body = post(wechat, raw, wechat_headers(platform_key, raw, serial=serial))

    assert status == 401
    assert "Wechatpay-Serial" in json.loads(body)["message"]
    assert queued_count() == 0


def test_an_unsigned_request_is_401_even_when_unconfigured(api):
    assert post(api, b"{}", {"Content-Type": "application/json"})[0] == 401
