"""POST /webhooks/payments/alipay: RSA2-signed form notifications, with Alipay's key pair
generated here; and the exact translation of yuan, Beijing time and passback_params."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode

import pytest

from chalicelib.errors import ValidationFailed
from chalicelib.payments import alipay
from chalicelib.settings import get_settings
from tests.payment_helpers import (
    ALIPAY_APP_ID, alipay_form, alipay_payment, alipay_refund, drain, public_pem, queued_count, rsa_key,
)

PATH = "/webhooks/payments/alipay"
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


@pytest.fixture(scope="module")
def alipay_key():
    return rsa_key()


@pytest.fixture
def configured(api, monkeypatch, alipay_key):
    bare = "".join(public_pem(alipay_key).splitlines()[1:-1])  # Alipay's console shows the bare base64
    monkeypatch.setenv("ALIPAY_PUBLIC_KEY", bare)
    monkeypatch.setenv("ALIPAY_APP_ID", ALIPAY_APP_ID)
    get_settings.cache_clear()
    yield api
    get_settings.cache_clear()


def post(api, raw):
    response = api.client.http.post(PATH, headers=FORM, body=raw)
    return response.status_code, response.body


def test_a_paid_trade_answers_success_and_is_queued(configured, alipay_key):
    form = alipay_form(alipay_key, alipay_payment(total="19.99", coupon_ids=["01J00000000000000000000000"]))
    assert post(configured, form) == (200, b"success")
    [event] = drain()
    assert (event["provider"], event["type"], event["payment_id"], event["order_id"]) == (
        "alipay", "payment", "2030060122001400000000000001", "order_ali_1")
    assert (event["amount"], event["paid_at"], event["user_id"], event["coupon_ids"]) == (
        1999, "2030-06-01T12:00:00Z", "alice", ["01J00000000000000000000000"])
    assert event["event_id"] == "ac05099524730693a8b330c5ecf72da9786"


def test_trade_finished_is_a_payment_of_the_same_trade(configured, alipay_key):
    assert post(configured, alipay_form(alipay_key, alipay_payment(status="TRADE_SUCCESS", notify_id="n1")))[0] == 200
    assert post(configured, alipay_form(alipay_key, alipay_payment(status="TRADE_FINISHED", notify_id="n2")))[0] == 200
    events = drain()
    assert {(e["type"], e["payment_id"]) for e in events} == {("payment", "2030060122001400000000000001")}
    assert [e["event_id"] for e in events] == ["n1", "n2"]


def test_a_refund_notification_carries_the_cumulative_total(configured, alipay_key):
    assert post(configured, alipay_form(alipay_key, alipay_refund("30.01", "refund-2")))[0] == 200
    [event] = drain()
    assert (event["type"], event["refund_id"], event["refunded_total"], event["amount"]) == (
        "refund", "refund-2", 3001, None)
    assert event["refunded_at"] == "2030-06-02T02:00:00Z"


@pytest.mark.parametrize("status", ["WAIT_BUYER_PAY", "TRADE_CLOSED"])
def test_unpaid_statuses_are_acknowledged_and_not_queued(configured, alipay_key, status):
    assert post(configured, alipay_form(alipay_key, alipay_payment(status=status))) == (200, b"success")
    assert queued_count() == 0


def test_a_forged_sign_gets_fail_and_nothing_is_queued(configured):
    assert post(configured, alipay_form(rsa_key(), alipay_payment())) == (401, b"fail")
    assert queued_count() == 0


def test_a_parameter_changed_after_signing_gets_fail(configured, alipay_key):
    form = alipay_form(alipay_key, alipay_payment(total="1.00")).replace(b"total_amount=1.00", b"total_amount=100.00")
    assert post(configured, form) == (401, b"fail")
    assert queued_count() == 0


def test_another_apps_notification_gets_fail(configured, alipay_key):
    form = alipay_form(alipay_key, alipay_payment() | {"app_id": "2021000000000999"})
    assert post(configured, form) == (403, b"fail")
    assert queued_count() == 0


def test_an_rsa1_signed_notification_gets_fail(configured, alipay_key):
    form = alipay_form(alipay_key, alipay_payment()).replace(b"sign_type=RSA2", b"sign_type=RSA")
    assert post(configured, form) == (401, b"fail")


@pytest.mark.parametrize("change", [
    {"total_amount": "19.999"}, {"total_amount": "-1.00"}, {"total_amount": "1e3"},
    {"gmt_payment": "2030/06/01 20:00"}, {"passback_params": "%7Bbroken"}, {"passback_params": ""},
    {"trade_no": "bad#id"},
])
def test_a_signed_but_malformed_notification_gets_fail(configured, alipay_key, change):
    assert post(configured, alipay_form(alipay_key, alipay_payment() | change)) == (400, b"fail")
    assert queued_count() == 0


def test_a_refund_without_out_biz_no_is_malformed(configured, alipay_key):
    params = alipay_refund("1.00", "x")
    del params["out_biz_no"]
    assert post(configured, alipay_form(alipay_key, params)) == (400, b"fail")


def test_a_repeated_parameter_is_malformed(configured, alipay_key):
    form = alipay_form(alipay_key, alipay_payment()) + b"&trade_no=other"
    assert post(configured, form) == (400, b"fail")


def test_unconfigured_alipay_answers_503_fail_to_signed_requests(api, alipay_key):
    assert post(api, alipay_form(alipay_key, alipay_payment())) == (503, b"fail")
    assert post(api, urlencode({"trade_no": "1"}).encode()) == (401, b"fail")


# --- the translation, as pure functions -------------------------------------------------------

@pytest.mark.parametrize("text, fen", [("19.99", 1999), ("0.01", 1), ("100", 10000), ("100.5", 10050),
                                       ("0.1", 10), ("9999999999.99", 999999999999)])
def test_yuan_become_fen_exactly(text, fen):
    assert alipay.yuan_to_fen(text, "total_amount") == fen


def test_yuan_conversion_never_goes_through_float():
    # 0.29 * 100 is 28.999999999999996 as a float; truncating it would lose a fen
    assert alipay.yuan_to_fen("0.29", "total_amount") == 29
    assert alipay.yuan_to_fen("1.15", "total_amount") == 115


@pytest.mark.parametrize("text", ["0", "0.00", "01.00", "1.", ".5", "1,00", " 1.00", "１.００"])
def test_yuan_that_are_not_plain_positive_amounts_are_refused(text):
    with pytest.raises(ValidationFailed):
        alipay.yuan_to_fen(text, "total_amount")


def test_beijing_time_becomes_utc():
    assert alipay.beijing_time("2030-06-01 08:00:00", "gmt_payment") == datetime(2030, 6, 1, 0, 0, tzinfo=timezone.utc)
    assert alipay.beijing_time("2030-06-01 00:30:00.250", "gmt_refund") == datetime(2030, 5, 31, 16, 30,
                                                                                     tzinfo=timezone.utc)


def test_the_signed_content_is_sorted_without_sign_sign_type_and_empty_values():
    params = {"b": "2", "a": "1", "sign": "x", "sign_type": "RSA2", "empty": "", "c": "中文 &="}
    assert alipay.sign_content(params) == "a=1&b=2&c=中文 &=".encode()
