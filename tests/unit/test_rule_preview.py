"""A rule's preview as pure arithmetic (chalicelib/rebates/preview.py): settlement's steps replayed
over a stream of recorded payments, with literals, no AWS."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib.rebates import preview
from chalicelib.rebates.models import Payment, Rule
from chalicelib.rebates.preview import Replayed

T0 = datetime(2030, 6, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing
START = T0 - timedelta(hours=1)


def rule(rule_id: str = "draft", published: datetime | None = None, **fields) -> Rule:
    base = {"id": rule_id, "name": rule_id, "kind": "fixed_ratio", "ratio_bp": 1000, "reward": "balance",
            "caps": {}, "status": "draft" if published is None else "published", "created_at": T0 - timedelta(days=30),
            "updated_at": T0, "published_at": published}
    return Rule.model_validate({**base, **fields})


def payment(n: int, amount: int = 10_000, at: datetime = T0, rules: list[Rule] | None = None, user: str = "u1",
            order: str | None = None, max_return_bp: int | None = 10_000, points_per_yuan: int | None = 100) -> Payment:
    return Payment(payment_ref=f"generic:p{n}", provider="generic", payment_id=f"p{n}", event_id=f"e{n}",
                   order_id=order or f"o{n}", user_id=user, amount=amount, paid_at=at, coupon_ids=[],
                   rules=rules or [], status="applied", max_return_bp=max_return_bp,
                   points_per_yuan=points_per_yuan, created_at=at)


def run(draft: Rule, *stream: Replayed, faces=None) -> preview.Outcome:
    return preview.replay(draft, START, stream, faces or {})


def test_a_ratio_rule_on_two_payments_costs_its_ratio_of_each_rounded_down():
    outcome = run(rule(ratio_bp=333), Replayed(payment(1, 9999)), Replayed(payment(2, 100)))
    assert (outcome.payments, outcome.cost.balance, outcome.scanned) == (2, 332 + 3, 2)  # 332.96, 3.33


def test_points_are_granted_at_the_payments_rate():
    outcome = run(rule(reward="points"), Replayed(payment(1, 10_000, points_per_yuan=50)))
    assert (outcome.cost.points, outcome.cost.balance) == (500, 0)  # 1000 fen at 50 points per yuan


def test_the_per_order_cap_holds_across_payments_of_one_order():
    draft = rule(caps={"per_order": 1500})
    outcome = run(draft, Replayed(payment(1, order="o")), Replayed(payment(2, order="o")), Replayed(payment(3)))
    assert outcome.granted.balance == 1000 + 500 + 1000


def test_the_per_user_daily_cap_counts_by_beijing_day():
    draft = rule(caps={"per_user_per_day": 1500})
    late = T0 + timedelta(hours=13, minutes=30)  # 23:30 Beijing, the same day
    next_day = T0 + timedelta(hours=14, minutes=30)  # 00:30 Beijing, the next day
    outcome = run(draft, Replayed(payment(1)), Replayed(payment(2, at=late)), Replayed(payment(3, at=next_day)),
                  Replayed(payment(4, user="u2", at=late)))
    assert outcome.granted.balance == 1000 + 500 + 1000 + 1000


def test_the_budget_runs_out_at_the_payment_that_spends_its_last_fen():
    draft = rule(caps={"budget": 2500})
    times = [T0 + timedelta(days=d) for d in range(4)]
    outcome = run(draft, *(Replayed(payment(i, at=at)) for i, at in enumerate(times)))
    assert (outcome.payments, outcome.cost.balance, outcome.budget_exhausted_at) == (3, 2500, times[2])


def test_a_budget_never_reached_has_no_exhaustion():
    outcome = run(rule(caps={"budget": 5000}), Replayed(payment(1)))
    assert outcome.budget_exhausted_at is None


def test_the_draft_comes_after_the_live_rules_and_is_trimmed_by_the_return_cap_first():
    live = rule("live", published=START - timedelta(days=1), ratio_bp=2500)
    # The live rule's recorded rebate counted 2500 of a 3000 cap (30%): the draft gets 500, not 1000.
    outcome = run(rule(), Replayed(payment(1, rules=[live], max_return_bp=3000), returned={"live": 2500}))
    assert outcome.granted.balance == 500


def test_a_live_rule_without_a_recorded_rebate_counts_what_it_computes():
    live = rule("live", published=START - timedelta(days=1), ratio_bp=2500)
    outcome = run(rule(), Replayed(payment(1, rules=[live], max_return_bp=3000)))
    assert outcome.granted.balance == 500


def test_a_rule_published_inside_the_window_comes_after_the_draft():
    later = rule("later", published=T0 - timedelta(minutes=1), ratio_bp=2500)
    outcome = run(rule(), Replayed(payment(1, rules=[later], max_return_bp=3000), returned={"later": 2500}))
    assert outcome.granted.balance == 1000  # in reality it would be "later" that is trimmed


def test_an_exclusive_live_rule_that_returns_more_leaves_the_draft_nothing():
    live = rule("live", published=START - timedelta(days=1), ratio_bp=2000, exclusive=True)
    outcome = run(rule(), Replayed(payment(1, rules=[live]), returned={"live": 2000}))
    assert (outcome.payments, outcome.granted.balance) == (0, 0)


def test_an_exclusive_draft_that_returns_most_takes_the_whole_cap():
    live = rule("live", published=START - timedelta(days=1), ratio_bp=2500)
    draft = rule(ratio_bp=2800, exclusive=True)
    outcome = run(draft, Replayed(payment(1, rules=[live], max_return_bp=3000), returned={"live": 2500}))
    assert outcome.granted.balance == 2800  # the live rule is excluded: the draft is not trimmed


def test_refunds_take_back_in_proportion_rounded_down():
    outcome = run(rule(ratio_bp=333), Replayed(payment(1, 9999), refunded=3333), Replayed(payment(2), refunded=10_000))
    assert outcome.granted.balance == 332 + 333
    assert outcome.taken_back.balance == 110 + 333  # 332 * 3333 / 9999 = 110.67
    assert outcome.cost.balance == 222 and outcome.payments == 2


def test_a_refund_gives_no_budget_back():
    draft = rule(caps={"budget": 1500})
    outcome = run(draft, Replayed(payment(1), refunded=10_000), Replayed(payment(2)), Replayed(payment(3)))
    assert (outcome.granted.balance, outcome.cost.balance) == (1500, 500)


def test_the_rules_own_window_bounds_the_payments_it_applies_to():
    draft = rule(starts_at=T0 + timedelta(days=1), ends_at=T0 + timedelta(days=2))
    times = [T0, T0 + timedelta(days=1), T0 + timedelta(days=2)]
    outcome = run(draft, *(Replayed(payment(i, at=at)) for i, at in enumerate(times)))
    assert (outcome.payments, outcome.scanned) == (1, 3)


def test_a_voucher_is_whole_and_taken_back_below_its_threshold():
    draft = rule(kind="threshold", ratio_bp=None, threshold={"min_paid": 5000},
                 reward={"voucher_template_id": "01J00000000000000000000000"})
    faces = {"01J00000000000000000000000": 800}
    live = rule("live", published=START - timedelta(days=1), ratio_bp=9500)
    outcome = run(draft, Replayed(payment(1)), Replayed(payment(2), refunded=6000), Replayed(payment(3, 4999)),
                  Replayed(payment(4, rules=[live]), returned={"live": 9500}), faces=faces)
    assert (outcome.granted.vouchers, outcome.taken_back.vouchers, outcome.cost.vouchers) == (2, 1, 1)


def test_a_full_return_costs_its_whole_amount_and_refunds_cancel_in_proportion():
    draft = rule(kind="full_return", ratio_bp=None, installments=3, period_days=30)
    outcome = run(draft, Replayed(payment(1, 10_000), refunded=2_500))
    assert (outcome.granted.balance, outcome.taken_back.balance) == (10_000, 2_500)
