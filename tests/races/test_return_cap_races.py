"""The return cap under racing deliveries, against the serialized moto server and DynamoDB
Local (`race_aws`): however many copies of a payment settle at once, its rules together return
exactly what the cap allows, once."""

from __future__ import annotations

from collections import Counter

from chalicelib.models import PageQuery
from chalicelib.rebates import accounts, settlement_store
from tests.checkout_helpers import race
from tests.payment_helpers import live_rule, payment_event, settle_like_sqs
from tests.programme_helpers import set_programme



def test_many_deliveries_of_one_payment_under_three_rules_return_exactly_the_cap(race_aws):
    live_rule(ratio_bp=6000)
    live_rule(ratio_bp=3000, reward="points")
    live_rule(kind="full_return", ratio_bp=5000, installments=2, period_days=10)
    set_programme(max_return_bp=8000)
    event = payment_event("pay_1", 10001)  # cap: 10001 * 8000 // 10000 = 8000
    outcomes = race([lambda: settle_like_sqs(event) for _ in range(10)])
    assert [o for o in outcomes if o is not None] == []
    account = accounts.get_account("alice")
    assert (account.balance, account.points, account.pending_instalments) == (6000, 2000, [])
    entries = accounts.list_ledger("alice", PageQuery(limit=100)).items
    assert Counter((e.type, e.asset, e.amount) for e in entries) == {("rebate", "balance", 6000): 1,
                                                                     ("rebate", "points", 2000): 1}
    payment = settlement_store.get_payment("generic:pay_1")
    assert (payment.status, payment.returned) == ("applied", 8000)
    rebates = [settlement_store.get_rebate("generic:pay_1", rule.id) for rule in payment.rules]
    assert sum(r.returned for r in rebates if r is not None) == 8000


def test_distinct_payments_racing_under_two_rules_are_each_capped(race_aws):
    live_rule(ratio_bp=7000)
    live_rule(ratio_bp=7000, reward="points")
    events = [payment_event(f"pay_{i}", 1000 + i, user=f"user{i}") for i in range(8)]
    outcomes = race([lambda e=e: settle_like_sqs(e) for e in events * 2])
    assert [o for o in outcomes if o is not None] == []
    for i, event in enumerate(events):
        account = accounts.get_account(f"user{i}")
        assert account.balance == event.amount * 7000 // 10000
        assert account.balance + account.points == event.amount  # the default cap: 100%
