"""A crash between two steps of the payment flow, at every step: nothing lost, nothing doubled.

Settlement is a sequence of DynamoDB writes (record the payment and its event, use the
order's coupons and card, note the outcome, one transaction per rule's rebate, mark the
payment applied; for a refund: record it, claw back each rebate, revoke the voucher,
restore the coupon and card). Here the function dies before its N-th write, for every N:
the write raises out of the consumer (`LambdaDied`, as a timeout or an out-of-memory kill
would end the invocation), so SQS keeps the message; then the same message is delivered
again with no fault, and the whole table must equal what one fault-free delivery leaves.

A crash after a write committed leaves the same table as a crash before the next write,
so these positions are every state a crash can leave. The fault-free reference runs once
per flow in a moto of its own; each crash test loads the reference's starting table (ids
and all) into a fresh moto and reads the same clock. Ids minted during settlement (ledger
entries, card log entries, the voucher coupon) are compared as `<new id>`, and the table
as a multiset of items, so two ledger entries where there should be one still differ.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from moto import mock_aws

from chalicelib import dynamo
from chalicelib.coupons import keys as coupon_keys
from chalicelib.coupons import checkout
from chalicelib.coupons.models import HoldRequest, LineItem
from chalicelib.orders import reservations
from chalicelib.orders.models import ReservationRequest
from chalicelib.jobs import registry as jobs
from chalicelib.jobs.budget import Unlimited
from chalicelib.payments import consumer
from chalicelib.payments.models import PaymentEvent
from chalicelib.rebates import holds, withdrawals
from chalicelib.rebates.models import WithdrawalCreate
from dev.bootstrap import bootstrap
from tests.checkout_helpers import card, give, item, lock_request
from tests.helpers import reset_clients
from tests.payment_helpers import NOW, live_rule, payment_event, refund_event
from tests.programme_helpers import set_programme
from tests.purchase_helpers import buying, for_sale
from tests.reservation_helpers import fund

WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
# The due-index shards a coupon is listed under are a hash of its id.
EXPIRY_SHARD = re.compile("(" + "|".join(re.escape(prefix) for prefix in (
    coupon_keys.EXPIRY_PREFIX, coupon_keys.REMINDER_PREFIX, coupon_keys.LOCK_PREFIX)) + r")\d+")
PAID = 20000
REFUNDED_AT = NOW + timedelta(days=11)  # after the first 全返 instalment was released


class LambdaDied(Exception):
    """The function stopped here: nothing after this point of the invocation ran."""


class Writes:
    """A hook on the service's DynamoDB client, run before each call is built (once per call,
    whatever botocore retries): records each write (operation and the kinds of items it
    touches) and makes the write at position `crash_at` (counted from 0) raise instead."""

    def __init__(self, crash_at: int | None = None) -> None:
        self.crash_at = crash_at
        self.seen: list[str] = []
        self.crashed = False

    def __call__(self, params: dict[str, Any], model, **_) -> None:
        if model.name not in WRITE_OPERATIONS:
            return
        if len(self.seen) == self.crash_at and not self.crashed:
            self.crashed = True
            raise LambdaDied(f"before write {self.crash_at + 1}: {describe(model.name, params)}")
        self.seen.append(describe(model.name, params))

    def __enter__(self) -> Writes:
        dynamo.client().meta.events.register_first("before-parameter-build.dynamodb", self)
        return self

    def __exit__(self, *_) -> None:
        dynamo.client().meta.events.unregister("before-parameter-build.dynamodb", self)


def describe(operation: str, params: dict[str, Any]) -> str:
    """`Transact[Put EVT/EVT, Put PAY/PAY]`: each item's action and key prefixes."""
    def item(action: str, request: dict[str, Any]) -> str:
        key = request.get("Key") or request["Item"]
        return f"{action} {key['PK']['S'].split('#')[0]}/{key['SK']['S'].split('#')[0]}"

    if operation == "TransactWriteItems":
        return "Transact[" + ", ".join(item(*next(iter(i.items()))) for i in params["TransactItems"]) + "]"
    return item(operation.removesuffix("Item"), params)


# --- the world: one order paying with a coupon and a card, four rules -----------------------

def build_world() -> dict[str, Any]:
    """A locked coupon and a card hold for order-pay_1, and four live rules (distinct end times,
    so that a payment lists them in this order): balance with caps, points, 全返, a voucher."""
    coupon = give("alice")
    checkout.lock_coupon("alice", coupon.id, lock_request("order-pay_1", PAID), NOW)
    gift_card = card("alice", value=5000)
    checkout.hold_card("alice", gift_card.id, HoldRequest(order_id="order-pay_1", amount=3000), NOW)
    voucher_template = give("ops-seed").template_id
    ends = [(NOW + timedelta(days=30 + i)).isoformat() for i in range(4)]
    live_rule(name="balance", ratio_bp=500, caps={"per_order": 800, "budget": 100000}, ends_at=ends[0])
    live_rule(name="points", kind="threshold", ratio_bp=None, threshold={"min_paid": 5000, "amount": 300},
              reward="points", ends_at=ends[1])
    live_rule(name="full return", kind="full_return", ratio_bp=1000, installments=3, period_days=10,
              ends_at=ends[2])
    live_rule(name="voucher", kind="threshold", ratio_bp=None, threshold={"min_paid": 10000},
              reward={"voucher_template_id": voucher_template}, ends_at=ends[3])
    return {"coupon_ids": [coupon.id, gift_card.id]}


def the_payment(world: dict[str, Any]) -> PaymentEvent:
    return payment_event("pay_1", PAID, coupon_ids=world["coupon_ids"])


def the_refund() -> PaymentEvent:
    return refund_event("r1", "pay_1", amount=PAID, at=REFUNDED_AT)


# --- the table --------------------------------------------------------------------------------

def table_items() -> list[dict[str, Any]]:
    ddb, items, start = boto3.client("dynamodb"), [], {}
    while True:
        page = ddb.scan(TableName=os.environ["MALL_TABLE"], ConsistentRead=True, **start)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def load(items: list[dict[str, Any]]) -> None:
    """Fill the (empty) table with `items`, ids and all."""
    ddb = boto3.client("dynamodb")
    for item in items:
        ddb.put_item(TableName=os.environ["MALL_TABLE"], Item=item)


def normalized(items: list[dict[str, Any]], known_ids: set[str]) -> Counter[str]:
    """The table as a multiset of items, ids minted after `known_ids` replaced by `<new id>`
    (and the due-index shards, which a new coupon's id picks)."""
    def text(item: dict[str, Any]) -> str:
        raw = EXPIRY_SHARD.sub("<shard>", json.dumps(item, sort_keys=True))
        return ULID.sub(lambda m: m.group() if m.group() in known_ids else "<new id>", raw)

    return Counter(text(item) for item in items)


def one(items: list[dict[str, Any]], pk: str, sk: str) -> dict[str, Any]:
    [found] = [dynamo.from_item(i) for i in items if i["PK"]["S"] == pk and i["SK"]["S"] == sk]
    return found


# --- delivery ---------------------------------------------------------------------------------

def sqs_event(event: PaymentEvent, receive_count: int) -> dict[str, Any]:
    return {"Records": [{
        "messageId": "m-1", "receiptHandle": f"rh-{receive_count}", "body": event.model_dump_json(),
        "md5OfBody": "x", "attributes": {"ApproximateReceiveCount": str(receive_count), "SentTimestamp": "1",
                                         "SenderId": "s", "ApproximateFirstReceiveTimestamp": "1"},
        "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:mall-test-payment-events",
    }]}


Deliver = Callable[..., None]


def delivery(client, monkeypatch: pytest.MonkeyPatch) -> Deliver:
    """deliver(event, at, receive_count=1): the consumer function invoked with one SQS message,
    reading the clock as `at` (a crash run and its reference must see the same time)."""
    def deliver(event: PaymentEvent, at: datetime, receive_count: int = 1) -> None:
        monkeypatch.setattr(consumer, "utcnow", lambda: at)
        client.lambda_.invoke("payment_events", sqs_event(event, receive_count))

    return deliver


@pytest.fixture
def deliver(api, monkeypatch) -> Deliver:
    return delivery(api.client, monkeypatch)


@dataclass
class Reference:
    """One fault-free delivery of `event` at `at`: the table before and after, and its writes."""

    event: PaymentEvent
    at: datetime
    start: list[dict[str, Any]]
    end: list[dict[str, Any]]
    writes: list[str]


def fault_free(prepare: Callable[[Deliver], tuple[PaymentEvent, datetime]]) -> Reference:
    """In a moto of its own (built once per module: every crash test compares with it),
    `prepare` builds the table and names the event; then one delivery with no fault."""
    from chalice.test import Client

    from app import app

    with mock_aws(), pytest.MonkeyPatch.context() as monkeypatch:
        reset_clients()
        bootstrap(os.environ)
        with Client(app, stage_name="test") as client:
            deliver = delivery(client, monkeypatch)
            event, at = prepare(deliver)
            start = table_items()
            with Writes() as writes:
                deliver(event, at)
            end = table_items()
    reset_clients()
    return Reference(event, at, start, end, writes.seen)


def crash_then_redeliver(deliver: Deliver, reference: Reference, crash_at: int) -> None:
    """From the reference's starting table, the first delivery dies before write `crash_at`
    and fails (SQS keeps the message); the second, with no fault, is SQS handing the same
    message over again."""
    load(reference.start)
    with Writes(crash_at) as writes, pytest.raises(BatchProcessingError):
        deliver(reference.event, reference.at, receive_count=1)
    assert writes.crashed, f"the delivery made only {len(writes.seen)} writes"
    deliver(reference.event, reference.at, receive_count=2)


def assert_same_table_as(reference: Reference) -> None:
    known_ids = set(ULID.findall(json.dumps(reference.start)))
    expected, actual = normalized(reference.end, known_ids), normalized(table_items(), known_ids)
    assert {"lost": sorted((expected - actual).elements()), "extra": sorted((actual - expected).elements())} == {
        "lost": [], "extra": []}


def positions(writes: list[tuple[str, str]]):
    return pytest.mark.parametrize("crash_at", range(len(writes)),
                                   ids=[f"before write {n + 1}, {label}" for n, (label, _) in enumerate(writes)])


# --- the payment ------------------------------------------------------------------------------

PAYMENT_WRITES = [
    ("payment and event recorded", "Transact[Put EVT/EVT, Put PAY/PAY, Update REBATES/TOTALS, Update REBATES/DAY]"),
    ("coupon used", "Transact[Update USER/CPN, Update TPL/TPL, Update STATS/HOUR, Update USER/PAY]"),
    ("card hold spent", "Transact[Update USER/HOLD, Update USER/CPN, Put USER/CARDLOG, Update USER/PAY]"),
    ("coupons outcome noted", "Update PAY/PAY"),
    # Each rebate moves the payment's running return (`Update PAY/PAY`, the return cap) in its transaction.
    ("balance rebate", "Transact[Put PAY/REBATE, Update PAY/PAY, Update RULE/ORDER, Update RULE/RULE, "
                       "Update REBATES/TOTALS, Update REBATES/DAY, Update ACCT/ACCOUNT, Put ACCT/LEDGER]"),
    ("points rebate", "Transact[Put PAY/REBATE, Update PAY/PAY, Update RULE/STATS, Update REBATES/TOTALS, Update REBATES/DAY, "
                      "Update ACCT/ACCOUNT, Put ACCT/LEDGER]"),
    ("full-return instalments", "Transact[Put PAY/REBATE, Update PAY/PAY, Update RULE/STATS, Update REBATES/TOTALS, Update REBATES/DAY, "
                                "Put ACCT/INST, Put ACCT/INST, Put ACCT/INST]"),
    ("voucher granted", "Transact[Put GRANT/GRANT, Update TPL/TPL, Update USER/CLAIMS, Put USER/CPN, "
                        "Update STATS/HOUR]"),
    ("voucher rebate recorded", "Transact[Put PAY/REBATE, Update PAY/PAY, Update RULE/STATS, "
                                "Update REBATES/TOTALS, Update REBATES/DAY]"),
    ("payment applied", "Update PAY/PAY"),
]


@pytest.fixture(scope="module")
def paid():
    return fault_free(lambda deliver: (the_payment(build_world()), NOW))


def test_a_fault_free_payment_settles_in_these_writes(paid):
    """The reference the crash tests compare with: every step does its part, once."""
    assert paid.writes == [signature for _, signature in PAYMENT_WRITES]
    account = one(paid.end, "ACCT#alice", "ACCOUNT")
    assert (account["balance"], account["points"]) == (800, 300)
    rebates = [dynamo.from_item(i) for i in paid.end if i["SK"]["S"].startswith("REBATE#")]
    [voucher] = [r for r in rebates if r.get("coupon_id")]
    voucher_face = one(paid.end, "USER#alice", f"CPN#{voucher['coupon_id']}")["value"]
    assert sorted(r["returned"] for r in rebates) == sorted([800, 300, 2000, voucher_face])
    assert one(paid.end, "PAY#generic:pay_1", "PAY")["returned"] == 800 + 300 + 2000 + voucher_face
    coupon_id, card_id = paid.event.coupon_ids
    assert one(paid.end, "USER#alice", f"CPN#{coupon_id}")["status"] == "used"
    assert one(paid.end, "USER#alice", f"CPN#{card_id}")["balance"] == 2000


@positions(PAYMENT_WRITES)
def test_a_payment_redelivered_after_a_crash_ends_as_one_fault_free_delivery(paid, deliver, crash_at):
    crash_then_redeliver(deliver, paid, crash_at)
    assert_same_table_as(paid)


# --- the refund -------------------------------------------------------------------------------

REFUND_WRITES = [
    ("refund and event recorded",
     "Transact[Put EVT/EVT, Put PAY/REFUND, Update PAY/PAY, Update REBATES/TOTALS, Update REBATES/DAY]"),
    ("balance clawed back, partly as debt",
     "Transact[Update PAY/REBATE, Update RULE/STATS, Update REBATES/TOTALS, Update REBATES/DAY, Update ACCT/ACCOUNT, Put ACCT/LEDGER, "
     "Put ACCT/LEDGER]"),
    ("points clawed back", "Transact[Update PAY/REBATE, Update RULE/STATS, Update REBATES/TOTALS, Update REBATES/DAY, "
                           "Update ACCT/ACCOUNT, Put ACCT/LEDGER]"),
    ("instalments cancelled, released part owed as debt",
     "Transact[Update PAY/REBATE, Update RULE/STATS, Update REBATES/TOTALS, Update REBATES/DAY, Update ACCT/INST, Update ACCT/INST, "
     "Update ACCT/ACCOUNT, Put ACCT/LEDGER]"),
    ("voucher rule's totals lowered", "Transact[Update PAY/REBATE, Update RULE/STATS]"),
    ("voucher revoked", "Update USER/CPN"),
    ("voucher rebate marked revoked", "Transact[Update PAY/REBATE, Update REBATES/TOTALS, Update REBATES/DAY]"),
    ("coupon restored", "Transact[Update USER/CPN, Update TPL/TPL, Update STATS/HOUR]"),
    ("card amount returned", "Transact[Update USER/HOLD, Update USER/CPN, Put USER/CARDLOG]"),
]


@pytest.fixture(scope="module")
def refunded():
    """The payment settled, its first 全返 instalment (666) released, and 1,000 of the balance
    (800 + 666) frozen by a withdrawal; then the full refund, whose clawbacks of 1,466 find
    466 and leave the rest as debt."""
    def prepare(deliver: Deliver) -> tuple[PaymentEvent, datetime]:
        deliver(the_payment(build_world()), NOW)
        assert jobs.run("release-instalments", NOW + timedelta(days=10), Unlimited()).changed == 1
        withdrawals.request_withdrawal("alice", WithdrawalCreate(amount=1000), NOW + timedelta(days=10), None)
        return the_refund(), REFUNDED_AT

    return fault_free(prepare)


def test_a_fault_free_full_refund_settles_in_these_writes(refunded):
    assert refunded.writes == [signature for _, signature in REFUND_WRITES]
    account = one(refunded.end, "ACCT#alice", "ACCOUNT")
    assert (account["balance"], account["frozen"], account["debt"], account["points"]) == (0, 1000, 1000, 0)
    alices = [dynamo.from_item(i) for i in refunded.end if i["PK"]["S"] in ("USER#alice", "ACCT#alice")]
    assert sorted(i["status"] for i in alices if i["SK"].startswith("INST#")) == ["cancelled", "cancelled", "released"]
    assert sorted(i["status"] for i in alices if i["SK"].startswith("CPN#")) == ["revoked", "unused", "unused"]


@positions(REFUND_WRITES)
def test_a_refund_redelivered_after_a_crash_ends_as_one_fault_free_delivery(refunded, deliver, crash_at):
    crash_then_redeliver(deliver, refunded, crash_at)
    assert_same_table_as(refunded)


# --- a voucher reward that cannot be granted ----------------------------------------------------

NOT_GRANTED_WRITES = [
    ("payment and event recorded", "Transact[Put EVT/EVT, Put PAY/PAY, Update REBATES/TOTALS, Update REBATES/DAY]"),
    ("coupons outcome noted", "Update PAY/PAY"),
    ("voucher grant tried, refused by the per-user limit",
     "Transact[Put GRANT/GRANT, Update TPL/TPL, Update USER/CLAIMS, Put USER/CPN, Update STATS/HOUR]"),
    ("voucher not granted: rebate, rule and programme figures, the shopper's notice",
     "Transact[Put PAY/REBATE, Update RULE/STATS, Update REBATES/TOTALS, Update REBATES/DAY, Put ACCT/LEDGER]"),
    ("payment applied", "Update PAY/PAY"),
]


@pytest.fixture(scope="module")
def not_granted():
    """A voucher rule whose template allows one per shopper, and alice holds one already."""
    def prepare(deliver: Deliver) -> tuple[PaymentEvent, datetime]:
        template_id = give("alice", per_user_limit=1).template_id
        live_rule(name="voucher", kind="threshold", ratio_bp=None, threshold={"min_paid": 10000},
                  reward={"voucher_template_id": template_id})
        return payment_event("pay_1", PAID), NOW

    return fault_free(prepare)


def test_a_fault_free_payment_records_the_voucher_it_could_not_grant_in_these_writes(not_granted):
    assert not_granted.writes == [signature for _, signature in NOT_GRANTED_WRITES]
    [rebate] = [dynamo.from_item(i) for i in not_granted.end if i["SK"]["S"].startswith("REBATE#")]
    assert (rebate["voucher_state"], rebate["not_granted_reason"]) == ("not_granted", "LIMIT_REACHED")
    [entry] = [dynamo.from_item(i) for i in not_granted.end if i["SK"]["S"].startswith("LEDGER#")]
    assert (entry["type"], entry["amount"], entry["reason"]) == ("voucher_not_granted", 0, "LIMIT_REACHED")


@positions(NOT_GRANTED_WRITES)
def test_a_voucher_not_granted_redelivered_after_a_crash_is_recorded_once(not_granted, deliver, crash_at):
    crash_then_redeliver(deliver, not_granted, crash_at)
    assert_same_table_as(not_granted)


# --- rules past the return cap ------------------------------------------------------------------

CAPPED_WRITES = [
    ("payment and event recorded, with the cap", "Transact[Put EVT/EVT, Put PAY/PAY, Update REBATES/TOTALS, Update REBATES/DAY]"),
    ("coupons outcome noted", "Update PAY/PAY"),
    ("first rule whole, the running return moved",
     "Transact[Put PAY/REBATE, Update PAY/PAY, Update RULE/STATS, Update REBATES/TOTALS, Update REBATES/DAY, Update ACCT/ACCOUNT, "
     "Put ACCT/LEDGER]"),
    ("second rule trimmed to the cap",
     "Transact[Put PAY/REBATE, Update PAY/PAY, Update RULE/STATS, Update REBATES/TOTALS, Update REBATES/DAY, Update ACCT/ACCOUNT, "
     "Put ACCT/LEDGER]"),
    ("third rule past the cap: an ordinary 0", "Put PAY/REBATE"),
    ("payment applied", "Update PAY/PAY"),
]


@pytest.fixture(scope="module")
def capped():
    """Three rules of 60% (balance, points at 2 points a fen, balance) under a cap of 90%."""
    def prepare(deliver: Deliver) -> tuple[PaymentEvent, datetime]:
        ends = [(NOW + timedelta(days=30 + i)).isoformat() for i in range(3)]
        live_rule(ratio_bp=6000, ends_at=ends[0])
        live_rule(ratio_bp=6000, reward="points", ends_at=ends[1])
        live_rule(ratio_bp=6000, ends_at=ends[2])
        set_programme(max_return_bp=9000, points_per_yuan=200)
        return payment_event("pay_1", PAID), NOW

    return fault_free(prepare)


def test_a_fault_free_capped_payment_settles_in_these_writes(capped):
    assert capped.writes == [signature for _, signature in CAPPED_WRITES]
    account = one(capped.end, "ACCT#alice", "ACCOUNT")
    assert (account["balance"], account["points"]) == (12000, 12000)  # 6000 fen of points counted, 2 a fen
    assert one(capped.end, "PAY#generic:pay_1", "PAY")["returned"] == 18000


@positions(CAPPED_WRITES)
def test_a_capped_payment_redelivered_after_a_crash_ends_as_one_fault_free_delivery(capped, deliver, crash_at):
    crash_then_redeliver(deliver, capped, crash_at)
    assert_same_table_as(capped)


# --- an order paid with a reservation (coupon, card, balance and points held in one step) --------

def build_reserved_world() -> dict[str, Any]:
    """Order order-pay_1 reserved: its coupon locked, 2,000 of a card, 1,000 of the balance and
    1,000 points held; one live balance rule."""
    fund(balance=3000, points=1500)
    coupon, gift_card = give("alice", value=1000, min_spend=0), card("alice", value=2000)
    request = ReservationRequest(order_id="order-pay_1", items=[LineItem(**item(10_000))],
                                 coupon_ids=[coupon.id, gift_card.id], use_points=1000, use_balance=1000)
    assert reservations.reserve("alice", request, NOW).total == RESERVED_PAID
    live_rule(name="balance", ratio_bp=500)
    return {"coupon_ids": [coupon.id, gift_card.id]}


RESERVED_PAID = 5000
RESERVED_PAYMENT_WRITES = [
    ("payment and event recorded", "Transact[Put EVT/EVT, Put PAY/PAY, Update REBATES/TOTALS, Update REBATES/DAY]"),
    ("reservation spent: paid, coupon used, card hold spent, held balance and points spent",
     "Transact[Update RSV/RSV, Update USER/CPN, Update TPL/TPL, Update STATS/HOUR, Update USER/HOLD, Update USER/CPN, "
     "Put USER/CARDLOG, "
     "Update USER/PAY, Update ACCT/ACCOUNT, Put ACCT/LEDGER, Put ACCT/LEDGER]"),
    ("reservation outcome noted", "Update PAY/PAY"),
    ("coupons outcome noted", "Update PAY/PAY"),
    ("balance rebate, the running return moved",
     "Transact[Put PAY/REBATE, Update PAY/PAY, Update RULE/STATS, Update REBATES/TOTALS, Update REBATES/DAY, Update ACCT/ACCOUNT, "
     "Put ACCT/LEDGER]"),
    ("payment applied", "Update PAY/PAY"),
]
RESERVED_REFUND_WRITES = [
    ("refund and event recorded", "Transact[Put EVT/EVT, Put PAY/REFUND, Update PAY/PAY, Update REBATES/TOTALS, Update REBATES/DAY]"),
    ("balance and points given back", "Transact[Update RSV/RSV, Update ACCT/ACCOUNT, Put ACCT/LEDGER, Put ACCT/LEDGER]"),
    ("balance rebate clawed back", "Transact[Update PAY/REBATE, Update RULE/STATS, Update REBATES/TOTALS, Update REBATES/DAY, "
                                   "Update ACCT/ACCOUNT, Put ACCT/LEDGER]"),
]


@pytest.fixture(scope="module")
def reserved_paid():
    return fault_free(lambda deliver: (payment_event("pay_1", RESERVED_PAID, coupon_ids=build_reserved_world()[
        "coupon_ids"]), NOW))


def test_a_fault_free_payment_of_a_reservation_settles_in_these_writes(reserved_paid):
    assert reserved_paid.writes == [signature for _, signature in RESERVED_PAYMENT_WRITES]
    account = one(reserved_paid.end, "ACCT#alice", "ACCOUNT")
    assert (account["balance"], account["held"], account["points"], account["points_held"]) == (2250, 0, 500, 0)
    assert one(reserved_paid.end, "RSV#alice#order-pay_1", "RSV")["status"] == "paid"


@positions(RESERVED_PAYMENT_WRITES)
def test_a_payment_of_a_reservation_redelivered_after_a_crash_ends_as_one_fault_free_delivery(
        reserved_paid, deliver, crash_at):
    crash_then_redeliver(deliver, reserved_paid, crash_at)
    assert_same_table_as(reserved_paid)


@pytest.fixture(scope="module")
def reserved_refunded():
    """The reserved order paid, then refunded in part: 2,000 of 5,000 gives back 400 and 400 points."""
    def prepare(deliver: Deliver) -> tuple[PaymentEvent, datetime]:
        deliver(payment_event("pay_1", RESERVED_PAID, coupon_ids=build_reserved_world()["coupon_ids"]), NOW)
        return refund_event("r1", "pay_1", amount=2000, at=REFUNDED_AT), REFUNDED_AT

    return fault_free(prepare)


def test_a_fault_free_refund_of_a_reservation_settles_in_these_writes(reserved_refunded):
    assert reserved_refunded.writes == [signature for _, signature in RESERVED_REFUND_WRITES]
    account = one(reserved_refunded.end, "ACCT#alice", "ACCOUNT")
    assert (account["balance"], account["points"]) == (2250 + 400 - 100, 500 + 400)


@positions(RESERVED_REFUND_WRITES)
def test_a_refund_of_a_reservation_redelivered_after_a_crash_ends_as_one_fault_free_delivery(
        reserved_refunded, deliver, crash_at):
    crash_then_redeliver(deliver, reserved_refunded, crash_at)
    assert_same_table_as(reserved_refunded)


# --- a rule with a return window (pending_days): pending, a refund inside it, the release ---------

PENDING_PAID_AT, PENDING_REFUNDED_AT = NOW, NOW + timedelta(days=2)
RELEASED_AT = NOW + timedelta(days=7)


def build_pending_world() -> None:
    """Three rules with a 7-day window: 5% balance, 10% points, a voucher from ¥100 paid."""
    template_id = give("ops-seed", claim_ends_at=NOW + timedelta(days=30)).template_id
    ends = [(NOW + timedelta(days=30 + i)).isoformat() for i in range(3)]
    live_rule(name="pending balance", ratio_bp=500, pending_days=7, ends_at=ends[0])
    live_rule(name="pending points", ratio_bp=1000, reward="points", pending_days=7, ends_at=ends[1])
    live_rule(name="pending voucher", kind="threshold", ratio_bp=None, threshold={"min_paid": 10000},
              reward={"voucher_template_id": template_id}, pending_days=7, ends_at=ends[2])


PENDING_PAYMENT_WRITES = [
    ("payment and event recorded", "Transact[Put EVT/EVT, Put PAY/PAY, Update REBATES/TOTALS, Update REBATES/DAY]"),
    ("coupons outcome noted", "Update PAY/PAY"),
    ("balance onto pending", "Transact[Put PAY/REBATE, Update PAY/PAY, Update RULE/STATS, Update REBATES/TOTALS, Update REBATES/DAY, "
                             "Update ACCT/ACCOUNT, Put ACCT/LEDGER]"),
    ("points onto pending", "Transact[Put PAY/REBATE, Update PAY/PAY, Update RULE/STATS, Update REBATES/TOTALS, Update REBATES/DAY, "
                            "Update ACCT/ACCOUNT, Put ACCT/LEDGER]"),
    ("voucher pending: its face counted against the cap", "Transact[Put PAY/REBATE, Update PAY/PAY]"),
    ("payment applied", "Update PAY/PAY"),
]
PENDING_REFUND_WRITES = [
    ("refund and event recorded", "Transact[Put EVT/EVT, Put PAY/REFUND, Update PAY/PAY, Update REBATES/TOTALS, Update REBATES/DAY]"),
    ("balance taken back from pending", "Transact[Update PAY/REBATE, Update RULE/STATS, Update REBATES/TOTALS, Update REBATES/DAY, "
                                        "Update ACCT/ACCOUNT, Put ACCT/LEDGER]"),
    ("points taken back from pending", "Transact[Update PAY/REBATE, Update RULE/STATS, Update REBATES/TOTALS, Update REBATES/DAY, "
                                       "Update ACCT/ACCOUNT, Put ACCT/LEDGER]"),
]
PENDING_RELEASE_WRITES = [
    ("balance released", "Transact[Update PAY/REBATE, Update ACCT/ACCOUNT, Put ACCT/LEDGER, Put ACCT/LEDGER]"),
    ("points released", "Transact[Update PAY/REBATE, Update ACCT/ACCOUNT, Put ACCT/LEDGER, Put ACCT/LEDGER]"),
    ("voucher granted", "Transact[Put GRANT/GRANT, Update TPL/TPL, Update USER/CLAIMS, Put USER/CPN, "
                        "Update STATS/HOUR]"),
    ("voucher rebate settled, pinned on the refunded total",
     "Transact[Update PAY/REBATE, ConditionCheck PAY/PAY, Update RULE/STATS, Update REBATES/TOTALS, Update REBATES/DAY]"),
]


@pytest.fixture(scope="module")
def pending_paid():
    def prepare(deliver: Deliver) -> tuple[PaymentEvent, datetime]:
        build_pending_world()
        return payment_event("pay_1", PAID), PENDING_PAID_AT

    return fault_free(prepare)


@pytest.fixture(scope="module")
def pending_refunded():
    """Paid 20,000, then 4,000 refunded inside the window: 1,000 -> 800 pending, 2,000 -> 1,600 points."""
    def prepare(deliver: Deliver) -> tuple[PaymentEvent, datetime]:
        build_pending_world()
        deliver(payment_event("pay_1", PAID), PENDING_PAID_AT)
        return refund_event("r1", "pay_1", amount=4000, at=PENDING_REFUNDED_AT), PENDING_REFUNDED_AT

    return fault_free(prepare)


def release_job() -> None:
    jobs.run("release-pending", RELEASED_AT, Unlimited())


@pytest.fixture(scope="module")
def pending_released():
    """The refunded payment's window over: release-pending as of 7 days after payment."""
    from chalice.test import Client

    from app import app

    with mock_aws(), pytest.MonkeyPatch.context() as monkeypatch:
        reset_clients()
        bootstrap(os.environ)
        with Client(app, stage_name="test") as client:
            deliver = delivery(client, monkeypatch)
            build_pending_world()
            deliver(payment_event("pay_1", PAID), PENDING_PAID_AT)
            deliver(refund_event("r1", "pay_1", amount=4000, at=PENDING_REFUNDED_AT), PENDING_REFUNDED_AT)
            start = table_items()
            with Writes() as writes:
                release_job()
            end = table_items()
    reset_clients()
    return Reference(payment_event("pay_1", PAID), RELEASED_AT, start, end, writes.seen)


def test_a_fault_free_payment_of_pending_rules_settles_in_these_writes(pending_paid):
    assert pending_paid.writes == [signature for _, signature in PENDING_PAYMENT_WRITES]
    account = one(pending_paid.end, "ACCT#alice", "ACCOUNT")
    assert [account.get(k, 0) for k in ("balance", "pending_balance", "points", "pending_points")] == [
        0, 1000, 0, 2000]
    rebates = [dynamo.from_item(i) for i in pending_paid.end if i["SK"]["S"].startswith("REBATE#")]
    assert sorted(r.get("voucher_state") or "-" for r in rebates) == ["-", "-", "pending"]
    assert all(r["pending_state"] == "pending" and not r.get("coupon_id") for r in rebates)


@positions(PENDING_PAYMENT_WRITES)
def test_a_payment_of_pending_rules_redelivered_after_a_crash_ends_as_one_fault_free_delivery(
        pending_paid, deliver, crash_at):
    crash_then_redeliver(deliver, pending_paid, crash_at)
    assert_same_table_as(pending_paid)


def test_a_fault_free_refund_inside_the_window_settles_in_these_writes(pending_refunded):
    assert pending_refunded.writes == [signature for _, signature in PENDING_REFUND_WRITES]
    account = one(pending_refunded.end, "ACCT#alice", "ACCOUNT")
    assert [account.get(k, 0) for k in ("pending_balance", "pending_points", "debt", "points_debt")] == [
        800, 1600, 0, 0]


@positions(PENDING_REFUND_WRITES)
def test_a_refund_inside_the_window_redelivered_after_a_crash_ends_as_one_fault_free_delivery(
        pending_refunded, deliver, crash_at):
    crash_then_redeliver(deliver, pending_refunded, crash_at)
    assert_same_table_as(pending_refunded)


def test_a_fault_free_release_settles_in_these_writes(pending_released):
    assert pending_released.writes == [signature for _, signature in PENDING_RELEASE_WRITES]
    account = one(pending_released.end, "ACCT#alice", "ACCOUNT")
    assert [account.get(k, 0) for k in ("balance", "pending_balance", "points", "pending_points")] == [
        800, 0, 1600, 0]
    coupons = [dynamo.from_item(i) for i in pending_released.end
               if i["PK"]["S"] == "USER#alice" and i["SK"]["S"].startswith("CPN#")]
    assert [c["status"] for c in coupons] == ["unused"]


@positions(PENDING_RELEASE_WRITES)
def test_a_release_run_again_after_a_crash_ends_as_one_fault_free_run(pending_released, aws, crash_at):
    """The job dies before its N-th write (the Lambda ends); the next scheduled run carries on."""
    load(pending_released.start)
    with Writes(crash_at) as writes, pytest.raises(LambdaDied):
        release_job()
    assert writes.crashed
    release_job()
    assert_same_table_as(pending_released)


# --- cards and vouchers bought with the payment (issue 17, item 4) --------------------------------

def build_shop() -> list[tuple[str, int]]:
    """Two cards of a ¥200 card for sale at ¥180, and two of a voucher for sale with one left."""
    card_template = for_sale(price=18000, per_user_limit=5)
    voucher_template = for_sale(price=500, kind="amount_off", value=1000, name="¥10 voucher", total_stock=1)
    return [(card_template.id, 2), (voucher_template.id, 2)]


CARD_GRANTED = ("Transact[Put GRANT/GRANT, Update TPL/TPL, Update USER/CLAIMS, Put USER/CPN, Put USER/CARDLOG, "
                "Update STATS/HOUR]")
VOUCHER_GRANTED = "Transact[Put GRANT/GRANT, Update TPL/TPL, Update USER/CLAIMS, Put USER/CPN, Update STATS/HOUR]"
PURCHASE_WRITES = [
    ("payment and event recorded", "Transact[Put EVT/EVT, Put PAY/PAY, Update REBATES/TOTALS, Update REBATES/DAY]"),
    ("coupons outcome noted", "Update PAY/PAY"),
    ("first card issued, with its grant marker", CARD_GRANTED),
    ("second card issued", CARD_GRANTED),
    ("card line recorded", "Put PAY/PURCHASE"),
    ("the voucher left issued", VOUCHER_GRANTED),
    ("voucher line recorded with its shortfall (the second seen sold out, not tried)", "Put PAY/PURCHASE"),
    ("payment applied", "Update PAY/PAY"),
]
PURCHASE_REFUND_WRITES = [
    ("refund and event recorded", "Transact[Put EVT/EVT, Put PAY/REFUND, Update PAY/PAY, Update REBATES/TOTALS, Update REBATES/DAY]"),
    ("first card revoked", "Update USER/CPN"),
    ("second card revoked", "Update USER/CPN"),
    ("card line's refund noted", "Update PAY/PURCHASE"),
    ("voucher revoked", "Update USER/CPN"),
    ("voucher line's refund noted", "Update PAY/PURCHASE"),
]


@pytest.fixture(scope="module")
def bought():
    return fault_free(lambda deliver: (buying("pay_1", *build_shop(), amount=36500), NOW))


@pytest.fixture(scope="module")
def bought_refunded():
    def prepare(deliver: Deliver) -> tuple[PaymentEvent, datetime]:
        deliver(buying("pay_1", *build_shop(), amount=36500), NOW)
        return refund_event("r1", "pay_1", amount=36500, at=REFUNDED_AT), REFUNDED_AT

    return fault_free(prepare)


def purchase_lines(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dynamo.from_item(i) for i in items if i["SK"]["S"].startswith("PURCHASE#")]


def test_a_fault_free_purchase_settles_in_these_writes(bought):
    assert bought.writes == [signature for _, signature in PURCHASE_WRITES]
    cards, vouchers = purchase_lines(bought.end)
    assert (cards["issued"], cards["sales"], cards.get("not_issued_reason")) == (2, 36000, None)
    assert (vouchers["issued"], vouchers["sales"], vouchers["not_issued_reason"]) == (1, 500, "SOLD_OUT")
    coupons = [dynamo.from_item(i) for i in bought.end if i["PK"]["S"] == "USER#alice" and i["SK"]["S"].startswith(
        "CPN#")]
    assert sorted((c["kind"], c["bought_with"]) for c in coupons) == [
        ("amount_off", "generic:pay_1"), ("stored_value", "generic:pay_1"), ("stored_value", "generic:pay_1")]


@positions(PURCHASE_WRITES)
def test_a_purchase_redelivered_after_a_crash_issues_each_card_once(bought, deliver, crash_at):
    crash_then_redeliver(deliver, bought, crash_at)
    assert_same_table_as(bought)


def test_a_fault_free_full_refund_of_a_purchase_revokes_in_these_writes(bought_refunded):
    assert bought_refunded.writes == [signature for _, signature in PURCHASE_REFUND_WRITES]
    coupons = [dynamo.from_item(i) for i in bought_refunded.end
               if i["PK"]["S"] == "USER#alice" and i["SK"]["S"].startswith("CPN#")]
    assert [c["status"] for c in coupons] == ["revoked"] * 3
    assert [len(line["revoked_ids"]) for line in purchase_lines(bought_refunded.end)] == [2, 1]


@positions(PURCHASE_REFUND_WRITES)
def test_a_full_refund_of_a_purchase_redelivered_after_a_crash_revokes_once(bought_refunded, deliver, crash_at):
    crash_then_redeliver(deliver, bought_refunded, crash_at)
    assert_same_table_as(bought_refunded)


# --- points that expire: a points rebate into its day bucket, then expire-points ------------------

EXPIRED_AT = NOW + timedelta(days=11)  # credited at NOW with points_valid_days 10: due
EXPIRY_PAYMENT_WRITES = [
    ("payment and event recorded", "Transact[Put EVT/EVT, Put PAY/PAY, Update REBATES/TOTALS, Update REBATES/DAY]"),
    ("coupons outcome noted", "Update PAY/PAY"),
    ("points rebate, into its bucket", "Transact[Put PAY/REBATE, Update PAY/PAY, Update RULE/STATS, "
                                       "Update REBATES/TOTALS, Update REBATES/DAY, Update ACCT/ACCOUNT, Update ACCT/PTLOT, Put ACCT/LEDGER]"),
    ("payment applied", "Update PAY/PAY"),
]
EXPIRY_JOB_WRITES = [
    ("first bucket", "Transact[Delete ACCT/PTLOT, Update ACCT/ACCOUNT, Put ACCT/LEDGER]"),
    ("second bucket", "Transact[Delete ACCT/PTLOT, Update ACCT/ACCOUNT, Put ACCT/LEDGER]"),
]


def build_expiry_world() -> None:
    set_programme(points_valid_days=10)
    live_rule(name="points", ratio_bp=1000, reward="points")


@pytest.fixture(scope="module")
def expiry_paid():
    def prepare(deliver: Deliver) -> tuple[PaymentEvent, datetime]:
        build_expiry_world()
        return payment_event("pay_1", PAID), NOW

    return fault_free(prepare)


def expire_job() -> None:
    jobs.run("expire-points", EXPIRED_AT + timedelta(days=1), Unlimited())


@pytest.fixture(scope="module")
def points_expired():
    """Two buckets (payments a day apart), 500 points spent: expire-points takes the rest."""
    from chalice.test import Client

    from app import app

    with mock_aws(), pytest.MonkeyPatch.context() as monkeypatch:
        reset_clients()
        bootstrap(os.environ)
        with Client(app, stage_name="test") as client:
            deliver = delivery(client, monkeypatch)
            build_expiry_world()
            deliver(payment_event("pay_1", PAID), NOW)
            deliver(payment_event("pay_2", PAID, paid_at=NOW + timedelta(days=1)), NOW + timedelta(days=1))
            dynamo.transact(holds.spend_items("alice", "pay-x", 0, 500, False, NOW + timedelta(days=2)))
            start = table_items()
            with Writes() as writes:
                expire_job()
            end = table_items()
    reset_clients()
    return Reference(payment_event("pay_1", PAID), EXPIRED_AT, start, end, writes.seen)


def test_a_fault_free_payment_with_points_expiry_settles_in_these_writes(expiry_paid):
    assert expiry_paid.writes == [signature for _, signature in EXPIRY_PAYMENT_WRITES]
    assert one(expiry_paid.end, "ACCT#alice", "PTLOT#2030-06-11")["points"] == 2000


@positions(EXPIRY_PAYMENT_WRITES)
def test_a_payment_with_points_expiry_redelivered_after_a_crash_fills_its_bucket_once(expiry_paid, deliver,
                                                                                      crash_at):
    crash_then_redeliver(deliver, expiry_paid, crash_at)
    assert_same_table_as(expiry_paid)


def test_a_fault_free_expiry_run_settles_in_these_writes(points_expired):
    assert points_expired.writes == [signature for _, signature in EXPIRY_JOB_WRITES]
    account = one(points_expired.end, "ACCT#alice", "ACCOUNT")
    assert (account["points"], account["points_consumed"], account["points_lots_closed"]) == (0, 4000, 4000)


@positions(EXPIRY_JOB_WRITES)
def test_an_expiry_run_again_after_a_crash_ends_as_one_fault_free_run(points_expired, aws, crash_at):
    load(points_expired.start)
    with Writes(crash_at) as writes, pytest.raises(LambdaDied):
        expire_job()
    assert writes.crashed
    expire_job()
    assert_same_table_as(points_expired)
