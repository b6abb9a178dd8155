"""The daily maximum counts by the Beijing day (UTC+8) of the request, per shopper (moto)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib import dynamo
from chalicelib.errors import LimitReached
from chalicelib.programme import store
from chalicelib.rebates import settlement, withdrawals
from chalicelib.rebates.models import WithdrawalCreate
from tests.payment_helpers import NOW, live_rule, payment_event
from tests.programme_helpers import set_programme

LAST_SECOND = datetime(2030, 6, 1, 15, 59, 59, tzinfo=timezone.utc)  # 23:59:59 in Beijing
NEXT_DAY = datetime(2030, 6, 1, 16, 0, 0, tzinfo=timezone.utc)       # 00:00:00 the next Beijing day


@pytest.fixture
def funded(aws):
    live_rule(ratio_bp=10000)
    settlement.process(payment_event("fund", 5000), NOW)
    set_programme(withdrawal_daily_max=1000)


def test_the_maximum_starts_again_at_midnight_in_beijing(funded):
    withdrawals.request_withdrawal("alice", WithdrawalCreate(amount=1000), LAST_SECOND, None)
    with pytest.raises(LimitReached):
        withdrawals.request_withdrawal("alice", WithdrawalCreate(amount=1), LAST_SECOND, None)
    assert withdrawals.request_withdrawal("alice", WithdrawalCreate(amount=1000), NEXT_DAY, None).status == "pending"


def test_a_rejection_the_next_day_gives_back_to_the_day_it_counted_against(funded):
    first = withdrawals.request_withdrawal("alice", WithdrawalCreate(amount=1000), LAST_SECOND, None)
    withdrawals.request_withdrawal("alice", WithdrawalCreate(amount=1000), NEXT_DAY, None)
    withdrawals.reject_withdrawal(first.id, "ops", NEXT_DAY, "wrong account")
    with pytest.raises(LimitReached):  # the next day is still full
        withdrawals.request_withdrawal("alice", WithdrawalCreate(amount=1), NEXT_DAY, None)
    assert withdrawals.request_withdrawal("alice", WithdrawalCreate(amount=1000), LAST_SECOND, None).amount == 1000


def test_a_maximum_lowered_after_the_cache_was_read_still_holds(funded):
    withdrawals.request_withdrawal("alice", WithdrawalCreate(amount=500), NOW, None)  # the cache holds max 1000
    stale = store.fresh(NOW)
    assert store.save(stale.model_copy(update={"withdrawal_daily_max": 600}), stale.version, NOW, "ops")
    store._cache[dynamo.table_name()] = (NOW, stale)  # this instance still holds max 1000, as cached
    with pytest.raises(LimitReached):
        withdrawals.request_withdrawal("alice", WithdrawalCreate(amount=200), NOW, None)
