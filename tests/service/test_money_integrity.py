"""Money integrity (hypothesis, moto in-process): after any mix of payments that earn rebates,
reservations, releases, payments of reservations, refunds and withdrawals, per user

    balance + held + frozen + pending_balance - debt == earned - spent - withdrawn   (fen)
    points + points_held + pending_points - points_debt == earned - spent           (points)

where `earned` is what rebates granted less what refunds clawed back plus what refunds gave back
of reservations, `spent` what payments took from reservations, `withdrawn` what was approved;
nothing is ever negative, and the ledger explains every asset. Rules with a return window
(`pending_days`) make part of what is earned pending: earned, not yet spendable, so it is on the
left with what the account holds; `mature` runs release-pending as of the window's end, after
which refunds claw back from the balance instead of from pending. Points may expire (issue 17 item
3): `toggle` switches `points_valid_days` between 0 and 7, `expire` runs expire-points as of a month
later, and what it took (its `expire` ledger entries) is on the right with what was spent. (The
debts are the clawbacks that found too little: 0 unless a refund follows spending.) The expectation is computed from the
records each effect is written with (rebates, reservations, withdrawals), not from the account.
"""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from chalicelib.errors import DomainError
from chalicelib.jobs import registry as jobs
from chalicelib.jobs.budget import Unlimited
from chalicelib.orders import reservations
from chalicelib.orders import reservations_store
from chalicelib.orders.models import ReservationRequest
from chalicelib.programme import store as programme
from chalicelib.rebates import accounts_store, settlement, settlement_store, withdrawals
from chalicelib.rebates.models import WithdrawalCreate
from chalicelib.settings import get_settings
from dev.bootstrap import bootstrap
from tests.checkout_helpers import item
from tests.helpers import reset_clients
from tests.payment_helpers import NOW, live_rule, payment_event, refund_event
from tests.reservation_helpers import ledger_sums

USERS = ("ann", "ben")
LATER = NOW + timedelta(seconds=get_settings().lock_ttl_seconds)
WINDOW_END = NOW + timedelta(days=7)
EXPIRY_RUN = NOW + timedelta(days=30)

operation = st.one_of(
    st.tuples(st.just("earn"), st.sampled_from(USERS), st.integers(1, 20_000)),
    st.tuples(st.just("reserve"), st.sampled_from(USERS), st.integers(0, 3_000), st.integers(0, 3_000)),
    st.tuples(st.just("release"), st.integers(0, 9)),
    st.tuples(st.just("pay"), st.integers(0, 9)),
    st.tuples(st.just("refund"), st.integers(0, 9), st.integers(1, 20_000)),
    st.tuples(st.just("withdraw"), st.sampled_from(USERS), st.integers(1, 3_000), st.booleans()),
    st.tuples(st.just("lapse")),
    st.tuples(st.just("mature")),
    st.tuples(st.just("toggle")),
    st.tuples(st.just("expire")),
)


class World:
    def __init__(self) -> None:
        self.orders: list[tuple[str, str]] = []        # (user, order id) reserved
        self.payments: list[tuple[str, str, int]] = []  # (user, payment id, amount)
        self.withdrawn = {u: 0 for u in USERS}
        self.count = 0

    def new_id(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def run(self, op: tuple) -> None:
        kind = op[0]
        try:
            getattr(self, kind)(*op[1:])
        except DomainError:
            pass  # a refusal (INSUFFICIENT_BALANCE, INVALID_STATE, ...) changes nothing

    def earn(self, user: str, amount: int) -> None:
        pay = self.new_id("earn")
        settlement.process(payment_event(pay, amount, user=user, order_id=f"o-{pay}"), NOW)
        self.payments.append((user, pay, amount))

    def reserve(self, user: str, balance: int, points: int) -> None:
        order_id = self.new_id("order")
        request = ReservationRequest(order_id=order_id, items=[item(10_000)], coupon_ids=[], use_balance=balance,
                                     use_points=points)
        reservations.reserve(user, request, NOW)
        self.orders.append((user, order_id))

    def release(self, index: int) -> None:
        if self.orders:
            reservations.release(*self.orders[index % len(self.orders)], NOW)

    def pay(self, index: int) -> None:
        if not self.orders:
            return
        user, order_id = self.orders[index % len(self.orders)]
        shown = reservations.get(user, order_id)
        pay = f"p-{order_id}"
        settlement.process(payment_event(pay, shown.total, user=user, order_id=order_id), NOW)
        if (user, pay, shown.total) not in self.payments:  # paying again is a duplicate delivery
            self.payments.append((user, pay, shown.total))

    def refund(self, index: int, amount: int) -> None:
        if self.payments:
            _, pay, paid = self.payments[index % len(self.payments)]
            payment = settlement_store.get_payment(f"generic:{pay}")
            left = paid - payment.refunded
            if left > 0 or paid == 0:
                settlement.process(refund_event(self.new_id("r"), pay, amount=max(1, min(amount, left))), NOW)

    def withdraw(self, user: str, amount: int, approve: bool) -> None:
        withdrawal = withdrawals.request_withdrawal(user, WithdrawalCreate(amount=amount), NOW, None)
        if approve:
            withdrawals.approve_withdrawal(withdrawal.id, "ops", NOW)
            self.withdrawn[user] += amount
        else:
            withdrawals.reject_withdrawal(withdrawal.id, "ops", NOW)

    def lapse(self) -> None:
        jobs.run("release-locks", LATER, Unlimited())

    def mature(self) -> None:
        jobs.run("release-pending", WINDOW_END, Unlimited())

    def toggle(self) -> None:
        current = programme.fresh(NOW)
        changed = current.model_copy(update={"points_valid_days": 0 if current.points_valid_days else 7})
        assert programme.save(changed, current.version, NOW, "ops") is not None

    def expire(self) -> None:
        jobs.run("expire-points", EXPIRY_RUN, Unlimited())


def expired(user: str) -> int:
    """The points expire-points took from `user` (its `expire` ledger entries)."""
    total, cursor = 0, None
    while True:
        entries, cursor = accounts_store.ledger_page(user, 100, cursor)
        total -= sum(e.amount for e in entries if e.type == "expire")
        if cursor is None:
            return total


def expected(world: World, user: str) -> tuple[int, int, int, int]:
    """(balance earned net, points earned net, balance spent, points spent) from the effects' records."""
    earned = {"balance": 0, "points": 0}
    for owner, pay, _ in world.payments:
        payment = settlement_store.get_payment(f"generic:{pay}")
        for rule in payment.rules if owner == user and payment else []:
            rebate = settlement_store.get_rebate(payment.payment_ref, rule.id)
            if rebate is not None and rebate.asset in earned:
                earned[rebate.asset] += rebate.amount - rebate.clawed - rebate.cancelled
    spent = {"balance": 0, "points": 0}
    for owner, order_id in world.orders:
        record = reservations_store.get(owner, order_id)
        if owner == user and record is not None:
            earned["balance"] += record.given_back_balance
            earned["points"] += record.given_back_points
            spent["balance"] += record.spent_balance
            spent["points"] += record.spent_points
    return earned["balance"], earned["points"], spent["balance"], spent["points"]


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=st.lists(operation, min_size=3, max_size=14))
@example(ops=[("toggle",), ("earn", "ann", 10_000), ("reserve", "ann", 0, 500), ("lapse",), ("expire",)])
def test_money_is_neither_made_nor_lost(ops):
    with mock_aws():
        reset_clients()
        programme.clear_cache()
        bootstrap(os.environ)
        live_rule(name="balance back", ratio_bp=1000)
        live_rule(name="points back", ratio_bp=2000, reward="points")
        live_rule(name="balance after the window", ratio_bp=300, pending_days=7)
        live_rule(name="points after the window", ratio_bp=700, reward="points", pending_days=7)
        world = World()
        for op in ops:
            world.run(op)
        for user in USERS:
            account = accounts_store.get_account(user)
            assert min(account.values()) >= 0, account
            earned_balance, earned_points, spent_balance, spent_points = expected(world, user)
            assert (account["balance"] + account["held"] + account["frozen"] + account["pending_balance"]
                    - account["debt"] == earned_balance - spent_balance - world.withdrawn[user]), (user, account, ops)
            assert (account["points"] + account["points_held"] + account["pending_points"] - account["points_debt"]
                    == earned_points - spent_points - expired(user)), (user, account, ops)
            sums = ledger_sums(user)
            assert {k: sums.get(k, 0) for k in account} == account, (user, ops)
    reset_clients()
