"""Pending rebates under races (issue 17, item 1), on the serialized moto server and on DynamoDB
Local (`race_aws`): release-pending runs racing each other release each rebate once; refunds
racing the release job never leave a debt or a double credit."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from chalicelib.jobs import registry as jobs
from chalicelib.jobs.budget import Unlimited
from chalicelib.models import PageQuery
from chalicelib.rebates import accounts, policy, settlement
from tests.checkout_helpers import race
from tests.payment_helpers import NOW, like_sqs, live_rule, payment_event, refund_event

WINDOW_END = NOW + timedelta(days=7)
USERS = [f"shopper{i}" for i in range(6)]



def ledger_sums(user):
    sums = defaultdict(int)
    for entry in accounts.list_ledger(user, PageQuery(limit=100)).items:
        sums[entry.asset] += entry.amount
    return sums


def pay_everyone():
    live_rule(ratio_bp=500, pending_days=7)
    for user in USERS:
        settlement.process(payment_event(f"pay-{user}", 10000, user=user), NOW)


def release():
    return like_sqs(lambda: jobs.run("release-pending", WINDOW_END, Unlimited()))


def test_release_pending_runs_racing_each_other_release_each_rebate_once(race_aws):
    pay_everyone()
    reports = race([release for _ in range(4)])
    assert sum(r.changed for r in reports) == len(USERS), reports
    for user in USERS:
        shown = accounts.get_account(user)
        assert (shown.balance, shown.pending_balance, shown.debt) == (500, 0, 0), user
        assert ledger_sums(user)["balance"] == 500
    assert release().changed == 0  # and again with the same now: nothing


def test_refunds_racing_the_release_job_never_leave_a_debt_or_a_double_credit(race_aws):
    pay_everyone()
    refunded = {user: 10000 if i % 2 else 4000 for i, user in enumerate(USERS)}  # full and partial refunds

    def refund(user):
        event = refund_event(f"r-{user}", f"pay-{user}", amount=refunded[user], at=WINDOW_END)
        return like_sqs(lambda: settlement.process(event, WINDOW_END))

    outcomes = race([release, release] + [lambda u=u: refund(u) for u in USERS])
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    release()  # whatever the job left (a rebate it met mid-refund) is released now
    for user in USERS:
        shown = accounts.get_account(user)
        kept = 500 - policy.clawback_due(500, refunded[user], 10000)
        assert (shown.balance, shown.pending_balance, shown.debt) == (kept, 0, 0), user
        sums = ledger_sums(user)
        assert (sums["balance"], sums["pending_balance"], sums["debt"]) == (kept, 0, 0), user
