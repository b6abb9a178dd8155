"""What shoppers see before they pay (API.md, "What shoppers see"): the live rules as terms
(`GET /rebate-offers`) and what they would return on a quote's total (`expected_rebate`, the
pure rebates/expected.py). No boto3, no Chalice.

The live rules (one query of the live index) and their vouchers' face values are cached per
table for `settings_cache_seconds`, as the programme's settings are: a quote costs no extra read
while the cache is fresh, and offers and expected rebates may be that many seconds old (a rule
published, paused or starting meanwhile shows up late; settlement always reads the rules live
at `paid_at`). A cached rule whose window has closed by `now` is left out."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.programme import store as programme
from chalicelib.rebates import expected, return_cap, rules_store, shares
from chalicelib.rebates.models import Rule, VoucherReward
from chalicelib.rebates.offers_models import ExpectedRebate, RebateOffer, RebateOffers
from chalicelib.settings import get_settings

_faces: dict[str, tuple[datetime, int]] = {}  # a voucher template's id -> (read at, its face value)


def _face(template_id: str, now: datetime, max_age: timedelta) -> int:
    cached = _faces.get(template_id)
    if cached is None or not timedelta(0) <= now - cached[0] < max_age:
        cached = _faces[template_id] = (now, shares.voucher_face(template_id))
    return cached[1]


def live(now: datetime) -> tuple[list[Rule], dict[str, int]]:
    """The rules live at `now` (as of at most the cache's age) and their vouchers' face values."""
    max_age = timedelta(seconds=get_settings().settings_cache_seconds)
    _, rules = rules_store.live_rules_cached(now, max_age)
    faces = {r.reward.voucher_template_id: _face(r.reward.voucher_template_id, now, max_age)
             for r in rules if isinstance(r.reward, VoucherReward)}
    open_now = [r for r in rules if (r.starts_at is None or r.starts_at <= now) and (r.ends_at is None or now < r.ends_at)]
    return open_now, faces


def expected_on(total: int, now: datetime) -> ExpectedRebate:
    """What the live rules would return on a payment of `total` fen (see rebates/expected.py:
    per-user daily caps, budgets and voucher stock can make the real rebate lower)."""
    rules, faces = live(now)
    if not rules:
        return ExpectedRebate()
    terms = programme.current(now)
    found = expected.expected_rebate(total, rules, faces, terms.max_return_bp, terms.points_per_yuan)
    return ExpectedRebate(balance=found.balance, points=found.points, vouchers=found.vouchers)


def offers(now: datetime) -> RebateOffers:
    rules, faces = live(now)
    ordered = return_cap.published_order(rules)  # the order they share the return cap in
    return RebateOffers(max_return_bp=programme.current(now).max_return_bp,
                        items=[RebateOffer.of(rule, faces) for rule in ordered])
