"""GET /admin/templates/{id}/stats: claims and redemptions per hour, counted exactly in each
claim's and redemption's transaction (chalice.test.Client and the service with a fixed clock,
in-process moto)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.coupons import checkout, issuing, minting, redemption, templates
from chalicelib.coupons.models import CodeListQuery, TemplateStatsQuery
from chalicelib.errors import SoldOut
from tests.checkout_helpers import NOW, create_template, lock_request
from tests.helpers import iso


def stats(template_id, start=None, end=None, now=NOW):
    return templates.template_stats(template_id, TemplateStatsQuery(start=start, end=end), now)


def by_hour(report):
    return {h.hour: h.claimed for h in report.hours if h.claimed}


@pytest.mark.parametrize("shards", [1, 4])
def test_claims_are_counted_in_the_hour_they_happen(aws, shards):
    template = create_template(total_stock=20, stock_shards=shards)
    for minutes, user in [(-70, "a"), (-50, "b"), (-10, "c"), (5, "d")]:
        issuing.claim(template.id, user, NOW + timedelta(minutes=minutes), None)
    report = stats(template.id, NOW - timedelta(hours=3), NOW)
    assert by_hour(report) == {NOW - timedelta(hours=2): 1, NOW - timedelta(hours=1): 2, NOW: 1}
    assert (report.template_id, report.claimed, report.redeemed) == (template.id, 4, 0)
    assert [h.hour for h in report.hours] == [NOW - timedelta(hours=h) for h in (3, 2, 1, 0)]


def test_grants_and_code_claims_count_too_so_the_hours_add_up_to_claimed(aws):
    template = create_template(total_stock=20, stock_shards=3, claim_channel="code")
    batch = minting.mint_codes(template.id, 2, None, NOW)
    codes = [c.code for c in minting.list_codes(template.id, CodeListQuery(batch=batch.id)).items]
    for i, code in enumerate(codes):
        issuing.claim_code(code, f"coder{i}", NOW, None)
    redemption.grant_one(template.id, "granted", NOW + timedelta(hours=1), "ref-1")
    report = stats(template.id, NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    assert by_hour(report) == {NOW: 2, NOW + timedelta(hours=1): 1}
    assert sum(h.claimed for h in report.hours) == report.claimed == 3


def test_a_refused_claim_counts_nothing(aws):
    template = create_template(total_stock=1, stock_shards=1)
    issuing.claim(template.id, "a", NOW, None)
    with pytest.raises(SoldOut):
        issuing.claim(template.id, "b", NOW, None)
    assert by_hour(stats(template.id)) == {NOW: 1}


def redeemed_by_hour(report):
    return {h.hour: h.redeemed for h in report.hours if h.redeemed}


@pytest.mark.parametrize("shards", [1, 3])
def test_redemptions_count_in_their_hour_and_a_refund_counts_them_out_of_it(aws, shards):
    template = create_template(total_stock=20, stock_shards=shards, per_user_limit=5)
    paid = {}
    for i, minutes in enumerate([-70, -10, 5]):
        coupon = issuing.claim(template.id, "alice", NOW - timedelta(hours=3), None)
        checkout.lock_coupon("alice", coupon.id, lock_request(f"order-{i}"), NOW - timedelta(hours=3))
        [used] = redemption.redeem_order("alice", f"order-{i}", [coupon.id], f"pay-{i}", NOW + timedelta(minutes=minutes))
        paid[i] = used
    window = (NOW - timedelta(hours=3), NOW + timedelta(hours=1))
    assert redeemed_by_hour(stats(template.id, *window)) == {NOW - timedelta(hours=2): 1, NOW - timedelta(hours=1): 1,
                                                             NOW: 1}
    # the payment of the second is refunded two hours later: its coupon leaves the hour it was used in
    [back] = redemption.restore_order("alice", "pay-1", NOW + timedelta(hours=1))
    assert back.id == paid[1].id and back.status == "unused"
    assert redemption.restore_order("alice", "pay-1", NOW + timedelta(hours=1)) == [back]  # a redelivery: once
    report = stats(template.id, *window)
    assert redeemed_by_hour(report) == {NOW - timedelta(hours=2): 1, NOW: 1}
    assert sum(h.redeemed for h in report.hours) == report.redeemed == 2
    assert by_hour(report) == {NOW - timedelta(hours=3): 3}  # claims are their own count


def test_stats_over_http_default_to_the_last_48_hours(api):
    template = api.published_template(total_stock=5, per_user_limit=2)
    for _ in range(2):
        api.post(f"/templates/{template['id']}/claim")
    status, body = api.get(f"/admin/templates/{template['id']}/stats", operator=True)
    assert status == 200, body
    assert (body["template_id"], body["claimed"], body["redeemed"]) == (template["id"], 2, 0)
    assert len(body["hours"]) == 48
    assert body["hours"][-1]["claimed"] == 2 and sum(h["claimed"] for h in body["hours"]) == 2
    assert body["hours"][-1]["hour"].endswith(":00:00Z")


def test_stats_over_http_take_from_and_to(api):
    template = api.published_template()
    api.post(f"/templates/{template['id']}/claim")
    _, body = api.get(f"/admin/templates/{template['id']}/stats", operator=True)
    this_hour = body["hours"][-1]["hour"]
    status, body = api.get(f"/admin/templates/{template['id']}/stats?from={this_hour}&to={this_hour}", operator=True)
    assert status == 200, body
    assert body["hours"] == [{"hour": this_hour, "claimed": 1, "redeemed": 0}]


@pytest.mark.parametrize("query", ["from=2026-11-23T10:00:00Z&to=2026-11-23T09:00:00Z",
                                   "from=2026-01-01T00:00:00Z&to=2026-11-23T00:00:00Z", "from=yesterday"])
def test_a_bad_range_is_a_validation_error(api, query):
    template = api.published_template()
    status, body = api.get(f"/admin/templates/{template['id']}/stats?{query}", operator=True)
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR"), body


def test_stats_are_for_operators_and_existing_templates(api):
    template = api.published_template()
    assert api.get(f"/admin/templates/{template['id']}/stats")[0] == 403
    status, body = api.get(f"/admin/templates/01ARZ3NDEKTSV4RRFFQ69G5FAV/stats?to={iso(NOW)}", operator=True)
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")
