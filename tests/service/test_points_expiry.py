"""Points that expire (issue 17, item 3), in the service (moto): every credit of points adds to
the bucket of its expiry day, every taking of free points to `points_consumed`; expire-points
takes what consumption left of each due bucket, once (docs/rebates.md, "Points that expire")."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib import dynamo
from chalicelib.jobs import registry as jobs
from chalicelib.jobs.budget import Unlimited
from chalicelib.models import PageQuery
from chalicelib.orders import reservations
from chalicelib.orders.models import ReservationRequest
from chalicelib.rebates import accounts, accounts_store, expiring, holds, keys, settlement, support
from chalicelib.rebates.support_models import AdjustmentCreate
from tests.checkout_helpers import item
from tests.payment_helpers import NOW, live_rule, payment_event, refund_event
from tests.programme_helpers import set_programme
from tests.reservation_helpers import fund, ledger_sums

pytestmark = pytest.mark.usefixtures("aws")
DAY = date(2030, 6, 11)  # NOW is 20:00 on 1 June in Beijing: + 10 days
EXPIRES = datetime(2030, 6, 11, 16, tzinfo=timezone.utc)  # the end of that Beijing day
AFTER = EXPIRES + timedelta(seconds=1)


@pytest.fixture
def ten_days():
    set_programme(points_valid_days=10)


def lot(user="alice", day=DAY):
    found = dynamo.get(keys.points_lot(user, day.isoformat()), consistent=True)
    return None if found is None else int(found["points"])


def stored(user="alice"):
    return dynamo.get(keys.account(user), consistent=True) or {}


def expire(at=AFTER):
    return jobs.run("expire-points", at, Unlimited())


def free(user="alice"):
    return accounts_store.get_account(user)["points"]


def test_a_credit_while_points_never_expire_writes_no_bucket_and_no_base():
    fund(points=500)
    assert lot() is None and "points_base" not in stored()
    assert expire(NOW + timedelta(days=4000)).read == 0


def test_credits_add_to_the_bucket_of_their_expiry_day_and_the_first_sets_the_base(ten_days):
    fund(points=300)
    fund(points=200, now=NOW + timedelta(hours=3))  # 23:00 in Beijing: the same day
    fund(points=50, now=NOW + timedelta(hours=5))   # 01:00 the next day
    assert (lot(), lot(day=DAY + timedelta(days=1))) == (500, 50)
    assert stored()["points_base"] == 0
    listed = dynamo.get(keys.points_lot("alice", DAY.isoformat()), consistent=True)
    assert {k: listed[k] for k in keys.DUE.key_attrs[:2]} == keys.points_lot_listing(
        "2030-06-11T16:00:00Z", "alice", DAY.isoformat())


def test_points_held_when_expiry_is_switched_on_never_expire(ten_days):
    set_programme(points_valid_days=0)
    fund(points=500)
    holds_items = holds.reserve_items("alice", "order-0", 0, 100, NOW)  # consumed before any bucket
    dynamo.transact(holds_items)
    set_programme(points_valid_days=10)
    fund(points=200)
    assert stored()["points_base"] == 100
    dynamo.transact(holds.spend_items("alice", "pay-0", 0, 100, True, NOW))  # the hold is spent: no change
    adjust(-150)  # charged to the bucket first
    assert expire().changed == 1
    assert free() == 600 - 150 - 50 and lot() is None  # 50 of the bucket expired; the 400 free then never will
    assert expire(NOW + timedelta(days=4000)).changed == 0


def adjust(amount, user="alice"):
    support.adjust(user, AdjustmentCreate(asset="points", amount=amount, reason="test"), "finance", NOW, None)


def reserve(points, order_id="order-1"):
    request = ReservationRequest.model_validate({"order_id": order_id, "items": [item(100_000)],
                                                 "use_points": points, "use_balance": 0})
    return reservations.reserve("alice", request, NOW)


@pytest.mark.parametrize("take", ["hold", "spend_free", "exchange_like", "adjustment", "clawback"])
def test_every_taking_of_free_points_adds_to_points_consumed(ten_days, take):
    fund(points=1000)
    if take == "hold":
        reserve(300)
    elif take == "spend_free":
        dynamo.transact(holds.spend_items("alice", "pay-x", 0, 300, False, NOW))
    elif take == "exchange_like":
        from tests.checkout_helpers import create_template
        from chalicelib.rebates import exchange

        template = create_template(points_price=300)
        exchange.redeem_points(template.id, "alice", NOW, None)
    elif take == "adjustment":
        adjust(-300)
    else:  # a points rule's rebate (600 of 10,000 at 100 points per yuan), then a half refund
        live_rule(reward="points", ratio_bp=600)
        settlement.process(payment_event("pay_1", 10000), NOW)
        before = int(stored()["points_consumed"]) if "points_consumed" in stored() else 0
        settlement.process(refund_event("ref_1", "pay_1", amount=5000), NOW)
        assert int(stored()["points_consumed"]) - before == 300
        return
    assert int(stored()["points_consumed"]) == 300
    assert free() == 700 and lot() == 1000  # a bucket changes only when it expires


def test_points_given_back_go_to_a_new_bucket(ten_days):
    fund(points=1000)
    reserve(400)
    later = NOW + timedelta(days=1)
    reservations.release("alice", "order-1", later)  # the hold is given back a day later: a new credit
    assert (lot(), lot(day=DAY + timedelta(days=1))) == (1000, 400)
    assert int(stored()["points_consumed"]) == 400
    assert expire().changed == 1
    assert free() == 400  # the 400 taken were charged to the first bucket, the rest of it expired
    assert expire(AFTER + timedelta(days=1)).changed == 1 and free() == 0


def test_a_credit_that_repays_points_debt_puts_only_what_it_adds_in_a_bucket(ten_days):
    fund(points=100)
    live_rule(reward="points", ratio_bp=600)
    settlement.process(payment_event("pay_1", 10000), NOW)    # +600
    adjust(-700)                                              # nothing free
    settlement.process(refund_event("ref_1", "pay_1", amount=10000), NOW)  # clawback 600: all debt
    assert accounts_store.get_account("alice")["points_debt"] == 600
    dynamo.transact(holds.give_back_items("alice", "pay-y", 0, 800, accounts_store.get_account("alice"), NOW))
    assert lot() == 100 + 600 + 200  # the give-back added 200 after repaying 600


def test_expire_points_takes_what_consumption_left_once_with_a_ledger_entry(ten_days):
    fund(points=1000)
    adjust(-300)
    assert expire(EXPIRES - timedelta(seconds=1)).changed == 0  # not due yet
    report = expire()
    assert (report.read, report.changed) == (1, 1)
    assert free() == 0 and lot() is None
    [entry] = [e for e in accounts.list_ledger("alice", PageQuery(limit=100)).items if e.type == "expire"]
    assert (entry.asset, entry.amount, entry.ref) == ("points", -700, DAY.isoformat())
    assert ledger_sums("alice")["points"] == 0
    again = expire()
    assert (again.read, again.changed) == (0, 0)
    counters = stored()
    assert (int(counters["points_consumed"]), int(counters["points_lots_closed"])) == (1000, 1000)


def test_a_bucket_used_up_by_spending_expires_nothing_and_writes_no_entry(ten_days):
    fund(points=1000)
    adjust(-1000)
    assert expire().changed == 1
    assert [e.type for e in accounts.list_ledger("alice", PageQuery(limit=100)).items].count("expire") == 0
    assert stored()["points_lots_closed"] == 1000


def test_due_buckets_of_one_user_expire_the_same_in_either_order(ten_days):
    for user in ("ann", "bob"):
        fund(user, points=500)
        fund(user, points=300, now=NOW + timedelta(days=1))
        adjust(-600, user=user)
    late = AFTER + timedelta(days=2)
    expiring._expire("ann", DAY.isoformat(), 500, late)
    expiring._expire("ann", (DAY + timedelta(days=1)).isoformat(), 300, late)
    expiring._expire("bob", (DAY + timedelta(days=1)).isoformat(), 300, late)
    expiring._expire("bob", DAY.isoformat(), 500, late)
    assert free("ann") == free("bob") == 0
    assert ledger_sums("ann")["points"] == ledger_sums("bob")["points"] == 0


def test_the_account_shows_the_points_expiring_soonest_first_less_what_was_taken(ten_days):
    fund(points=500)
    fund(points=300, now=NOW + timedelta(days=1))
    adjust(-600)
    shown = accounts.get_account("alice").points_expiring
    assert [(p.points, p.expires_at) for p in shown] == [(200, EXPIRES + timedelta(days=1))]
    expire()
    shown = accounts.get_account("alice").points_expiring
    assert [(p.points, p.expires_at) for p in shown] == [(200, EXPIRES + timedelta(days=1))]
    assert accounts.get_account("nobody").points_expiring == []


def test_pending_points_go_to_a_bucket_when_released_not_when_earned(ten_days):
    live_rule(reward="points", ratio_bp=600, pending_days=7)
    settlement.process(payment_event("pay_1", 10000), NOW)
    assert lot() is None and accounts_store.get_account("alice")["pending_points"] == 600
    jobs.run("release-pending", NOW + timedelta(days=7), Unlimited())
    assert lot(day=DAY + timedelta(days=7)) == 600


def test_a_points_rebate_and_a_positive_adjustment_each_add_to_the_bucket_and_spending_a_hold_takes_nothing_more(
        ten_days):
    live_rule(reward="points", ratio_bp=600)
    settlement.process(payment_event("pay_1", 10000), NOW)
    adjust(100)
    assert lot() == 700 and stored()["points_base"] == 0
    reserve(200)
    dynamo.transact(holds.spend_items("alice", "pay-z", 0, 200, True, NOW))
    assert int(stored()["points_consumed"]) == 200  # the hold counted; its spending does not again
