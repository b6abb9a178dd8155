"""A rule's preview against real settlement (moto): the same payments and refunds settled on a
fresh table with the rule actually published at the window's start cost, to the fen, what the
preview said; and the preview reads only the window's payments and refunds."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from datetime import datetime, timedelta

from moto import mock_aws

from chalicelib import dynamo
from chalicelib.rebates import rules, settlement, settlement_store
from chalicelib.rebates.preview_models import PreviewRequest
from dev.bootstrap import bootstrap
from tests.helpers import reset_clients
from tests.payment_helpers import NOW, live_rule, payment_event, refund_event, rule_body
from tests.programme_helpers import set_programme
from chalicelib.rebates.models import RuleCreate

START = NOW - timedelta(days=6)
END = NOW
LIVE_SINCE = START - timedelta(days=2)


@contextmanager
def fresh_stack():
    with mock_aws():
        reset_clients()
        bootstrap(os.environ)
        yield
    reset_clients()


def window() -> PreviewRequest:
    return PreviewRequest.model_validate_json(json.dumps({"from": START.isoformat(), "to": END.isoformat()}))


# Six days of payments (user, amount, hours after START) and refunds (payment, amount, hours after START).
PAYMENTS = [("ann", 12_000, 1), ("bob", 30_000, 3), ("ann", 9_999, 5), ("ann", 20_000, 26), ("cyd", 45_000, 30),
            ("bob", 7_777, 50), ("ann", 15_000, 75), ("cyd", 60_000, 100), ("bob", 33_333, 120),
            ("dan", 25_000, 130), ("ann", 40_000, 140)]
REFUNDS = [(1, 10_000, 40), (3, 20_000, 60), (4, 5_000, 101), (4, 5_000, 102), (7, 60_000, 125), (2, 1_111, 141)]


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def live_rules() -> None:
    """Rules live before the window: one whose budget runs out inside it, one of points."""
    set_programme(max_return_bp=3000, points_per_yuan=50)
    live_rule(now=LIVE_SINCE, ratio_bp=1500, caps={"budget": 12_000})
    live_rule(now=LIVE_SINCE + timedelta(minutes=1), ratio_bp=800, reward="points", caps={"per_user_per_day": 300})


def draft(**fields) -> str:
    body = rule_body(**{"name": "draft", "ratio_bp": 1200, "caps": {"per_user_per_day": 2_500, "budget": 16_000},
                        **fields})
    return rules.create_rule(RuleCreate.model_validate_json(json.dumps(body)), LIVE_SINCE, None).id


def settle_the_window(extra: list[tuple[str, int, float]] = ()) -> list[str]:
    """Every payment and refund, in time order, each settled at its own time."""
    events = [(at(h), payment_event(f"p{i}", amount, user=user, paid_at=at(h)))
              for i, (user, amount, h) in enumerate([*PAYMENTS, *extra])]
    events += [(at(h), refund_event(f"r{n}", f"p{i}", amount=amount).model_copy(update={"refunded_at": at(h)}))
               for n, (i, amount, h) in enumerate(REFUNDS)]
    for moment, event in sorted(events, key=lambda e: e[0]):
        settlement.process(event, moment)
    return [f"generic:p{i}" for i in range(len(PAYMENTS) + len(extra))]


def real_cost(rule_id: str, refs: list[str]) -> tuple[int, int, dict[str, int]]:
    cost: dict[str, int] = {"balance": 0, "points": 0}
    paid = 0
    for ref in refs:
        rebate = settlement_store.get_rebate(ref, rule_id)
        if rebate is not None and rebate.amount > 0:
            paid += 1
            cost[rebate.asset or ""] += rebate.amount - rebate.clawed - rebate.cancelled
    return paid, rules.get_rule(rule_id).budget_used, cost


def test_the_preview_equals_what_settlement_pays_with_the_rule_published_at_the_start():
    with fresh_stack():
        live_rules()
        previewed = draft()
        settle_the_window()
        answer = rules.preview_rule(previewed, window())
        assert rules.get_rule(previewed).status == "draft"  # it changed nothing
    with fresh_stack():
        live_rules()
        published = draft()
        rules.change_rule_status(published, "publish", START)
        refs = settle_the_window()
        payments, budget_used, cost = real_cost(published, refs)
    assert cost["balance"] > 0 and answer.cost.balance == cost["balance"]
    assert answer.cost.points == cost["points"] == 0
    assert answer.payments == payments
    assert budget_used == 16_000 and answer.budget_exhausted_at is not None  # the budget ran out in the window
    assert answer.scanned == len(PAYMENTS)


def test_a_points_draft_that_is_exclusive_matches_settlement_too():
    with fresh_stack():
        live_rules()
        previewed = draft(reward="points", exclusive=True, ratio_bp=2000, caps={"per_user_per_day": 3_000})
        settle_the_window()
        answer = rules.preview_rule(previewed, window())
    with fresh_stack():
        live_rules()
        published = draft(reward="points", exclusive=True, ratio_bp=2000, caps={"per_user_per_day": 3_000})
        rules.change_rule_status(published, "publish", START)
        refs = settle_the_window()
        payments, _, cost = real_cost(published, refs)
    assert cost["points"] > 0 and (answer.cost.points, answer.cost.balance) == (cost["points"], cost["balance"])
    assert answer.payments == payments


def test_a_full_return_draft_over_last_weeks_payments_matches_settlement_to_the_fen():
    """Issue 18's done-when: a 全返 draft previewed over the week equals publishing it a week
    earlier (instalments cancelled and clawed back by the refunds alike)."""
    fields = {"kind": "full_return", "ratio_bp": 2500, "installments": 4, "period_days": 2,
              "caps": {"per_user_per_day": 9_000, "budget": 40_000}}
    with fresh_stack():
        live_rules()
        previewed = draft(**fields)
        settle_the_window()
        answer = rules.preview_rule(previewed, window())
    with fresh_stack():
        live_rules()
        published = draft(**fields)
        rules.change_rule_status(published, "publish", START)
        refs = settle_the_window()
        payments, budget_used, cost = real_cost(published, refs)
    assert cost["balance"] > 0 and (answer.cost.balance, answer.cost.points) == (cost["balance"], cost["points"])
    assert answer.payments == payments
    assert answer.granted.balance == budget_used


def test_the_preview_reads_only_the_payments_and_refunds_of_its_window(aws):
    live_rules()
    previewed = draft()
    outside = [("eve", 50_000, -30), ("eve", 50_000, -0.5), ("eve", 50_000, 144.5), ("eve", 50_000, 200)]
    settle_the_window(outside)
    read: list[int] = []

    def count(parsed, **_):
        read.append(parsed.get("ScannedCount", 0))

    dynamo.client().meta.events.register("after-call.dynamodb.Query", count)
    answer = rules.preview_rule(previewed, window())
    assert answer.scanned == len(PAYMENTS)
    assert sum(read) == len(PAYMENTS) + len(REFUNDS)  # no item outside the window was read
    assert len(read) == 7  # one Query per Beijing day the window touches (6 days, not aligned to midnight)
