"""Rebate rules as operators manage them (create, list, publish, pause, end) with their
totals, and the programme's figures. No boto3, no Chalice.

What a rule gives for a payment is `policy.computed_reward`; payments are settled under
the rules live at their time in `settlement`.
"""

from __future__ import annotations

from datetime import date, datetime

from chalicelib import lifecycle
from chalicelib.audit.models import Change
from chalicelib.coupons import redemption as coupons
from chalicelib.errors import InvalidState, NotFound, Throttled, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.idempotency import Idempotency
from chalicelib.models import Page
from chalicelib.programme import store as programme_store
from chalicelib.rebates import policy, preview, preview_store, return_cap, rules_store, settlement_store, shares
from chalicelib.rebates.models import (
    AssetFigures, RebateOverview, RefundFigures, RuleCreate, RuleListQuery, RuleView, Stale, VoucherReward,
)
from chalicelib.rebates.overview_models import OverviewDay, OverviewQuery
from chalicelib.rebates.preview_models import PreviewRequest, PreviewWindow, RulePreview

STATUS_ATTEMPTS = 5  # reads and writes of a status change that met another change


def create_rule(request: RuleCreate, now: datetime, idem: Idempotency | None, actor: str | None = None) -> RuleView:
    if isinstance(request.reward, VoucherReward):
        try:
            coupons.get_template(request.reward.voucher_template_id)
        except NotFound as exc:
            raise ValidationFailed("reward.voucher_template_id names no coupon template.",
                                   [{"field": "reward.voucher_template_id", "message": "no such template"}]) from exc
    rule = RuleView.model_validate({**request.model_dump(), "id": new_id(), "status": "draft", "budget_used": 0,
                                    "created_at": now, "updated_at": now})
    rules_store.create_rule(rule, idem, Change(actor, "create", "rule", rule.id, None, rule.model_dump(mode="json"), now))
    return rule


def get_rule(rule_id: str) -> RuleView:
    rule = rules_store.get_rule(rule_id)
    if rule is None:
        raise NotFound("No rebate rule with this id.")
    return rule


def list_rules(query: RuleListQuery) -> Page[RuleView]:
    items, cursor = rules_store.list_rules(query.status, query.limit, query.cursor)
    return Page[RuleView](items=items, next_cursor=cursor)


def change_rule_status(rule_id: str, action: str, now: datetime, actor: str | None = None) -> RuleView:
    """Publish, pause or end, if the stored status allows it at the moment of the write; the
    change and its audit entry (the rule before and after) commit together. Publishing also
    refuses a rule that by itself returns more than the return cap (`max_return_bp`), checked
    against the settings as they are when the rule goes live (the write pins their version). A
    threshold rule's fixed amount or voucher depends on the payment: allowed, and settlement
    trims it."""
    for _ in range(STATUS_ATTEMPTS):
        before = get_rule(rule_id)
        target = lifecycle.transition(before.status, action, "rebate rule")
        update: dict[str, object] = {"status": target, "updated_at": now}
        if action == "publish" and before.published_at is None:
            update["published_at"] = now
        after = before.model_copy(update=update)
        audit = Change(actor, action, "rule", rule_id, before.model_dump(mode="json"), after.model_dump(mode="json"), now)
        try:
            if action == "publish":
                _publish(before, now, audit)
            else:
                rules_store.change_rule_status(rule_id, action, now, before.status, audit)
        except (lifecycle.Moved, Stale):
            continue
        return after
    raise Throttled("This rule is being changed by others at this moment; retry shortly.")


def _publish(rule: RuleView, now: datetime, audit: Change) -> None:
    settings = programme_store.fresh(now)
    own = return_cap.own_ratio_bp(rule)
    if own is not None and own > settings.max_return_bp:
        raise InvalidState(f"This rule returns up to {own} bp ({own / 100:g}%) of a payment, above the return cap "
                           f"max_return_bp of {settings.max_return_bp} bp ({settings.max_return_bp / 100:g}%): "
                           "lower its ratio or raise the cap in the programme settings.")
    rules_store.publish_rule(rule.id, now, rule.status, audit,
                             {programme_store.SETTINGS: programme_store.unchanged_check(settings)})


def preview_rule(rule_id: str, request: PreviewRequest) -> RulePreview:
    """What the rule (draft or live) would have cost on the payments and refunds of the window,
    published at its start (rebates/preview.py); reads only the window (preview_store)."""
    rule = get_rule(rule_id)
    found = preview_store.window(request.start, request.end)
    draft = preview.as_published(rule, request.start)
    earlier = {p.payment_ref: preview.before(p, draft) for p in found.payments}
    returned = preview_store.recorded_returns([(ref, r.id) for ref, rules in earlier.items() for r in rules])
    voucher_rules = [draft, *(r for rules in earlier.values() for r in rules)]
    faces = {template: shares.voucher_face(template) for template in preview.templates(voucher_rules)}
    stream = [preview.Replayed(p, found.refunded.get(p.payment_ref, 0),
                               {r.id: returned[(p.payment_ref, r.id)] for r in earlier[p.payment_ref]
                                if (p.payment_ref, r.id) in returned}) for p in found.payments]
    outcome = preview.replay(rule, request.start, stream, faces)

    def figures(f: preview.Figures) -> AssetFigures:
        return AssetFigures(balance=f.balance, points=f.points, vouchers=f.vouchers)

    return RulePreview(rule_id=rule.id, window=PreviewWindow(start=request.start, end=request.end),
                       payments=outcome.payments, cost=figures(outcome.cost), granted=figures(outcome.granted),
                       taken_back=figures(outcome.taken_back), budget_exhausted_at=outcome.budget_exhausted_at,
                       scanned=outcome.scanned)


# --- the programme's figures ------------------------------------------------------------------

def overview(query: OverviewQuery | None = None) -> RebateOverview:
    """The programme's totals, each payment once, for all time or for the Beijing days of
    `query` (summed from the day items, every day listed); cost is what was granted less what
    refunds took back, and the return rate counts a point as one fen (as rules compute points)."""
    days = query.days() if query is not None else []
    if not days:
        return _figures(settlement_store.programme_totals())
    found = settlement_store.programme_days(days[0].isoformat(), days[-1].isoformat())
    totals = dict.fromkeys(settlement_store.PROGRAMME_FIELDS, 0)
    for day in found.values():
        for name, value in day.items():
            totals[name] += value
    zero = dict.fromkeys(settlement_store.PROGRAMME_FIELDS, 0)
    return _figures(totals).model_copy(update={"days": [_day(d, found.get(d.isoformat(), zero)) for d in days]})


def _day(day: date, t: dict[str, int]) -> OverviewDay:
    return OverviewDay(day=day, payments=t["payments"], sales=t["sales"], refunded_payments=t["refunded_payments"],
                       refunded=t["refunded"], net_sales=t["sales"] - t["refunded"],
                       cost_balance=t["granted_balance"] - t["taken_balance"],
                       cost_points=t["granted_points"] - t["taken_points"],
                       cost_vouchers=t["vouchers_granted"] - t["vouchers_revoked"],
                       vouchers_not_granted=t["vouchers_not_granted"])


def _figures(t: dict[str, int]) -> RebateOverview:
    granted = AssetFigures(balance=t["granted_balance"], points=t["granted_points"], vouchers=t["vouchers_granted"])
    taken = AssetFigures(balance=t["taken_balance"], points=t["taken_points"], vouchers=t["vouchers_revoked"])
    cost = AssetFigures(balance=granted.balance - taken.balance, points=granted.points - taken.points,
                        vouchers=granted.vouchers - taken.vouchers)
    net_sales = t["sales"] - t["refunded"]
    return RebateOverview(
        payments=t["payments"], sales=t["sales"], refunds=RefundFigures(payments=t["refunded_payments"],
                                                                        amount=t["refunded"]),
        net_sales=net_sales, granted=granted, taken_back=taken, cost=cost,
        return_bp=policy.return_bp(cost.balance + cost.points, net_sales),
        vouchers_not_granted=t["vouchers_not_granted"],
    )
