"""POST /webhooks/payments/generic: HMAC-signed events go onto the queue; nothing else does."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from tests.payment_helpers import drain, generic_payment, generic_refund, queued_count, signed_generic

PATH = "/webhooks/payments/generic"


def post(api, raw, headers):
    return api.post(PATH, raw=raw, user=None, headers=headers)


def test_a_signed_payment_is_queued_as_the_internal_event(api):
    raw, headers = signed_generic(generic_payment(coupon_ids=["01J00000000000000000000000"]))
    status, body = post(api, raw, headers)
    assert (status, body) == (200, {"received": True, "queued": True})
    [event] = drain()
    assert event == {
        "provider": "generic", "event_id": "evt_1", "type": "payment", "payment_id": "pay_1",
        "order_id": "order_1", "user_id": "alice", "amount": 10000, "refunded_total": None,
        "paid_at": "2030-06-01T12:00:00Z", "refund_id": None, "refunded_at": None,
        "coupon_ids": ["01J00000000000000000000000"], "purchases": [], "received_at": event["received_at"],
    }


def test_an_order_paid_entirely_by_cards_balance_and_points_is_confirmed_with_amount_0(api):
    raw, headers = signed_generic(generic_payment(amount=0))
    assert post(api, raw, headers)[0] == 200
    [event] = drain()
    assert (event["type"], event["amount"]) == ("payment", 0)


def test_a_signed_refund_is_queued(api):
    raw, headers = signed_generic(generic_refund(amount=2500))
    assert post(api, raw, headers)[0] == 200
    [event] = drain()
    assert (event["type"], event["refund_id"], event["payment_id"], event["amount"]) == (
        "refund", "ref_1", "pay_1", 2500)


def test_a_rotated_secret_may_send_two_signatures(api):
    raw, headers = signed_generic(generic_payment())
    headers["X-Mall-Signature"] = headers["X-Mall-Signature"].replace(",v1=", ",v1=00deadbeef,v1=")
    assert post(api, raw, headers)[0] == 200
    assert queued_count() == 1


@pytest.mark.parametrize("tamper", ["body", "secret", "signature", "header"])
def test_a_forged_request_is_refused_and_nothing_is_queued(api, tamper):
    raw, headers = signed_generic(generic_payment(), secret="wrong-secret" if tamper == "secret" else None)
    if tamper == "body":
        raw = raw.replace(b"10000", b"99999")
    if tamper == "signature":
        headers["X-Mall-Signature"] = headers["X-Mall-Signature"][:-4] + "abcd"
    if tamper == "header":
        del headers["X-Mall-Signature"]
    status, body = post(api, raw, headers)
    assert (status, body["error"]["code"]) == (401, "UNAUTHENTICATED")
    assert queued_count() == 0


@pytest.mark.parametrize("age", [301, -301])
def test_a_stale_or_future_timestamp_is_refused(api, age):
    raw, headers = signed_generic(generic_payment(), at=int(time.time()) - age)
    assert post(api, raw, headers)[0] == 401
    assert queued_count() == 0


def test_a_timestamp_within_tolerance_is_accepted(api):
    raw, headers = signed_generic(generic_payment(), at=int(time.time()) - 250)
    assert post(api, raw, headers)[0] == 200


@pytest.mark.parametrize("body", [
    b"not json",
    json.dumps({"id": "evt_1", "type": "payment.succeeded", "data": {"payment_id": "p"}}).encode(),
    json.dumps(generic_payment() | {"data": generic_payment()["data"] | {"amount": "100.00"}}).encode(),
    json.dumps(generic_payment() | {"data": generic_payment()["data"] | {"amount": -1}}).encode(),
    json.dumps(generic_payment() | {"data": generic_payment()["data"] | {"amount": True}}).encode(),
    json.dumps(generic_refund(amount=0)).encode(),
    json.dumps(generic_payment() | {"data": generic_payment()["data"] | {"paid_at": "2030-06-01T12:00:00"}}).encode(),
    json.dumps(generic_payment() | {"data": generic_payment()["data"] | {"payment_id": "pay#1"}}).encode(),
    json.dumps(generic_payment() | {"data": generic_payment()["data"] | {"coupon_ids": ["x"]}}).encode(),
])
def test_a_malformed_signed_body_is_refused_and_nothing_is_queued(api, body):
    raw, headers = signed_generic(body)
    status, answer = post(api, raw, headers)
    assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert queued_count() == 0


def test_an_event_type_this_service_does_not_handle_is_acknowledged_not_queued(api):
    raw, headers = signed_generic({"id": "evt_9", "type": "payment.failed", "data": {}})
    assert post(api, raw, headers) == (200, {"received": True, "queued": False})
    assert queued_count() == 0


def test_when_the_queue_does_not_take_the_event_the_provider_gets_a_5xx_to_retry(api):
    sqs = boto3.client("sqs")
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="mall-test-payment-events")["QueueUrl"])
    raw, headers = signed_generic(generic_payment())
    status, body = post(api, raw, headers)
    assert (status, body["error"]["code"]) == (503, "UNAVAILABLE")


def test_without_a_configured_secret_a_signed_request_gets_503(api, monkeypatch):
    raw, headers = signed_generic(generic_payment())
    monkeypatch.delenv("PAYMENT_WEBHOOK_SECRET")
    status, body = post(api, raw, headers)
    assert (status, body["error"]["code"]) == (503, "NOT_CONFIGURED")
    assert queued_count() == 0
