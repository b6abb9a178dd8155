"""Adjustments keep the money explained (hypothesis, moto in-process): after any mix of rebates
earned, withdrawals asked, approved or rejected, and support's adjustments of balance and points,
per user

    balance + frozen - debt == earned + adjusted(balance) - withdrawn     (fen)
    points - points_debt    == earned + adjusted(points)                  (points)

nothing is ever negative, and the ledger's entries sum to every asset; a refused adjustment
(INSUFFICIENT_BALANCE / INSUFFICIENT_POINTS) changes nothing."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from chalicelib.errors import DomainError
from chalicelib.programme import store as programme
from chalicelib.rebates import accounts_store, settlement, support, withdrawals
from chalicelib.rebates.models import WithdrawalCreate
from chalicelib.rebates.support_models import AdjustmentCreate
from dev.bootstrap import bootstrap
from tests.helpers import reset_clients
from tests.payment_helpers import NOW, live_rule, payment_event
from tests.reservation_helpers import ledger_sums

USERS = ("ann", "ben")

operation = st.one_of(
    st.tuples(st.just("earn"), st.sampled_from(USERS), st.integers(1, 20_000)),
    st.tuples(st.just("withdraw"), st.sampled_from(USERS), st.integers(1, 3_000), st.booleans()),
    st.tuples(st.just("adjust"), st.sampled_from(USERS), st.sampled_from(["balance", "points"]),
              st.integers(-5_000, 5_000).filter(bool)),
)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=st.lists(operation, min_size=2, max_size=12))
def test_adjustments_never_make_or_lose_money_and_the_ledger_explains_them(ops):
    with mock_aws():
        reset_clients()
        programme.clear_cache()
        bootstrap(os.environ)
        live_rule(name="balance back", ratio_bp=1000)
        live_rule(name="points back", ratio_bp=2000, reward="points")
        expected = {u: {"balance": 0, "points": 0} for u in USERS}
        for n, op in enumerate(ops):
            kind, user = op[0], op[1]
            try:
                if kind == "earn":
                    settlement.process(payment_event(f"p{n}", op[2], user=user), NOW)
                    expected[user]["balance"] += op[2] // 10
                    expected[user]["points"] += op[2] // 5
                elif kind == "withdraw":
                    made = withdrawals.request_withdrawal(user, WithdrawalCreate(amount=op[2]), NOW, None)
                    if op[3]:
                        withdrawals.approve_withdrawal(made.id, "fay", NOW)
                        expected[user]["balance"] -= op[2]
                    else:
                        withdrawals.reject_withdrawal(made.id, "fay", NOW)
                elif accounts_store.account_exists(user):
                    support.adjust(user, AdjustmentCreate(asset=op[2], amount=op[3], reason="support"), "fay", NOW,
                                   None)
                    expected[user][op[2]] += op[3]
            except DomainError:
                pass  # a refusal changes nothing
        for user in USERS:
            account = accounts_store.get_account(user)
            assert min(account.values()) >= 0, (account, ops)
            assert account["balance"] + account["frozen"] - account["debt"] == expected[user]["balance"], ops
            assert account["points"] - account["points_debt"] == expected[user]["points"], ops
            sums = ledger_sums(user)
            assert {k: sums.get(k, 0) for k in account} == account, ops
    reset_clients()
