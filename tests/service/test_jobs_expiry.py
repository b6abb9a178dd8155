"""The voucher expiry sweep (issue 5): a sparse, sharded index of unused coupons by validity,
a conditional expiry per coupon, a time budget, the schedule and the operator CLI."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib import dynamo
from chalicelib.coupons import checkout, keys, redemption, wallet_store
from chalicelib.jobs import __main__ as cli
from chalicelib.jobs import registry as jobs
from chalicelib.jobs.budget import TimeBudget, Unlimited
from tests.checkout_helpers import NOW, card, give, lock_request, race

DAY = timedelta(days=1)
SOON = {"validity": {"days_after_claim": 1}}      # valid until NOW + 1 day
LATER = {"validity": {"days_after_claim": 60}}    # valid until NOW + 60 days


def stored(coupon_id: str, user: str = "alice") -> dict:
    return dynamo.get(keys.coupon(user, coupon_id), consistent=True)


def listed(coupon_id: str, user: str = "alice") -> bool:
    item = stored(coupon_id, user)
    return "GSI2PK" in item and "GSI2SK" in item


def sweep(now, budget=None):
    return jobs.run("expire-coupons", now, budget or Unlimited())


def test_unused_coupon_is_listed_under_its_shard_by_validity(aws):
    coupon = give(**SOON)
    item = stored(coupon.id)
    assert item["GSI2PK"] == f"CPN_EXPIRES#{keys.expiry_shard(coupon.id)}"
    assert item["GSI2SK"] == f"{item['valid_until']}#{coupon.id}"
    assert 0 <= keys.expiry_shard(coupon.id) < keys.EXPIRY_SHARDS


def test_coupon_past_validity_expires_and_leaves_the_index_others_untouched(aws):
    due, live = give(**SOON), give(**LATER)
    report = sweep(NOW + 2 * DAY)
    assert (report.read, report.expired, report.skipped, report.finished) == (1, 1, 0, True)
    assert stored(due.id)["status"] == "expired" and not listed(due.id)
    assert stored(live.id)["status"] == "unused" and listed(live.id)


def test_a_coupon_due_exactly_now_expires_one_due_a_second_later_does_not(aws):
    coupon = give(**SOON)
    until = NOW + DAY
    assert sweep(until - timedelta(seconds=1)).read == 0
    assert sweep(until).expired == 1
    assert stored(coupon.id)["status"] == "expired"


def test_stored_value_cards_expire_too(aws):
    gift = card(**SOON)
    assert listed(gift.id)
    assert sweep(NOW + 2 * DAY).expired == 1
    assert stored(gift.id)["status"] == "expired" and not listed(gift.id)


def test_locked_used_and_revoked_coupons_are_not_listed_and_not_touched(aws):
    locked, used, revoked = give(**SOON), give(**SOON), give(**SOON)
    checkout.lock_coupon("alice", locked.id, lock_request("o-1"), NOW)
    checkout.lock_coupon("alice", used.id, lock_request("o-2"), NOW)
    assert [c.id for c in redemption.redeem_order("alice", "o-2", [used.id], "p-2", NOW)] == [used.id]
    assert redemption.revoke_coupon("alice", revoked.id, NOW)
    for coupon in (locked, used, revoked):
        assert not listed(coupon.id)
    report = sweep(NOW + 2 * DAY)
    assert (report.read, report.expired) == (0, 0)
    assert [stored(c.id)["status"] for c in (locked, used, revoked)] == ["locked", "used", "revoked"]


def test_a_second_run_with_the_same_now_changes_nothing(aws):
    coupons = [give(**SOON) for _ in range(3)] + [give(**LATER)]
    first = sweep(NOW + 2 * DAY)
    before = [stored(c.id) for c in coupons]
    second = sweep(NOW + 2 * DAY)
    assert (first.expired, second.read, second.expired, second.finished) == (3, 0, 0, True)
    assert [stored(c.id) for c in coupons] == before


class AfterItems:
    """A budget that runs out once the sweep has handled `n` coupons."""

    def __init__(self, n: int) -> None:
        self.n, self.done = n, 0

    def exhausted(self) -> bool:
        return self.done >= self.n


def test_a_sweep_stopped_by_its_budget_resumes_at_the_next_run_and_finishes(aws, monkeypatch):
    coupons = [give(**SOON) for _ in range(5)]
    budget = AfterItems(2)
    expire_one = wallet_store.expire_one

    def counted(key, now):
        budget.done += 1
        return expire_one(key, now)

    monkeypatch.setattr(wallet_store, "expire_one", counted)
    first = sweep(NOW + 2 * DAY, budget)
    assert (first.expired, first.finished) == (2, False)
    budget.n = 100
    second = sweep(NOW + 2 * DAY, budget)
    assert (second.expired, second.finished) == (3, True)
    assert second.read == 3  # what the first run expired left the index: nothing is read twice
    assert {stored(c.id)["status"] for c in coupons} == {"expired"}


def test_a_spent_time_budget_stops_before_any_work(aws):
    give(**SOON)
    report = sweep(NOW + 2 * DAY, TimeBudget(0))
    assert (report.read, report.expired, report.finished) == (0, 0, False)


def test_time_budget_from_a_lambda_context_keeps_a_safety_margin():
    class Context:
        def get_remaining_time_in_millis(self):
            return 20_000

    assert 4.5 < TimeBudget.from_context(Context(), safety_margin_ms=15_000).remaining_seconds() <= 5
    assert TimeBudget.from_context(Context(), safety_margin_ms=30_000).exhausted()


def test_unlock_after_expiry_time_lists_the_coupon_again_and_a_sweep_expires_it(aws):
    coupon = give(**SOON)
    checkout.lock_coupon("alice", coupon.id, lock_request("o-1"), NOW)
    later = NOW + 2 * DAY
    assert sweep(later).read == 0
    checkout.unlock_coupon("alice", coupon.id, "o-1", later)
    assert stored(coupon.id)["status"] == "unused" and listed(coupon.id)
    assert sweep(later).expired == 1
    assert stored(coupon.id)["status"] == "expired" and not listed(coupon.id)


def test_a_refund_restores_a_coupon_into_the_index(aws):
    coupon = give(**LATER)
    checkout.lock_coupon("alice", coupon.id, lock_request("o-1"), NOW)
    redemption.redeem_order("alice", "o-1", [coupon.id], "p-1", NOW)
    assert not listed(coupon.id)
    redemption.restore_order("alice", "p-1", NOW + DAY)
    assert stored(coupon.id)["status"] == "unused" and listed(coupon.id)


def test_a_sweep_racing_locks_leaves_each_coupon_expired_xor_locked(race_aws):
    coupons = [give(**SOON) for _ in range(12)]
    lock_time, sweep_time = NOW + DAY - timedelta(minutes=1), NOW + DAY
    calls = [lambda c=c: checkout.lock_coupon("alice", c.id, lock_request(f"o-{c.id}"), lock_time) for c in coupons]
    calls.append(lambda: sweep(sweep_time))
    *locks, report = race(calls)
    assert not isinstance(report, Exception), report
    states = {c.id: stored(c.id)["status"] for c in coupons}
    assert set(states.values()) <= {"expired", "locked"}
    for coupon, outcome in zip(coupons, locks):
        won = not isinstance(outcome, Exception)
        assert states[coupon.id] == ("locked" if won else "expired"), (outcome, states[coupon.id])
        assert not listed(coupon.id)
    assert report.expired == sum(s == "expired" for s in states.values())
    assert sweep(sweep_time).read == 0


def test_the_cli_sweeps_as_of_an_explicit_now(aws, capsys):
    due, live = give(**SOON), give(**LATER)
    when = (NOW + 2 * DAY).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert cli.main(["expire-coupons", "--now", when]) == 0
    printed = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (printed["job"], printed["changed"], printed["finished"]) == ("expire-coupons", 1, True)
    assert stored(due.id)["status"] == "expired" and stored(live.id)["status"] == "unused"
    assert cli.main(["release-instalments", "--now", when]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["changed"] == 0


def test_the_cli_refuses_a_time_without_zone(aws):
    with pytest.raises(SystemExit):
        cli.main(["expire-coupons", "--now", "2026-11-23 10:00"])


def test_the_schedule_sweeps_as_of_the_event_time(aws):
    """Through Chalice's handler, with the context dev/pump.py gives (Chalice's default 60 s
    timeout; chalice.test's own context allows only 3 s, less than the safety margin)."""
    from chalice import Chalice
    from chalice.test import Client

    from chalicelib.jobs import routes
    from dev.pump import LambdaContext

    coupon = give(**SOON)
    app = Chalice(app_name="jobs-test")
    app.register_blueprint(routes.bp)
    with Client(app) as client:
        event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                                resources=[])
    event["time"] = (NOW + 2 * DAY).strftime("%Y-%m-%dT%H:%M:%SZ")
    app.handler_map["expire_coupons"](event, LambdaContext("expire_coupons", "arn:aws:lambda:local"))
    assert stored(coupon.id)["status"] == "expired"


def test_every_job_has_a_schedule_in_the_app_and_a_cli_command(capsys):
    from app import app

    scheduled = {name for name, source in
                 ((s.name, s) for s in app.event_sources if hasattr(s, "schedule_expression"))}
    assert scheduled == {name.replace("-", "_") for name in jobs.JOBS}
    assert cli.main(["list"]) == 0
    listing = capsys.readouterr().out
    for name, job in jobs.JOBS.items():
        assert name in listing and f"every {job.rate_minutes()} min" in listing


def test_job_rates_come_from_the_environment(monkeypatch):
    assert jobs.JOBS["release-instalments"].rate_minutes() == 24 * 60  # daily by default
    monkeypatch.setenv("MALL_INSTALMENT_RATE_MINUTES", "720")
    assert jobs.JOBS["release-instalments"].rate_minutes() == 720


@pytest.mark.parametrize("name", ["release-locks", "remind-expiring", "end-templates", "release-instalments",
                                  "release-pending"])
def test_the_cli_runs_every_job_as_of_an_explicit_now(aws, capsys, name):
    assert cli.main([name, "--now", "2030-06-01T12:00:00Z"]) == 0
    printed = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (printed["job"], printed["as_of"], printed["finished"]) == (name, "2030-06-01T12:00:00Z", True)


@pytest.mark.parametrize(("given", "as_of"), [
    ("2030-06-01T20:00:00+08:00", "2030-06-01T12:00:00Z"),
    ("2030-06-01T12:00:00.750Z", "2030-06-01T12:00:00Z"),
])
def test_the_cli_takes_now_with_an_offset_and_decides_in_utc(aws, capsys, given, as_of):
    assert cli.main(["release-locks", "--now", given]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["as_of"] == as_of


@pytest.mark.parametrize("given", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1999-12-31T23:59:59Z"])
def test_the_cli_refuses_a_now_outside_its_years(aws, capsys, given):
    with pytest.raises(SystemExit) as exited:
        cli.main(["expire-coupons", "--now", given])
    assert exited.value.code == 2 and "2000-2199" in capsys.readouterr().err
