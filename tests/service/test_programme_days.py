"""The programme's totals by Beijing day (issue 19, item 4): each change of the all-time totals
also lands, in the same transaction, on the item of the Beijing day of its `now`, so a range of
days counts each payment once and all the days together equal all time (moto)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.jobs import registry as jobs
from chalicelib.jobs.budget import Unlimited
from chalicelib.rebates import rules, settlement, settlement_store
from chalicelib.rebates.overview_models import OverviewQuery
from tests.checkout_helpers import give
from tests.payment_helpers import NOW, like_sqs, live_rule, payment_event, refund_event

pytestmark = pytest.mark.usefixtures("aws")
DAY = "2030-06-01"  # NOW is 12:00 UTC, 20:00 in Beijing


def deliver_twice(event, at):
    """SQS delivering the same event twice (a redelivery), as the consumer runs it."""
    for _ in range(2):
        like_sqs(lambda: settlement.process(event, at))


def on(day: str) -> dict[str, int]:
    return settlement_store.programme_days(day, day).get(day, {})


def between(first: str, last: str):
    return rules.overview(OverviewQuery.model_validate({"from": first, "to": last}))


def test_a_payment_redelivered_lands_once_in_its_beijing_day():
    live_rule(ratio_bp=500)
    deliver_twice(payment_event("pay_1", 10000), NOW)
    day = on(DAY)
    assert (day["payments"], day["sales"], day["granted_balance"]) == (1, 10000, 500)
    assert settlement_store.programme_days("2030-05-31", "2030-06-02").keys() == {DAY}


def test_a_refund_redelivered_lands_once_in_the_day_it_was_recorded():
    live_rule(ratio_bp=500)
    deliver_twice(payment_event("pay_1", 10000), NOW)
    deliver_twice(refund_event("r1", "pay_1", amount=10000), NOW + timedelta(days=2))
    later = on("2030-06-03")
    assert (later["refunded"], later["refunded_payments"], later["taken_balance"]) == (10000, 1, 500)
    assert (later["payments"], later["sales"]) == (0, 0)
    assert on(DAY)["refunded"] == 0


def test_a_pending_voucher_released_twice_lands_once_in_the_day_of_its_release():
    template_id = give("ops-seed", claim_ends_at=NOW + timedelta(days=30)).template_id
    live_rule(kind="threshold", ratio_bp=None, threshold={"min_paid": 5000},
              reward={"voucher_template_id": template_id}, pending_days=7)
    deliver_twice(payment_event("pay_1", 10000), NOW)
    assert on(DAY)["vouchers_granted"] == 0
    released_at = NOW + timedelta(days=7)
    assert jobs.run("release-pending", released_at, Unlimited()).changed == 1
    assert jobs.run("release-pending", released_at, Unlimited()).changed == 0
    assert on("2030-06-08")["vouchers_granted"] == 1
    assert rules.overview().granted.vouchers == 1


@pytest.mark.parametrize("utc, day", [((15, 59), "2030-06-01"), ((16, 0), "2030-06-02")],
                         ids=["23:59 Beijing", "00:00 Beijing next day"])
def test_the_day_turns_at_midnight_in_beijing(utc, day):
    at = datetime(2030, 6, 1, *utc, tzinfo=timezone.utc)
    deliver_twice(payment_event("pay_1", 10000, paid_at=at), at)
    assert settlement_store.programme_days("2030-06-01", "2030-06-02").keys() == {day}
    assert on(day)["payments"] == 1


def test_a_range_covering_every_day_equals_all_time_and_lists_each_day():
    live_rule(ratio_bp=500)
    live_rule(kind="threshold", ratio_bp=None, threshold={"min_paid": 5000, "amount": 300}, reward="points")
    for i, (amount, days) in enumerate([(10000, 0), (4000, 1), (25000, 3), (682, 3)]):
        deliver_twice(payment_event(f"pay_{i}", amount, user=f"user{i}"), NOW + timedelta(days=days))
    deliver_twice(refund_event("r1", "pay_2", amount=5000), NOW + timedelta(days=4))
    everything = between("2030-05-25", "2030-06-10")
    assert everything.model_dump(exclude={"days"}) == rules.overview().model_dump(exclude={"days"})
    assert len(everything.days) == 17
    by_day = {d.day: d for d in everything.days}
    assert [by_day[date(2030, 6, d)].payments for d in range(1, 6)] == [1, 1, 0, 2, 0]
    assert by_day[date(2030, 6, 5)].refunded == 5000
    assert by_day[date(2030, 6, 4)].net_sales == 25682
    assert by_day[date(2030, 6, 4)].cost_balance == 1250 + 34  # 5% of each payment, each rounded down
    assert sum(d.cost_balance for d in everything.days) == everything.cost.balance


def test_a_range_leaves_out_the_days_outside_it():
    live_rule(ratio_bp=500)
    deliver_twice(payment_event("pay_1", 10000), NOW)
    deliver_twice(payment_event("pay_2", 3000, user="bob"), NOW + timedelta(days=1))
    second = between("2030-06-02", "2030-06-02")
    assert (second.payments, second.sales, second.cost.balance, second.return_bp) == (1, 3000, 150, 500)
    assert [(d.day.isoformat(), d.sales) for d in second.days] == [("2030-06-02", 3000)]
    nothing = between("2030-07-01", "2030-07-03")
    assert (nothing.payments, nothing.return_bp, [d.sales for d in nothing.days]) == (0, None, [0, 0, 0])
