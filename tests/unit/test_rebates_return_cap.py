"""The return cap and exclusive rules as pure arithmetic (chalicelib/rebates/return_cap.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.rebates import return_cap
from chalicelib.rebates.models import Rule

T0 = datetime(2030, 6, 1, tzinfo=timezone.utc)


def rule(rule_id: str, kind: str = "fixed_ratio", published: int | None = None, created: int = 0, **fields) -> Rule:
    return Rule.model_validate({"id": rule_id, "name": rule_id, "kind": kind, "reward": "balance", "caps": {},
                                "status": "published", "created_at": T0 + timedelta(minutes=created),
                                "updated_at": T0, **({"published_at": T0 + timedelta(minutes=published)}
                                                     if published is not None else {}), **fields})


def test_the_cap_is_basis_points_of_the_paid_amount_rounded_down():
    assert return_cap.cap_of(43200, 10000) == 43200
    assert return_cap.cap_of(999, 3333) == 332  # 332.96...
    assert return_cap.room(999, 3333, 300) == 32
    assert return_cap.room(999, 3333, 400) == 0  # never negative


def test_two_rules_of_60_percent_under_a_cap_of_100_percent_return_60_and_40():
    assert return_cap.shares([6000, 6000], 10000, 10000) == [6000, 4000]


def test_the_rule_that_passes_the_cap_is_trimmed_and_later_ones_get_nothing():
    assert return_cap.shares([300, 500, 400, 100], 1001, 8000) == [300, 500, 0, 0]  # cap 800
    assert return_cap.shares([100, 1000, 7], 999, 5000) == [100, 399, 0]  # cap 499


def test_points_count_at_the_rate_they_were_granted_at():
    assert return_cap.reward_points(1000, 150) == 1500
    assert return_cap.points_counted(1500, 150) == 1000
    assert return_cap.reward_points(50, 3) == 1        # 1.5 points, rounded down
    assert return_cap.points_counted(1, 3) == 34       # the fewest fen granting 1 point (33.3.. up)


@settings(database=None)
@given(fen=st.integers(0, 10**8), rate=st.integers(1, 10_000))
def test_points_never_count_above_the_fen_they_were_granted_for(fen, rate):
    points = return_cap.reward_points(fen, rate)
    assert return_cap.points_counted(points, rate) <= fen
    assert return_cap.reward_points(return_cap.points_counted(points, rate), rate) >= points


@settings(database=None)
@given(values=st.lists(st.integers(0, 10**7), max_size=8), paid=st.integers(0, 10**7),
       max_bp=st.integers(0, 10_000))
def test_shares_never_pass_the_cap_keep_the_order_and_trim_only_one_rule(values, paid, max_bp):
    result = return_cap.shares(values, paid, max_bp)
    cap = paid * max_bp // 10_000
    assert sum(result) <= cap
    assert all(0 <= share <= value for share, value in zip(result, values))
    trimmed = [i for i, (share, value) in enumerate(zip(result, values)) if share < value]
    if trimmed:  # everything before the first trimmed rule is whole, and the cap is then spent
        first = trimmed[0]
        assert result[:first] == values[:first]
        assert sum(result) == cap
        assert all(share == 0 for share in result[first + 1:])
    else:
        assert sum(values) <= cap


def test_a_rules_own_ratio_is_its_ratio_its_highest_step_or_unknown_for_a_threshold():
    assert return_cap.own_ratio_bp(rule("a", ratio_bp=700)) == 700
    assert return_cap.own_ratio_bp(rule("b", kind="full_return", installments=3, period_days=10)) == 10000
    assert return_cap.own_ratio_bp(rule("c", kind="full_return", ratio_bp=2500, installments=3, period_days=10)) == 2500
    assert return_cap.own_ratio_bp(rule("d", kind="tiered", ladder=[{"min_paid": 0, "ratio_bp": 100},
                                                                   {"min_paid": 5000, "ratio_bp": 900}])) == 900
    assert return_cap.own_ratio_bp(rule("e", kind="threshold", threshold={"min_paid": 100, "amount": 99})) is None


def test_rules_apply_in_the_order_they_were_published_not_created():
    late, early, unpublished = rule("late", published=5, created=0), rule("early", published=1, created=3), \
        rule("old", created=2)
    assert [r.id for r in return_cap.published_order([late, early, unpublished])] == ["early", "old", "late"]


def test_without_an_exclusive_rule_that_earns_every_rule_applies():
    assert return_cap.best_exclusive([100, 200], [False, False]) is None
    assert return_cap.best_exclusive([100, 0], [False, True]) is None  # the exclusive rule earns nothing here


def test_an_exclusive_rule_in_play_leaves_only_the_best_rule_ties_to_the_earliest():
    assert return_cap.best_exclusive([100, 300, 50], [True, False, False]) == 1  # the best need not be exclusive
    assert return_cap.best_exclusive([300, 300], [False, True]) == 0


def test_a_grant_is_trimmed_to_the_room_then_bounded_by_its_own_caps():
    assert return_cap.grant(600, 400, [None, 350], excluded=False, points=False, points_per_yuan=100) == \
        return_cap.Grant(computed=600, granted=350, counted=350, limited_by="return_cap")
    assert return_cap.grant(600, 1000, [], excluded=False, points=False, points_per_yuan=100) == \
        return_cap.Grant(computed=600, granted=600, counted=600, limited_by=None)


def test_a_points_grant_rounds_points_down_and_counts_its_fen_up():
    # 333 fen at 50 points per yuan: 166 points (166.5 rounded down); 166 points count as 332 fen
    share = return_cap.grant(333, 10_000, [None], excluded=False, points=True, points_per_yuan=50)
    assert share == return_cap.Grant(computed=166, granted=166, counted=332, limited_by=None)


def test_an_excluded_rule_grants_nothing_and_says_why():
    assert return_cap.grant(600, 1000, [], excluded=True, points=False, points_per_yuan=100) == \
        return_cap.Grant(computed=600, granted=0, counted=0, limited_by="exclusive")


def test_exclusion_names_every_rule_but_the_best():
    rules = [rule("a", ratio_bp=100), rule("b", ratio_bp=500, exclusive=True), rule("c", ratio_bp=300)]
    assert return_cap.excluded(rules, [100, 500, 300]) == {"a", "c"}
    assert return_cap.excluded(rules, [100, 0, 300]) == set()  # the exclusive rule returns nothing
