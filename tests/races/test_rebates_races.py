"""Races over real connections, against the serialized moto server and against DynamoDB Local
(`race_api`, `race_aws`): duplicate deliveries, a budget under contention, refunds racing each
other, rule totals under concurrent grants.
Every count is decided by DynamoDB; a throttled attempt is retried as SQS would redeliver it."""

from __future__ import annotations

from collections import Counter

import boto3

from chalicelib.models import PageQuery
from chalicelib.rebates import accounts, rules, settlement, settlement_store
from dev.pump import LambdaContext, sqs_event
from tests.checkout_helpers import race
from tests.helpers import session
from tests.payment_helpers import (
    NOW, generic_payment, live_rule, payment_event, queue_url, refund_event, settle_like_sqs, signed_generic,
)



def totals(rule):
    current = rules.get_rule(rule.id)
    return current.rebated_payments, current.rebate_cost, current.sales_driven


def test_the_same_event_delivered_8_times_at_once_and_redelivered_gives_one_rebate(race_api):
    from app import app

    rule = live_rule(ratio_bp=500, caps={"budget": 100000})
    raw, headers = signed_generic(generic_payment(amount=10000))
    http = session()
    responses = race([lambda: http.post(f"{race_api}/webhooks/payments/generic", data=raw, headers=headers,
                                        timeout=30) for _ in range(8)])
    assert [r.status_code for r in responses] == [200] * 8

    sqs, url = boto3.client("sqs"), queue_url()
    messages = []
    while len(messages) < 8:
        messages += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"],
                                        WaitTimeSeconds=1).get("Messages", [])
    handler = app.handler_map["payment_events"]
    context = LambdaContext("mall-test-payment_events", "arn:aws:lambda:us-east-1:123456789012:function:x")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def deliver(message, attempts=20):
        """Hand the message to the consumer until it succeeds, as SQS redelivers a failed one."""
        for _ in range(attempts):
            if handler(sqs_event([message], arn, "us-east-1"), context) == {"batchItemFailures": []}:
                return "done"
        return "still failing"

    outcomes = race([lambda m=m: deliver(m) for m in messages])
    outcomes.append(deliver(messages[0]))  # an SQS redelivery after all succeeded
    assert outcomes == ["done"] * 9, outcomes
    entries = accounts.list_ledger("alice", PageQuery(limit=100)).items
    assert [(e.type, e.amount, e.ref) for e in entries] == [("rebate", 500, "generic:pay_1")]
    assert accounts.get_account("alice").balance == 500
    assert rules.get_rule(rule.id).budget_used == 500
    assert settlement_store.get_payment("generic:pay_1").status == "applied"


def test_a_rule_budget_is_never_overspent_by_racing_payments(race_api):
    rule = live_rule(ratio_bp=1000, caps={"budget": 2500})
    events = [payment_event(f"pay_{i}", 10000, user=f"user{i}") for i in range(12)]
    outcomes = race([lambda e=e: settle_like_sqs(e) for e in events])
    assert [o for o in outcomes if o is not None] == []
    balances = [accounts.get_account(f"user{i}").balance for i in range(12)]
    assert sum(balances) == 2500, balances              # spent to the last fen ...
    assert all(0 <= b <= 1000 for b in balances)        # ... no payment above its rebate
    assert rules.get_rule(rule.id).budget_used == 2500
    rebated = sum(1 for b in balances if b > 0)
    assert totals(rule) == (rebated, 2500, 10000 * rebated)


def test_racing_partial_refunds_claw_back_exactly_the_rebate(race_api):
    rule = live_rule(ratio_bp=777)
    settlement.process(payment_event("pay_1", 9999), NOW)
    granted = accounts.get_account("alice").balance
    amounts = [1111, 2222, 3333, 1000, 2333]  # 9999 in all
    outcomes = race([lambda i=i, a=a: settle_like_sqs(refund_event(f"r{i}", amount=a)) for i, a in enumerate(amounts)])
    assert [o for o in outcomes if o is not None] == []
    assert settlement_store.get_payment("generic:pay_1").refunded == 9999
    entries = accounts.list_ledger("alice", PageQuery(limit=100)).items
    assert -sum(e.amount for e in entries if e.type == "clawback") == granted
    assert accounts.get_account("alice").balance == 0
    assert Counter(e.type for e in entries)["rebate"] == 1
    assert totals(rule) == (0, 0, 0)


def test_racing_settlements_of_distinct_payments_give_exact_rule_totals(race_aws):
    """16 payments, each delivered twice, all at once: totals on shards (no budget) and on the
    rule item (budget) count every payment exactly once, and so do the programme's totals
    (each payment once, though it earned under two rules)."""
    sharded = live_rule(ratio_bp=300)
    budgeted = live_rule(ratio_bp=500, caps={"budget": 10**9})
    events = [payment_event(f"pay_{i}", 1000 + i, user=f"user{i}") for i in range(16)]
    outcomes = race([lambda e=e: settle_like_sqs(e) for e in events * 2])
    assert [o for o in outcomes if o is not None] == []
    paid = sum(e.amount for e in events)
    assert totals(sharded) == (16, sum(e.amount * 300 // 10000 for e in events), paid)
    assert totals(budgeted) == (16, sum(e.amount * 500 // 10000 for e in events), paid)
    overview = rules.overview()
    assert (overview.payments, overview.sales, overview.granted.balance) == (
        16, paid, sum(e.amount * 300 // 10000 + e.amount * 500 // 10000 for e in events))
