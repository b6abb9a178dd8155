"""Expiry reminders (issue 5): coupons expiring within MALL_REMINDER_DAYS produce one reminder
event each on the reminders queue, never two for the same coupon, however often the job runs
or races itself; a failed send is retried by the next run."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from chalicelib import dynamo
from chalicelib.coupons import checkout, keys, redemption, reminders
from chalicelib.jobs import registry as jobs
from chalicelib.jobs.budget import Unlimited
from tests.checkout_helpers import NOW, card, give, lock_request, race
from tests.payment_helpers import drain

DAY = timedelta(days=1)
IN_TWO_DAYS = {"validity": {"days_after_claim": 2}}    # inside the default 3-day window at NOW
IN_TEN_DAYS = {"validity": {"days_after_claim": 10}}


def run(now):
    return jobs.run("remind-expiring", now, Unlimited())


def sent() -> list[dict]:
    """Every reminder on the queue (received and deleted)."""
    return drain(os.environ["REMINDERS_QUEUE"])


def stored(coupon_id, user="alice"):
    return dynamo.get(keys.coupon(user, coupon_id), consistent=True)


def test_a_coupon_expiring_within_the_window_is_reminded_once(aws):
    soon, later = give(**IN_TWO_DAYS), give(**IN_TEN_DAYS)
    report = run(NOW)
    assert (report.read, report.changed, report.finished) == (1, 1, True)
    [reminder] = sent()
    assert reminder["type"] == "coupon.expiring"
    assert (reminder["reminder_id"], reminder["coupon_id"], reminder["user_id"]) == (soon.id, soon.id, "alice")
    assert reminder["valid_until"].startswith((NOW + 2 * DAY).strftime("%Y-%m-%dT%H:%M:%S"))
    item = stored(soon.id)
    assert "reminded_at" in item and "GSI3PK" not in item
    assert "GSI3PK" in stored(later.id)

    assert run(NOW).read == 0 and sent() == []                 # a re-run: nothing read, nothing sent
    assert run(NOW + 7 * DAY + timedelta(seconds=1)).changed == 1  # the other one, when it comes due
    assert [r["coupon_id"] for r in sent()] == [later.id]


def test_used_expired_and_revoked_coupons_are_not_reminded(aws):
    used, revoked, expired = give(**IN_TWO_DAYS), give(**IN_TWO_DAYS), give(**IN_TWO_DAYS)
    checkout.lock_coupon("alice", used.id, lock_request("o-1"), NOW)
    redemption.redeem_order("alice", "o-1", [used.id], "p-1", NOW)
    redemption.revoke_coupon("alice", revoked.id, NOW)
    jobs.run("expire-coupons", NOW + 3 * DAY, Unlimited())
    assert stored(expired.id)["status"] == "expired"
    assert run(NOW + 3 * DAY).read == 0 and sent() == []


def test_locked_coupons_and_cards_are_reminded_too(aws):
    locked, gift = give(**IN_TWO_DAYS), card(**IN_TWO_DAYS)
    checkout.lock_coupon("alice", locked.id, lock_request("o-1"), NOW)
    assert run(NOW).changed == 2
    by_id = {r["coupon_id"]: r for r in sent()}
    assert by_id[locked.id]["status"] == "locked"
    assert (by_id[gift.id]["kind"], by_id[gift.id]["balance"]) == ("stored_value", gift.balance)


def test_a_failed_send_takes_the_mark_back_and_the_next_run_sends_it(aws, monkeypatch):
    coupon = give(**IN_TWO_DAYS)

    def unavailable(reminder):
        raise ConnectionError("SQS is down")

    monkeypatch.setattr(reminders, "publish", unavailable)
    with pytest.raises(ConnectionError):
        run(NOW)
    item = stored(coupon.id)
    assert "reminded_at" not in item and item["GSI3SK"] == item["expiry_sk"]
    monkeypatch.undo()
    assert run(NOW).changed == 1
    assert [r["coupon_id"] for r in sent()] == [coupon.id]


def test_a_coupon_given_back_by_a_refund_is_not_reminded_twice(aws):
    coupon = give(**IN_TEN_DAYS)
    assert run(NOW + 8 * DAY).changed == 1
    checkout.lock_coupon("alice", coupon.id, lock_request("o-1"), NOW + 8 * DAY)
    redemption.redeem_order("alice", "o-1", [coupon.id], "p-1", NOW + 8 * DAY)
    redemption.restore_order("alice", "p-1", NOW + 8 * DAY)
    assert "GSI3PK" in stored(coupon.id)  # listed again on restore ...
    report = run(NOW + 8 * DAY)
    assert (report.read, report.changed, report.skipped) == (1, 0, 1)  # ... but never reminded twice
    assert "GSI3PK" not in stored(coupon.id)  # and it left the index, so no run reads it again
    assert [r["coupon_id"] for r in sent()] == [coupon.id]


def test_reminder_runs_racing_each_other_send_one_reminder_per_coupon(race_aws):
    coupons = [give(**IN_TWO_DAYS) for _ in range(8)]
    reports = race([lambda: run(NOW) for _ in range(4)])
    assert not [r for r in reports if isinstance(r, Exception)], reports
    assert sum(r.changed for r in reports) == len(coupons)
    assert sorted(r["coupon_id"] for r in sent()) == sorted(c.id for c in coupons)
