"""HTTP routes of rebates: operators manage rules and decide withdrawals; shoppers read their
account and ledger and ask for withdrawals."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib.lazy import lazy_module
from chalicelib.web import OPERATOR, PUBLIC, RequestContext, endpoint

if TYPE_CHECKING:  # what a type checker reads; at run time the same names, bound lazily below
    from chalicelib import models as common
    from chalicelib.coupons import models as coupon_models
    from chalicelib.rebates import (
        accounts, exchange, models, offers, offers_models, order_rebates, overview_models, preview_models, rules,
        support, support_models, withdrawals,
    )
else:  # loaded on a route's first request, not by `import app` (chalicelib.lazy)
    common = lazy_module("chalicelib.models")
    models = lazy_module("chalicelib.rebates.models")
    rules = lazy_module("chalicelib.rebates.rules")
    accounts = lazy_module("chalicelib.rebates.accounts")
    withdrawals = lazy_module("chalicelib.rebates.withdrawals")
    exchange = lazy_module("chalicelib.rebates.exchange")
    support = lazy_module("chalicelib.rebates.support")
    offers = lazy_module("chalicelib.rebates.offers")
    offers_models = lazy_module("chalicelib.rebates.offers_models")
    order_rebates = lazy_module("chalicelib.rebates.order_rebates")
    coupon_models = lazy_module("chalicelib.coupons.models")
    support_models = lazy_module("chalicelib.rebates.support_models")
    preview_models = lazy_module("chalicelib.rebates.preview_models")
    overview_models = lazy_module("chalicelib.rebates.overview_models")

bp = Blueprint(__name__)


@endpoint(bp, "/admin/rebate-rules", methods=("POST",), auth=OPERATOR, status=201, idempotent=True)
def create_rule(ctx: RequestContext, body: models.RuleCreate) -> models.RuleView:
    """Create a rebate rule (draft)."""
    return rules.create_rule(body, ctx.now, ctx.idempotency, ctx.user_id)


@endpoint(bp, "/admin/rebate-rules", auth=OPERATOR)
def list_rules(ctx: RequestContext, query: models.RuleListQuery) -> common.Page[models.RuleView]:
    """Rebate rules with their totals, newest first, optionally by status."""
    return rules.list_rules(query)


@endpoint(bp, "/admin/rebate-rules/{rule_id}", auth=OPERATOR)
def get_rule(ctx: RequestContext, rule_id: common.ResourceId) -> models.RuleView:
    """One rebate rule, with the budget it has used and its totals (rebated payments, cost, sales)."""
    return rules.get_rule(rule_id)


@endpoint(bp, "/admin/rebate-rules/{rule_id}/publish", methods=("POST",), auth=OPERATOR)
def publish_rule(ctx: RequestContext, rule_id: common.ResourceId) -> models.RuleView:
    """Publish a draft or paused rule: payments made inside its window earn under it."""
    return rules.change_rule_status(rule_id, "publish", ctx.now, ctx.user_id)


@endpoint(bp, "/admin/rebate-rules/{rule_id}/pause", methods=("POST",), auth=OPERATOR)
def pause_rule(ctx: RequestContext, rule_id: common.ResourceId) -> models.RuleView:
    """Pause a published rule."""
    return rules.change_rule_status(rule_id, "pause", ctx.now, ctx.user_id)


@endpoint(bp, "/admin/rebate-rules/{rule_id}/end", methods=("POST",), auth=OPERATOR)
def end_rule(ctx: RequestContext, rule_id: common.ResourceId) -> models.RuleView:
    """End a published or paused rule for good."""
    return rules.change_rule_status(rule_id, "end", ctx.now, ctx.user_id)


@endpoint(bp, "/admin/rebate-rules/{rule_id}/preview", methods=("POST",), auth=OPERATOR)
def preview_rule(ctx: RequestContext, rule_id: common.ResourceId,
                 body: preview_models.PreviewRequest) -> preview_models.RulePreview:
    """What a draft or live rule would have cost on the payments and refunds of a past window
    (at most 93 days), published at its start: changes nothing."""
    return rules.preview_rule(rule_id, body)


@endpoint(bp, "/admin/rebates/overview", auth=OPERATOR)
def get_overview(ctx: RequestContext, query: overview_models.OverviewQuery) -> models.RebateOverview:
    """The whole programme, or the Beijing days ?from=&to= (with each day's figures), each payment once."""
    return rules.overview(query)


@endpoint(bp, "/me/account")
def get_account(ctx: RequestContext) -> models.Account:
    """The caller's balance, frozen amount, points, debts and pending instalments."""
    return accounts.get_account(ctx.user_id)


@endpoint(bp, "/me/rebates")
def list_ledger(ctx: RequestContext, query: common.PageQuery) -> common.Page[models.LedgerEntry]:
    """The caller's ledger, newest first."""
    return accounts.list_ledger(ctx.user_id, query)


@endpoint(bp, "/me/withdrawals", methods=("POST",), status=201, idempotent=True)
def request_withdrawal(ctx: RequestContext, body: models.WithdrawalCreate) -> models.Withdrawal:
    """Ask to withdraw: the amount moves from balance to frozen (409 INSUFFICIENT_BALANCE)."""
    return withdrawals.request_withdrawal(ctx.user_id, body, ctx.now, ctx.idempotency)


@endpoint(bp, "/me/withdrawals")
def list_my_withdrawals(ctx: RequestContext, query: common.PageQuery) -> common.Page[models.Withdrawal]:
    """The caller's withdrawals, newest first, with their status, reason and payout reference."""
    return withdrawals.list_my_withdrawals(ctx.user_id, query)


@endpoint(bp, "/me/withdrawals/{withdrawal_id}")
def get_my_withdrawal(ctx: RequestContext, withdrawal_id: common.ResourceId) -> models.Withdrawal:
    """One of the caller's withdrawals (anyone else's is 404 NOT_FOUND)."""
    return withdrawals.get_my_withdrawal(ctx.user_id, withdrawal_id)


@endpoint(bp, "/admin/withdrawals", auth=OPERATOR)
def list_withdrawals(ctx: RequestContext, query: models.WithdrawalListQuery) -> common.Page[models.Withdrawal]:
    """Withdrawals by status (default pending), oldest first."""
    return withdrawals.list_withdrawals(query)


@endpoint(bp, "/admin/withdrawals/{withdrawal_id}/approve", methods=("POST",), auth=OPERATOR)
def approve_withdrawal(ctx: RequestContext, withdrawal_id: common.ResourceId) -> models.Withdrawal:
    """Pay a pending withdrawal out (once; any second decision is 409 INVALID_STATE)."""
    return withdrawals.approve_withdrawal(withdrawal_id, ctx.user_id, ctx.now)


@endpoint(bp, "/admin/withdrawals/{withdrawal_id}/reject", methods=("POST",), auth=OPERATOR)
def reject_withdrawal(ctx: RequestContext, withdrawal_id: common.ResourceId,
                      body: models.WithdrawalReject) -> models.Withdrawal:
    """Return a pending withdrawal's amount to the balance (once); the shopper sees the reason."""
    return withdrawals.reject_withdrawal(withdrawal_id, ctx.user_id, ctx.now, body.reason)


@endpoint(bp, "/admin/withdrawals/{withdrawal_id}/paid", methods=("POST",), auth=OPERATOR, idempotent=True)
def withdrawal_paid(ctx: RequestContext, withdrawal_id: common.ResourceId,
                    body: models.WithdrawalPaid) -> models.Withdrawal:
    """Record an approved withdrawal as paid out, with the payout reference (once)."""
    return withdrawals.record_payout(withdrawal_id, body, ctx.user_id, ctx.now, ctx.idempotency)


@endpoint(bp, "/admin/withdrawals/{withdrawal_id}/failed", methods=("POST",), auth=OPERATOR, idempotent=True)
def withdrawal_failed(ctx: RequestContext, withdrawal_id: common.ResourceId,
                      body: models.WithdrawalFailed) -> models.Withdrawal:
    """Record an approved withdrawal's payout as failed: the amount returns to the balance (once)."""
    return withdrawals.record_payout(withdrawal_id, body, ctx.user_id, ctx.now, ctx.idempotency)


@endpoint(bp, "/admin/withdrawals.csv", auth=OPERATOR, produces=("text/csv",))
def export_withdrawals(ctx: RequestContext, query: models.WithdrawalCsvQuery) -> Response:
    """Finance's payout list: every withdrawal of the status (default approved), payee in full."""
    headers: dict[str, str | list[str]] = {"Content-Type": "text/csv; charset=utf-8",
                                           "Content-Disposition": f'attachment; filename="withdrawals-{query.status}.csv"'}
    return Response(body=withdrawals.payout_csv(query.status), status_code=200, headers=headers)


@endpoint(bp, "/templates/{template_id}/redeem-points", methods=("POST",), status=201, idempotent=True)
def redeem_points(ctx: RequestContext, template_id: common.ResourceId) -> coupon_models.Coupon:
    """Take one coupon of a template with a `points_price` for that many points (积分兑换), in one step."""
    return exchange.redeem_points(template_id, ctx.user_id, ctx.now, ctx.idempotency)


def _account_exists(user_id: str) -> None:
    support.require_account(user_id)


@endpoint(bp, "/admin/accounts/{user_id}", auth=OPERATOR, exists=_account_exists)
def get_account_admin(ctx: RequestContext, user_id: common.UserId,
                      query: support_models.AccountQuery) -> support_models.AccountView:
    """A shopper's account, a page of its ledger and a page of its withdrawals (support)."""
    return support.account_view(user_id, query)


@endpoint(bp, "/admin/accounts/{user_id}/adjustments", methods=("POST",), auth=OPERATOR, status=201,
          idempotent=True, exists=_account_exists)
def adjust_account(ctx: RequestContext, user_id: common.UserId,
                   body: support_models.AdjustmentCreate) -> support_models.Adjustment:
    """Add a signed amount to the balance or free points, with a reason: never below 0 (409), audited."""
    return support.adjust(user_id, body, ctx.user_id, ctx.now, ctx.idempotency)


@endpoint(bp, "/rebate-offers", auth=PUBLIC, cache_seconds=30)
def list_offers(ctx: RequestContext) -> offers_models.RebateOffers:
    """The live rebate rules as terms a shopper can read, in the order they share the return cap."""
    return offers.offers(ctx.now)


@endpoint(bp, "/me/orders/{order_id}/rebates")
def get_order_rebates(ctx: RequestContext, order_id: coupon_models.OrderId) -> offers_models.OrderRebates:
    """What the caller's order earned, per payment and rule: granted, limited, clawed back, instalments."""
    return order_rebates.order_rebates(ctx.user_id, order_id)
