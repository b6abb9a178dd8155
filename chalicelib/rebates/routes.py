"""HTTP routes of rebates: operators manage rules and decide withdrawals; shoppers read their
account and ledger and ask for withdrawals. Also the schedule that releases 全返 instalments."""

from __future__ import annotations

from datetime import datetime

from chalice import Blueprint

from chalicelib.clock import to_utc, utcnow
from chalicelib.models import ResourceId
from chalicelib.observability import logger
from chalicelib.rebates import service
from chalicelib.rebates.models import (
    Account, LedgerEntry, Rule, RuleCreate, RuleListQuery, Withdrawal, WithdrawalCreate, WithdrawalListQuery,
)
from chalicelib.web import OPERATOR, Page, PageQuery, RequestContext, endpoint

bp = Blueprint(__name__)


@endpoint(bp, "/admin/rebate-rules", methods=("POST",), auth=OPERATOR, status=201, idempotent=True)
def create_rule(ctx: RequestContext, body: RuleCreate) -> Rule:
    """Create a rebate rule (draft)."""
    return service.create_rule(body, ctx.now, ctx.idempotency)


@endpoint(bp, "/admin/rebate-rules", auth=OPERATOR)
def list_rules(ctx: RequestContext, query: RuleListQuery) -> Page[Rule]:
    """Rebate rules, newest first, optionally by status."""
    return service.list_rules(query)


@endpoint(bp, "/admin/rebate-rules/{rule_id}", auth=OPERATOR)
def get_rule(ctx: RequestContext, rule_id: ResourceId) -> Rule:
    """One rebate rule, with the budget it has used."""
    return service.get_rule(rule_id)


@endpoint(bp, "/admin/rebate-rules/{rule_id}/publish", methods=("POST",), auth=OPERATOR)
def publish_rule(ctx: RequestContext, rule_id: ResourceId) -> Rule:
    """Publish a draft or paused rule: payments made inside its window earn under it."""
    return service.change_rule_status(rule_id, "publish", ctx.now)


@endpoint(bp, "/admin/rebate-rules/{rule_id}/pause", methods=("POST",), auth=OPERATOR)
def pause_rule(ctx: RequestContext, rule_id: ResourceId) -> Rule:
    """Pause a published rule."""
    return service.change_rule_status(rule_id, "pause", ctx.now)


@endpoint(bp, "/admin/rebate-rules/{rule_id}/end", methods=("POST",), auth=OPERATOR)
def end_rule(ctx: RequestContext, rule_id: ResourceId) -> Rule:
    """End a published or paused rule for good."""
    return service.change_rule_status(rule_id, "end", ctx.now)


@endpoint(bp, "/me/account")
def get_account(ctx: RequestContext) -> Account:
    """The caller's balance, frozen amount, points, debts and pending instalments."""
    return service.get_account(ctx.user_id)


@endpoint(bp, "/me/rebates")
def list_ledger(ctx: RequestContext, query: PageQuery) -> Page[LedgerEntry]:
    """The caller's ledger, newest first."""
    return service.list_ledger(ctx.user_id, query)


@endpoint(bp, "/me/withdrawals", methods=("POST",), status=201, idempotent=True)
def request_withdrawal(ctx: RequestContext, body: WithdrawalCreate) -> Withdrawal:
    """Ask to withdraw: the amount moves from balance to frozen (409 INSUFFICIENT_BALANCE)."""
    return service.request_withdrawal(ctx.user_id, body, ctx.now, ctx.idempotency)


@endpoint(bp, "/admin/withdrawals", auth=OPERATOR)
def list_withdrawals(ctx: RequestContext, query: WithdrawalListQuery) -> Page[Withdrawal]:
    """Withdrawals by status (default pending), oldest first."""
    return service.list_withdrawals(query)


@endpoint(bp, "/admin/withdrawals/{withdrawal_id}/approve", methods=("POST",), auth=OPERATOR)
def approve_withdrawal(ctx: RequestContext, withdrawal_id: ResourceId) -> Withdrawal:
    """Pay a pending withdrawal out (once; any second decision is 409 INVALID_STATE)."""
    return service.approve_withdrawal(withdrawal_id, ctx.user_id, ctx.now)


@endpoint(bp, "/admin/withdrawals/{withdrawal_id}/reject", methods=("POST",), auth=OPERATOR)
def reject_withdrawal(ctx: RequestContext, withdrawal_id: ResourceId) -> Withdrawal:
    """Return a pending withdrawal's amount to the balance (once)."""
    return service.reject_withdrawal(withdrawal_id, ctx.user_id, ctx.now)


@bp.schedule("rate(1 hour)")
def release_instalments(event) -> None:
    """Release the 全返 instalments that are due, as of the scheduled time (a re-run is harmless)."""
    from chalicelib.rebates import settlement  # loaded by the functions that settle only (cold start)

    now = _event_time(event.time) or utcnow()
    logger.info("instalments released", extra={"released": settlement.release_due(now), "as_of": now.isoformat()})


def _event_time(text: str | None) -> datetime | None:
    """EventBridge's `time` (UTC, `Z`), so a re-delivered firing decides as the first did."""
    try:
        return to_utc(datetime.fromisoformat(text)) if text else None
    except ValueError:
        return None
