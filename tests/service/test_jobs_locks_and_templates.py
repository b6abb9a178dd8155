"""The lock release job and the end-templates job (issue 5): each with injected `now`, re-runs
that change nothing, and races against the shopper's writes they could collide with."""

from __future__ import annotations

from datetime import timedelta

from chalicelib import dynamo
from chalicelib.coupons import checkout, keys, redemption, templates, wallet
from chalicelib.coupons.models import HoldRequest
from chalicelib.jobs import registry as jobs
from chalicelib.jobs.budget import Unlimited
from chalicelib.settings import get_settings
from tests.checkout_helpers import NOW, card, create_template, give, lock_request, race
from tests.helpers import template_body

LOCK = timedelta(seconds=get_settings().lock_ttl_seconds)


def run(job, now):
    return jobs.run(job, now, Unlimited())


def stored(coupon_id, user="alice"):
    return dynamo.get(keys.coupon(user, coupon_id), consistent=True)


def hold_item(card_id, order_id, user="alice"):
    return dynamo.get(keys.card_hold(user, card_id, order_id), consistent=True)


# --- lock release -----------------------------------------------------------------------------

def test_a_lock_is_listed_while_it_holds_and_released_once_it_lapses(aws):
    coupon = give()
    checkout.lock_coupon("alice", coupon.id, lock_request("o-1"), NOW)
    item = stored(coupon.id)
    assert item["GSI1PK"].startswith("LOCKS#") and item["GSI1SK"].startswith(item["lock_expires_at"])
    assert "GSI2PK" not in item  # a locked coupon is not due for expiry

    early = run("release-locks", NOW + LOCK - timedelta(seconds=1))
    assert (early.read, early.changed) == (0, 0)
    report = run("release-locks", NOW + LOCK)
    assert (report.read, report.changed, report.skipped, report.finished) == (1, 1, 0, True)
    item = stored(coupon.id)
    assert item["status"] == "unused" and "order_id" not in item and "GSI1PK" not in item
    assert item["GSI2SK"] == item["expiry_sk"]  # listed for expiry again
    assert run("release-locks", NOW + LOCK).read == 0


def test_unlock_and_payment_take_the_lock_out_of_the_index(aws):
    unlocked, paid = give(), give()
    checkout.lock_coupon("alice", unlocked.id, lock_request("o-1"), NOW)
    checkout.lock_coupon("alice", paid.id, lock_request("o-2"), NOW)
    checkout.unlock_coupon("alice", unlocked.id, "o-1", NOW)
    redemption.redeem_order("alice", "o-2", [paid.id], "p-2", NOW)
    assert "GSI1PK" not in stored(unlocked.id) and "GSI1PK" not in stored(paid.id)
    assert run("release-locks", NOW + 2 * LOCK).read == 0
    assert stored(paid.id)["status"] == "used"


def test_a_lapsed_card_hold_goes_back_to_the_balance_once(aws):
    gift = card(value=5000)
    checkout.hold_card("alice", gift.id, HoldRequest(order_id="o-1", amount=1200), NOW)
    assert hold_item(gift.id, "o-1")["GSI1PK"].startswith("LOCKS#")
    report = run("release-locks", NOW + LOCK)
    assert report.changed == 1
    assert hold_item(gift.id, "o-1")["status"] == "released" and "GSI1PK" not in hold_item(gift.id, "o-1")
    assert (stored(gift.id)["balance"], stored(gift.id)["held"]) == (5000, 0)
    assert run("release-locks", NOW + LOCK).read == 0
    assert [e.type for e in wallet.card_history("alice", gift.id, _page()).items] == ["release", "hold", "issue"]  # newest first


def _page():
    from chalicelib.models import PageQuery

    return PageQuery(limit=50)


def test_release_sweeps_racing_each_other_and_late_payments_release_each_hold_at_most_once(race_aws):
    """Four runs of the job at once (a redelivered schedule, an operator's CLI run) and the
    orders paying late: every hold ends spent or released, never both, and each card's
    balance + held + spent equals its value."""
    cards = [card(value=3000) for _ in range(6)]
    for gift in cards:
        checkout.hold_card("alice", gift.id, HoldRequest(order_id=f"o-{gift.id}", amount=1000), NOW)
    late = NOW + LOCK + timedelta(seconds=5)
    payers = [lambda g=g: redemption.redeem_order("alice", f"o-{g.id}", [g.id], f"p-{g.id}", late) for g in cards[::2]]
    sweeps = [lambda: run("release-locks", late) for _ in range(4)]
    outcomes = race(payers + sweeps)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(report.changed for report in outcomes[len(payers):]) <= len(cards)
    for gift in cards:
        held = hold_item(gift.id, f"o-{gift.id}")
        item = stored(gift.id)
        spent = 1000 if held["status"] == "spent" else 0
        assert held["status"] in ("spent", "released")
        assert item["balance"] + item["held"] + spent == 3000, (held, item)
        assert item["held"] == 0
    assert run("release-locks", late).read == 0


# --- templates past their claim window --------------------------------------------------------

def test_a_template_past_its_claim_window_shows_as_ended_refuses_claims_and_is_stored_ended(api):
    from datetime import datetime, timezone

    from chalicelib.clock import iso

    now = datetime.now(timezone.utc)
    status, created = api.post("/admin/templates", template_body(claim_ends_at=iso(now + timedelta(minutes=5))),
                               operator=True)
    assert status == 201
    tid = created["id"]
    assert api.post(f"/admin/templates/{tid}/publish", operator=True)[0] == 200
    ended_at = now + timedelta(minutes=5)

    template = templates.get_template(tid, ended_at)
    assert template.status == "ended" and templates.get_template(tid).status == "published"
    listing = templates.list_templates(_templates_query("ended"), ended_at).items
    assert [t.id for t in listing] == [tid]
    assert templates.list_templates(_templates_query("published"), ended_at).items == []

    report = run("end-templates", ended_at)
    assert (report.read, report.changed) == (1, 1)
    stored_template = dynamo.get(keys.template(tid), consistent=True)
    assert stored_template["status"] == "ended" and "GSI2PK" not in stored_template
    assert run("end-templates", ended_at).read == 0


def _templates_query(status):
    from chalicelib.coupons.models import TemplateListQuery

    return TemplateListQuery(status=status)


def test_a_template_past_its_window_can_only_be_ended(aws):
    from chalicelib.errors import InvalidState

    template = create_template(claim_ends_at=NOW + timedelta(hours=1))
    later = NOW + timedelta(hours=1)
    for action in ("pause",):
        try:
            templates.change_template_status(template.id, action, later)
        except InvalidState as exc:
            assert "claim window is over" in exc.message
        else:
            raise AssertionError(f"{action} after the window was allowed")
    assert templates.change_template_status(template.id, "end", later).status == "ended"


def test_end_templates_leaves_open_and_operator_ended_templates_alone(aws):
    open_one = create_template(claim_ends_at=NOW + timedelta(days=2))
    closing = create_template(claim_ends_at=NOW + timedelta(hours=1))
    templates.change_template_status(closing.id, "end", NOW)
    report = run("end-templates", NOW + timedelta(days=1))
    assert (report.read, report.changed) == (0, 0)
    assert templates.get_template(open_one.id).status == "published"
