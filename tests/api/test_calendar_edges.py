"""Times at the ends of the calendar: a time whose UTC form falls outside 2000-2199 (or past
year 1 or 9999, where converting it would overflow) is bad input at every entry point that
takes a time, answered 400 (or the provider's failure shape) and nothing is stored or queued
(chalice.test.Client, moto)."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from pydantic import TypeAdapter, ValidationError

from chalicelib.coupons import rules
from chalicelib.coupons.models import Template
from chalicelib.models import UtcTime
from chalicelib.settings import get_settings
from tests.helpers import template_body
from tests.payment_helpers import (
    ALIPAY_APP_ID, WECHAT_SERIAL, alipay_form, alipay_payment, generic_payment, public_pem, queued_count, rsa_key,
    rule_body, signed_generic, wechat_headers, wechat_notification, wechat_transaction,
)

EXTREMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"]
OUT_OF_RANGE = [*EXTREMES, "1999-12-31T23:59:59Z", "2200-01-01T00:00:00Z",
                "2000-01-01T00:30:00+01:00"]  # 1999 once in UTC
NAIVE = "2030-01-01T00:00:00"
BAD_TIMES = [*OUT_OF_RANGE, NAIVE]


def assert_refused(status_and_body, field):
    status, body = status_and_body
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR"), body
    assert any(d["field"] == field for d in body["error"]["details"]), body


# --- the shared time type ------------------------------------------------------------------

@pytest.mark.parametrize("text", OUT_OF_RANGE)
def test_the_time_type_refuses_times_outside_2000_to_2199_in_utc(text):
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(UtcTime).validate_python(text)
    assert "2000" in str(refused.value) and "2199" in str(refused.value)


@pytest.mark.parametrize("text, utc", [
    ("2000-01-01T00:00:00Z", datetime(2000, 1, 1, tzinfo=timezone.utc)),
    ("2199-12-31T23:59:59Z", datetime(2199, 12, 31, 23, 59, 59, tzinfo=timezone.utc)),
    ("2200-01-01T07:59:59+08:00", datetime(2199, 12, 31, 23, 59, 59, tzinfo=timezone.utc)),
])
def test_the_time_type_keeps_the_bounds_themselves(text, utc):
    assert TypeAdapter(UtcTime).validate_python(text) == utc


# --- operators' bodies and queries ---------------------------------------------------------

@pytest.mark.parametrize("text", BAD_TIMES)
@pytest.mark.parametrize("field", ["claim_starts_at", "claim_ends_at"])
def test_a_template_with_a_time_out_of_range_is_refused(api, field, text):
    assert_refused(api.post("/admin/templates", template_body(**{field: text}), operator=True), field)
    assert api.get("/admin/templates", operator=True)[1]["items"] == []


@pytest.mark.parametrize("text", BAD_TIMES)
def test_a_fixed_validity_out_of_range_is_refused(api, text):
    body = template_body(validity={"fixed": {"from": "2030-01-01T00:00:00Z", "until": text}})
    assert_refused(api.post("/admin/templates", body, operator=True), "validity.fixed.until")


@pytest.mark.parametrize("text", BAD_TIMES)
@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
def test_a_rule_with_a_time_out_of_range_is_refused(api, field, text):
    assert_refused(api.post("/admin/rebate-rules", rule_body(**{field: text}), operator=True), field)
    assert api.get("/admin/rebate-rules", operator=True)[1]["items"] == []


@pytest.mark.parametrize("text", BAD_TIMES)
@pytest.mark.parametrize("name", ["from", "to"])
def test_template_stats_with_a_time_out_of_range_are_refused(api, name, text):
    template = api.published_template()
    assert_refused(api.get(f"/admin/templates/{template['id']}/stats?{name}={quote(text)}", operator=True), name)


def test_the_longest_validity_from_the_last_claimable_moment_stays_computable():
    """days_after_claim is at most 3650 and a claim happens before claim_ends_at (<= 2199), so
    valid_until stays far from year 9999."""
    last = datetime(2199, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    template = Template.model_validate({
        **template_body(claim_ends_at="2199-12-31T23:59:59Z", validity={"days_after_claim": 3650}),
        "id": "t", "status": "published", "scope": {"all": True}, "created_at": last, "updated_at": last})
    assert rules.validity_window(template, last) == (last, last + timedelta(days=3650))


# --- the generic webhook -------------------------------------------------------------------

@pytest.mark.parametrize("text", BAD_TIMES)
def test_a_signed_generic_payment_with_paid_at_out_of_range_is_400_and_not_queued(api, text):
    event = generic_payment()
    event["data"]["paid_at"] = text
    raw, headers = signed_generic(event)
    response = api.client.http.post("/webhooks/payments/generic", headers=headers, body=raw)
    assert_refused((response.status_code, json.loads(response.body)), "data.paid_at")
    assert queued_count() == 0


# --- WeChat Pay ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def provider_key():
    return rsa_key()


@pytest.fixture
def wechat(api, monkeypatch, provider_key):
    apiv3_key = secrets.token_hex(16)
    monkeypatch.setenv("WECHATPAY_PLATFORM_KEYS", json.dumps({WECHAT_SERIAL: public_pem(provider_key)}))
    monkeypatch.setenv("WECHATPAY_APIV3_KEY", apiv3_key)
    get_settings.cache_clear()
    yield api, apiv3_key
    get_settings.cache_clear()


@pytest.mark.parametrize("text", BAD_TIMES)
def test_a_wechat_payment_with_success_time_out_of_range_gets_400_fail_and_is_not_queued(wechat, provider_key, text):
    api, apiv3_key = wechat
    raw = wechat_notification({**wechat_transaction(), "success_time": text}, apiv3_key)
    response = api.client.http.post("/webhooks/payments/wechatpay", headers=wechat_headers(provider_key, raw), body=raw)
    assert response.status_code == 400, response.body
    body = json.loads(response.body)
    assert body["code"] == "FAIL" and "success_time" in body["message"], body
    assert queued_count() == 0


# --- Alipay ----------------------------------------------------------------------------------

@pytest.fixture
def alipay_api(api, monkeypatch, provider_key):
    monkeypatch.setenv("ALIPAY_PUBLIC_KEY", public_pem(provider_key))
    monkeypatch.setenv("ALIPAY_APP_ID", ALIPAY_APP_ID)
    get_settings.cache_clear()
    yield api
    get_settings.cache_clear()


# Beijing time: 0001-01-01 00:00 is still year 0 in UTC (overflow); 2000-01-01 07:59:59 is 1999.
@pytest.mark.parametrize("text", ["0001-01-01 00:00:00", "9999-12-31 23:59:59", "2000-01-01 07:59:59",
                                  "2200-01-01 08:00:00", "2030-06-01T20:00:00+08:00"])
def test_an_alipay_payment_with_gmt_payment_out_of_range_gets_400_fail_and_is_not_queued(alipay_api, provider_key,
                                                                                          text):
    form = alipay_form(provider_key, {**alipay_payment(), "gmt_payment": text})
    response = alipay_api.client.http.post("/webhooks/payments/alipay", body=form,
                                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (response.status_code, response.body) == (400, b"fail")
    assert queued_count() == 0


def test_alipay_beijing_time_at_the_bounds_is_accepted(alipay_api, provider_key):
    form = alipay_form(provider_key, {**alipay_payment(), "gmt_payment": "2200-01-01 07:59:59"})
    response = alipay_api.client.http.post("/webhooks/payments/alipay", body=form,
                                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (response.status_code, response.body) == (200, b"success")
