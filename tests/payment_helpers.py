"""Helpers of the webhook, rebate and withdrawal tests: signed provider requests, payment
events, rules, and reading the payment events queue."""

from __future__ import annotations

import base64
import json
import os
import time
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode

import boto3
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chalicelib.payments import alipay, generic
from chalicelib.payments.models import PaymentEvent
from chalicelib.errors import Throttled
from chalicelib.rebates import rules as rebate_rules
from chalicelib.rebates import settlement
from chalicelib.rebates.models import RuleCreate

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)


# --- the queue ------------------------------------------------------------------------------

def queue_url(name: str | None = None) -> str:
    return boto3.client("sqs").get_queue_url(QueueName=name or os.environ["PAYMENT_EVENTS_QUEUE"])["QueueUrl"]


def drain(name: str | None = None) -> list[dict[str, Any]]:
    """Every message on the queue (received and deleted), bodies parsed."""
    sqs, url, found = boto3.client("sqs"), queue_url(name), []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def queued_count(name: str | None = None) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue_url(name),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def sqs_event(bodies: list[str]) -> dict:
    """Lambda's SQS event, each record with its own message id (chalice's generator repeats one)."""
    return {"Records": [{
        "messageId": f"m-{i}", "receiptHandle": f"rh-{i}", "body": body, "md5OfBody": "x",
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1", "SenderId": "s",
                       "ApproximateFirstReceiveTimestamp": "1"},
        "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:mall-test-payment-events",
    } for i, body in enumerate(bodies)]}


# --- the generic webhook ------------------------------------------------------------------

def generic_payment(event_id: str = "evt_1", payment_id: str = "pay_1", user: str = "alice", amount: int = 10000,
                    paid_at: datetime = NOW, coupon_ids: list[str] | None = None, order_id: str = "order_1") -> dict:
    return {"id": event_id, "type": "payment.succeeded", "data": {
        "payment_id": payment_id, "order_id": order_id, "user_id": user, "amount": amount,
        "paid_at": paid_at.isoformat(), "coupon_ids": coupon_ids or []}}


def generic_refund(event_id: str = "evt_r1", refund_id: str = "ref_1", payment_id: str = "pay_1",
                   user: str = "alice", amount: int = 5000) -> dict:
    return {"id": event_id, "type": "refund.succeeded", "data": {
        "refund_id": refund_id, "payment_id": payment_id, "order_id": "order_1", "user_id": user, "amount": amount}}


def signed_generic(body: dict | bytes, secret: str | None = None,
                   at: int | None = None) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    t = int(time.time()) if at is None else at
    signature = generic.sign(secret or os.environ["PAYMENT_WEBHOOK_SECRET"], t, raw)
    return raw, {"Content-Type": "application/json", "X-Mall-Signature": f"t={t},v1={signature}"}


# --- RSA keys (WeChat Pay platform, Alipay) -------------------------------------------------

def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


# --- WeChat Pay -----------------------------------------------------------------------------

def wechat_notification(resource: dict, apiv3_key: str, event_type: str = "TRANSACTION.SUCCESS",
                        event_id: str = "EV-2018022511223320873") -> bytes:
    nonce, aad = "fdasflkja484", "transaction"
    ciphertext = AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), json.dumps(resource).encode(), aad.encode())
    return json.dumps({
        "id": event_id, "create_time": "2030-06-01T20:00:00+08:00", "event_type": event_type,
        "resource_type": "encrypt-resource", "summary": "支付成功",
        "resource": {"algorithm": "AEAD_AES_256_GCM", "ciphertext": base64.b64encode(ciphertext).decode(),
                     "associated_data": aad, "original_type": "transaction", "nonce": nonce},
    }, ensure_ascii=False).encode()


def wechat_transaction(transaction_id: str = "4200000001", user: str = "alice", payer_total: int = 10000,
                       coupon_ids: list[str] | None = None) -> dict:
    return {"mchid": "1230000109", "appid": "wxd678efh567hg6787", "out_trade_no": "order_wx_1",
            "transaction_id": transaction_id, "trade_type": "JSAPI", "trade_state": "SUCCESS",
            "trade_state_desc": "支付成功", "bank_type": "CMC", "success_time": "2030-06-01T20:00:00+08:00",
            "attach": json.dumps({"user_id": user, "coupon_ids": coupon_ids or []}),
            "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {"total": payer_total, "payer_total": payer_total, "currency": "CNY", "payer_currency": "CNY"}}


def wechat_refund(refund_id: str = "50000000382019052709732678859", transaction_id: str = "4200000001",
                  refund: int = 4000) -> dict:
    return {"mchid": "1230000109", "out_trade_no": "order_wx_1", "transaction_id": transaction_id,
            "out_refund_no": "refund_wx_1", "refund_id": refund_id, "refund_status": "SUCCESS",
            "success_time": "2030-06-02T10:00:00+08:00", "user_received_account": "招商银行信用卡0403",
            "amount": {"total": 10000, "refund": refund, "payer_total": 10000, "payer_refund": refund}}


WECHAT_SERIAL = "5157F09EFDC096DE15EBE81A47057A72"


def wechat_headers(key: rsa.RSAPrivateKey, raw: bytes, at: int | None = None,
                   nonce: str = "593BEC0C930BF1AFEB40B4A08C8FB242", serial: str = WECHAT_SERIAL) -> dict[str, str]:
    timestamp = str(int(time.time()) if at is None else at)
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + raw + b"\n"
    return {"Content-Type": "application/json", "Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": rsa_sign(key, message), "Wechatpay-Serial": serial}


# --- Alipay ---------------------------------------------------------------------------------

ALIPAY_APP_ID = "2021000000000001"


def alipay_payment(trade_no: str = "2030060122001400000000000001", user: str = "alice", total: str = "100.00",
                   status: str = "TRADE_SUCCESS", notify_id: str = "ac05099524730693a8b330c5ecf72da9786",
                   coupon_ids: list[str] | None = None) -> dict[str, str]:
    return {"notify_time": "2030-06-01 20:00:05", "notify_type": "trade_status_sync", "notify_id": notify_id,
            "app_id": ALIPAY_APP_ID, "charset": "utf-8", "version": "1.0", "trade_no": trade_no,
            "out_trade_no": "order_ali_1", "buyer_id": "2088102122524333", "trade_status": status,
            "total_amount": total, "receipt_amount": total, "buyer_pay_amount": total, "subject": "商品",
            "gmt_create": "2030-06-01 19:59:50", "gmt_payment": "2030-06-01 20:00:00",
            "passback_params": quote(json.dumps({"user_id": user, "coupon_ids": coupon_ids or []}), safe="")}


def alipay_refund(refund_fee: str, out_biz_no: str, trade_no: str = "2030060122001400000000000001",
                  notify_id: str | None = None) -> dict[str, str]:
    params = alipay_payment(trade_no=trade_no, notify_id=notify_id or f"refund-{out_biz_no}")
    params.update({"refund_fee": refund_fee, "out_biz_no": out_biz_no, "gmt_refund": "2030-06-02 10:00:00.123"})
    return params


def alipay_form(key: rsa.RSAPrivateKey, params: dict[str, str]) -> bytes:
    signed = {**params, "sign_type": "RSA2"}
    signed["sign"] = rsa_sign(key, alipay.sign_content(signed))
    return urlencode(signed).encode()


# --- settlement -----------------------------------------------------------------------------

def payment_event(payment_id: str = "pay_1", amount: int = 10000, user: str = "alice", paid_at: datetime = NOW,
                  event_id: str | None = None, order_id: str | None = None, coupon_ids: list[str] | None = None,
                  provider: str = "generic") -> PaymentEvent:
    return PaymentEvent(provider=provider, event_id=event_id or f"evt-{payment_id}", type="payment",
                        payment_id=payment_id, order_id=order_id or f"order-{payment_id}", user_id=user,
                        amount=amount, paid_at=paid_at, coupon_ids=coupon_ids or [], received_at=paid_at)


def refund_event(refund_id: str, payment_id: str = "pay_1", amount: int | None = None,
                 refunded_total: int | None = None, event_id: str | None = None, provider: str = "generic",
                 at: datetime = NOW) -> PaymentEvent:
    return PaymentEvent(provider=provider, event_id=event_id or f"evt-{refund_id}", type="refund",
                        payment_id=payment_id, amount=amount, refunded_total=refunded_total, refund_id=refund_id,
                        received_at=at)


def rule_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "5% back", "kind": "fixed_ratio", "ratio_bp": 500, "reward": "balance",
        "starts_at": (NOW - timedelta(days=30)).isoformat(), "ends_at": (NOW + timedelta(days=30)).isoformat(),
    }
    body.update(overrides)
    return body


def live_rule(now: datetime = NOW, **overrides: Any):
    """A published rule made through the service (times as text, validated as JSON is)."""
    rule = rebate_rules.create_rule(RuleCreate.model_validate_json(json.dumps(rule_body(**overrides))), now, None)
    return rebate_rules.change_rule_status(rule.id, "publish", now)


def like_sqs(operation, attempts=20):
    """Run as SQS (or the next schedule) would: again after a throttled attempt."""
    for _ in range(attempts):
        try:
            return operation()
        except Throttled:
            continue
    raise AssertionError("still throttled after retries")


def settle_like_sqs(event, attempts=20):
    """Process an event as SQS would deliver it: again after a throttled attempt."""
    return like_sqs(lambda: settlement.process(event, NOW), attempts)
