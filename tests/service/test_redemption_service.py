"""The operations the payment flow calls: redeem_order, restore_order, grant_one, revoke_coupon
(service with an explicit clock, moto)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.coupons import checkout, issuing, redemption, templates, wallet as coupon_wallet
from chalicelib.coupons.models import CouponListQuery
from chalicelib.errors import LimitReached, NotClaimable, NotFound, SoldOut
from tests.checkout_helpers import NOW, create_template, give, lock_request

LATER = NOW + timedelta(minutes=15)


def redeemed(template_id):
    return templates.get_template(template_id).redeemed


def wallet(user="alice", status=None, now=NOW):
    return coupon_wallet.list_coupons(user, CouponListQuery(status=status, limit=100), now).items


# --- redeem_order -----------------------------------------------------------------------------------

def test_redeem_uses_the_locked_coupon_and_counts_it_on_the_template(aws):
    coupon = give()
    checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW)
    used = redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", NOW + timedelta(minutes=1))
    assert [(c.id, c.status, c.order_id, c.payment_id) for c in used] == [(coupon.id, "used", "order-1", "pay-1")]
    assert used[0].used_at == NOW + timedelta(minutes=1)
    assert redeemed(coupon.template_id) == 1


def test_a_redelivered_payment_changes_nothing_and_returns_the_same_coupons(aws):
    coupon = give()
    checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW)
    first = redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", NOW)
    again = redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", NOW + timedelta(hours=1))
    assert again == first
    assert redeemed(coupon.template_id) == 1


def test_a_coupon_whose_lock_lapsed_is_used_anyway(aws):
    coupon = give()
    checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW)
    used = redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", LATER + timedelta(hours=1))
    assert [c.status for c in used] == ["used"]


def test_a_coupon_locked_by_this_order_is_used_even_after_its_validity(aws):
    coupon = give(validity={"days_after_claim": 1})
    checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW + timedelta(hours=23, minutes=55))
    used = redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", NOW + timedelta(days=1, minutes=1))
    assert [c.status for c in used] == ["used"]


def test_an_unlocked_valid_coupon_is_used_for_the_paid_order(aws):
    coupon = give()
    assert [c.status for c in redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", NOW)] == ["used"]


def test_a_coupon_used_by_another_payment_is_left_alone_and_omitted(aws):
    coupon = give()
    redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", NOW)
    assert redemption.redeem_order("alice", "order-2", [coupon.id], "pay-2", NOW) == []
    assert coupon_wallet.get_coupon("alice", coupon.id, NOW).payment_id == "pay-1"
    assert redeemed(coupon.template_id) == 1


def test_a_coupon_under_a_live_lock_of_another_order_is_left_to_that_order(aws):
    coupon = give()
    checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW)
    checkout.lock_coupon("alice", coupon.id, lock_request("order-2"), LATER)  # took over
    assert redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", LATER + timedelta(minutes=1)) == []
    assert coupon_wallet.get_coupon("alice", coupon.id, LATER).order_id == "order-2"


def test_an_expired_unlocked_coupon_is_not_used(aws):
    coupon = give(validity={"days_after_claim": 1})
    assert redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", NOW + timedelta(days=1)) == []
    assert redeemed(coupon.template_id) == 0


def test_unknown_and_other_users_coupons_are_omitted_and_the_rest_is_used(aws):
    mine, bobs = give(), give("bob")
    used = redemption.redeem_order("alice", "order-1", ["01ARZ3NDEKTSV4RRFFQ69G5FAV", bobs.id, mine.id], "pay-1", NOW)
    assert [c.id for c in used] == [mine.id]
    assert coupon_wallet.get_coupon("bob", bobs.id, NOW).status == "unused"


def test_a_revoked_coupon_is_not_used(aws):
    coupon = give()
    checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW)
    redemption.revoke_coupon("alice", coupon.id, NOW)
    assert redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", NOW) == []


# --- restore_order ----------------------------------------------------------------------------------

def test_a_refund_gives_a_valid_coupon_back_and_uncounts_it(aws):
    coupon = give()
    redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", NOW)
    restored = redemption.restore_order("alice", "pay-1", NOW + timedelta(days=1))
    assert [(c.id, c.status, c.order_id, c.payment_id) for c in restored] == [(coupon.id, "unused", None, None)]
    assert redeemed(coupon.template_id) == 0
    assert [c.id for c in wallet(status="unused", now=NOW + timedelta(days=1))] == [coupon.id]


def test_a_redelivered_refund_restores_once_and_reports_the_same(aws):
    coupon = give()
    redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", NOW)
    first = redemption.restore_order("alice", "pay-1", NOW)
    assert redemption.restore_order("alice", "pay-1", NOW) == first
    assert redeemed(coupon.template_id) == 0


def test_a_refund_after_the_validity_leaves_the_coupon_used(aws):
    coupon = give(validity={"days_after_claim": 1})
    redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", NOW)
    assert redemption.restore_order("alice", "pay-1", NOW + timedelta(days=2)) == []
    assert coupon_wallet.get_coupon("alice", coupon.id, NOW + timedelta(days=2)).status == "used"
    assert redeemed(coupon.template_id) == 1


def test_a_refund_of_an_unknown_payment_restores_nothing(aws):
    assert redemption.restore_order("alice", "pay-unknown", NOW) == []


def test_a_late_refund_of_an_old_payment_does_not_touch_the_coupons_next_use(aws):
    coupon = give()
    redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", NOW)
    redemption.restore_order("alice", "pay-1", NOW)
    redemption.redeem_order("alice", "order-2", [coupon.id], "pay-2", NOW)
    assert redemption.restore_order("alice", "pay-1", NOW) == []
    assert coupon_wallet.get_coupon("alice", coupon.id, NOW).payment_id == "pay-2"
    assert redeemed(coupon.template_id) == 1


# --- grant_one ----------------------------------------------------------------------------------------

def test_grant_issues_an_unused_coupon_counted_as_claimed(aws):
    template = create_template(total_stock=3)
    coupon = redemption.grant_one(template.id, "alice", NOW, "reward:pay-1:rule-1")
    assert (coupon.template_id, coupon.status, coupon.valid_from) == (template.id, "unused", NOW)
    assert templates.get_template(template.id).claimed == 1
    assert [c.id for c in wallet()] == [coupon.id]


def test_a_retried_grant_with_a_later_clock_returns_the_first_coupon(aws):
    template = create_template(total_stock=3)
    first = redemption.grant_one(template.id, "alice", NOW, "ref-1")
    again = redemption.grant_one(template.id, "alice", NOW + timedelta(hours=2), "ref-1")
    assert again == first
    assert templates.get_template(template.id).claimed == 1


def test_a_retried_grant_that_took_the_last_unit_still_returns_its_coupon(aws):
    template = create_template(total_stock=1)
    first = redemption.grant_one(template.id, "alice", NOW, "ref-1")
    assert redemption.grant_one(template.id, "alice", NOW, "ref-1") == first


def test_grants_ignore_the_claim_window_start_and_a_paused_or_draft_template(aws):
    not_yet = create_template(claim_starts_at=NOW + timedelta(days=8), claim_ends_at=NOW + timedelta(days=9))
    draft = create_template(publish=False)
    paused = create_template()
    templates.change_template_status(paused.id, "pause", NOW)
    assert redemption.grant_one(not_yet.id, "alice", NOW, "a").status == "unused"
    assert redemption.grant_one(draft.id, "alice", NOW, "b").status == "unused"
    assert redemption.grant_one(paused.id, "alice", NOW, "c").status == "unused"


def test_grant_refuses_a_template_past_its_claim_window_as_ended(aws):
    template = create_template(claim_ends_at=NOW + timedelta(hours=1))
    later = NOW + timedelta(hours=1)
    assert templates.get_template(template.id, later).status == "ended"
    with pytest.raises(NotClaimable):
        redemption.grant_one(template.id, "alice", later, "ref-1")
    assert templates.get_template(template.id).claimed == 0


def test_grant_refuses_an_ended_template(aws):
    template = create_template()
    templates.change_template_status(template.id, "end", NOW)
    with pytest.raises(NotClaimable):
        redemption.grant_one(template.id, "alice", NOW, "ref-1")
    assert templates.get_template(template.id).claimed == 0


def test_grant_respects_stock(aws):
    template = create_template(total_stock=1)
    redemption.grant_one(template.id, "alice", NOW, "ref-1")
    with pytest.raises(SoldOut):
        redemption.grant_one(template.id, "bob", NOW, "ref-2")


def test_grant_respects_the_per_user_limit_shared_with_claims(aws):
    template = create_template(per_user_limit=1)
    issuing.claim(template.id, "alice", NOW, None)
    with pytest.raises(LimitReached):
        redemption.grant_one(template.id, "alice", NOW, "ref-1")


def test_grant_of_an_unknown_template_is_not_found(aws):
    with pytest.raises(NotFound):
        redemption.grant_one("01ARZ3NDEKTSV4RRFFQ69G5FAV", "alice", NOW, "ref-1")


# --- revoke_coupon --------------------------------------------------------------------------------------

def test_revoke_turns_an_unused_coupon_revoked_and_lists_it_so(aws):
    coupon = give()
    assert redemption.revoke_coupon("alice", coupon.id, NOW) is True
    assert [(c.id, c.status) for c in wallet(status="revoked")] == [(coupon.id, "revoked")]
    assert wallet(status="unused") == []


def test_revoke_is_idempotent(aws):
    coupon = give()
    redemption.revoke_coupon("alice", coupon.id, NOW)
    assert redemption.revoke_coupon("alice", coupon.id, NOW) is True


def test_revoke_of_a_used_coupon_returns_false_and_changes_nothing(aws):
    coupon = give()
    redemption.redeem_order("alice", "order-1", [coupon.id], "pay-1", NOW)
    assert redemption.revoke_coupon("alice", coupon.id, NOW) is False
    assert coupon_wallet.get_coupon("alice", coupon.id, NOW).status == "used"


def test_revoke_of_a_locked_coupon_frees_it_from_the_order(aws):
    coupon = give()
    checkout.lock_coupon("alice", coupon.id, lock_request("order-1"), NOW)
    assert redemption.revoke_coupon("alice", coupon.id, NOW) is True
    assert coupon_wallet.get_coupon("alice", coupon.id, NOW).order_id is None


def test_revoke_of_an_unknown_coupon_is_not_found(aws):
    with pytest.raises(NotFound):
        redemption.revoke_coupon("alice", "01ARZ3NDEKTSV4RRFFQ69G5FAV", NOW)
