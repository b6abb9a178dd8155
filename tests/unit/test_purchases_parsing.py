"""What a payment bought, read from each provider's notification (issue 17, item 4): the generic
webhook's `purchases` strictly (a bad one is a 400), WeChat Pay's `attach` and Alipay's
`passback_params` compactly ("p": "<template_id>*<quantity>,...") and leniently: a payment
whose purchases cannot be read still settles, without them."""

from __future__ import annotations

import base64
import json
import secrets
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.errors import ValidationFailed
from chalicelib.payments import alipay, generic, purchases, wechatpay
from chalicelib.payments.models import Purchase
from tests.payment_helpers import NOW, alipay_payment, generic_payment, wechat_transaction

CARD, VOUCHER = "01J00000000000000000000001", "01J00000000000000000000002"
BOTH = [Purchase(template_id=CARD, quantity=2), Purchase(template_id=VOUCHER, quantity=1)]


# --- generic ----------------------------------------------------------------------------------

def generic_event(bought: object):
    body = generic_payment()
    body["data"]["purchases"] = bought
    return generic.to_event(json.dumps(body).encode(), NOW)


def test_generic_purchases_are_read_from_the_data():
    event = generic_event([{"template_id": CARD, "quantity": 2}, {"template_id": VOUCHER, "quantity": 1}])
    assert event is not None and event.purchases == BOTH


def test_a_generic_payment_without_purchases_buys_nothing():
    event = generic.to_event(json.dumps(generic_payment()).encode(), NOW)
    assert event is not None and event.purchases == []


@pytest.mark.parametrize("bought", [
    [{"template_id": CARD, "quantity": 0}],
    [{"template_id": CARD, "quantity": 11}],
    [{"template_id": CARD, "quantity": "2"}],
    [{"template_id": "not-an-id", "quantity": 1}],
    [{"template_id": CARD}],
    [{"template_id": CARD, "quantity": 1, "price": 100}],
    [{"template_id": CARD, "quantity": 1}, {"template_id": CARD, "quantity": 1}],
    [{"template_id": CARD, "quantity": 1}] * 6,
    {"template_id": CARD, "quantity": 1},
    "x",
])
def test_a_malformed_generic_purchase_is_refused(bought):
    with pytest.raises(ValidationFailed):
        generic_event(bought)


# --- the compact form -------------------------------------------------------------------------

def test_the_compact_form_round_trips_and_fits_wechats_128_bytes():
    text = purchases.compact(BOTH)
    assert text == f"{CARD}*2,{VOUCHER}*1"
    assert purchases.parse_compact(text) == BOTH
    attach = json.dumps({"user_id": "u_12345678", "p": text}, separators=(",", ":"))
    assert len(attach.encode()) <= 128


@pytest.mark.parametrize("text", ["", CARD, f"{CARD}*", f"{CARD}*0", f"{CARD}*11", f"{CARD}*-1", f"{CARD}*1,",
                                  f"bad*1", f"{CARD}*1,{CARD}*2", f"{CARD}*100"])
def test_a_malformed_compact_form_is_a_value_error(text):
    with pytest.raises(ValueError):
        purchases.parse_compact(text)


# --- WeChat Pay attach ------------------------------------------------------------------------

def wechat_event(attach: dict | str):
    key = secrets.token_hex(16)
    transaction = wechat_transaction()
    transaction["attach"] = attach if isinstance(attach, str) else json.dumps(attach)
    nonce = "n0nce0000000"
    ciphertext = AESGCM(key.encode()).encrypt(nonce.encode(), json.dumps(transaction).encode(), b"transaction")
    body = {"id": "EV-1", "event_type": "TRANSACTION.SUCCESS", "resource": {
        "algorithm": "AEAD_AES_256_GCM", "ciphertext": base64.b64encode(ciphertext).decode(),
        "associated_data": "transaction", "nonce": nonce}}
    return wechatpay.to_event(json.dumps(body).encode(), key.encode(), NOW)


def test_wechat_purchases_are_read_from_attach_p():
    event = wechat_event({"user_id": "alice", "p": f"{CARD}*2,{VOUCHER}*1"})
    assert event is not None and (event.user_id, event.purchases) == ("alice", BOTH)


@pytest.mark.parametrize("attach", [
    {"user_id": "alice", "p": f"{CARD}*99"},
    {"user_id": "alice", "p": 5},
    {"user_id": "alice", "p": "garbage"},
    {"user_id": "alice", "purchases": [{"template_id": CARD}]},
    {"user_id": "alice", "p": f"{CARD}*1", "purchases": [{"template_id": CARD, "quantity": 1}]},
])
def test_an_unreadable_wechat_purchase_still_settles_the_payment_without_it(attach):
    event = wechat_event(attach)
    assert event is not None and (event.type, event.user_id, event.amount, event.purchases) == (
        "payment", "alice", 10000, [])


def test_an_attach_without_a_user_is_still_refused():
    with pytest.raises(ValidationFailed):
        wechat_event(f"{CARD}*1")


# --- Alipay passback_params -------------------------------------------------------------------

def alipay_event(passback: dict):
    params = alipay_payment()
    params["passback_params"] = quote(json.dumps(passback), safe="")
    return alipay.to_event(params, NOW)


def test_alipay_purchases_are_read_from_passback_params_compact_or_long():
    compact = alipay_event({"user_id": "alice", "p": f"{CARD}*2,{VOUCHER}*1"})
    long = alipay_event({"user_id": "alice", "purchases": [{"template_id": CARD, "quantity": 2},
                                                           {"template_id": VOUCHER, "quantity": 1}]})
    assert compact is not None and long is not None and compact.purchases == long.purchases == BOTH


@pytest.mark.parametrize("passback", [
    {"user_id": "alice", "purchases": [{"template_id": CARD, "quantity": 0}]},
    {"user_id": "alice", "purchases": "nope"},
    {"user_id": "alice", "p": f"{CARD}*x"},
])
def test_an_unreadable_alipay_purchase_still_settles_the_payment_without_it(passback):
    event = alipay_event(passback)
    assert event is not None and (event.type, event.user_id, event.purchases) == ("payment", "alice", [])
