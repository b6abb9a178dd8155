"""Shoppers claim coupons and read their wallet (chalice.test.Client, moto)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.helpers import iso, template_body


def claim(api, template_id, user="alice", **kw):
    return api.post(f"/templates/{template_id}/claim", user=user, **kw)


def test_claim_returns_an_unused_coupon_valid_days_after_claim(api):
    template = api.published_template(validity={"days_after_claim": 7})
    status, coupon = claim(api, template["id"])
    assert status == 201, coupon
    assert coupon["template_id"] == template["id"]
    assert (coupon["kind"], coupon["value"], coupon["min_spend"], coupon["status"]) == ("amount_off", 1000, 10000, "unused")
    valid_from = datetime.fromisoformat(coupon["valid_from"])
    valid_until = datetime.fromisoformat(coupon["valid_until"])
    assert valid_until - valid_from == timedelta(days=7)
    assert abs(valid_from - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_claim_with_fixed_validity_copies_the_window(api):
    validity = {"fixed": {"from": "2026-01-01T00:00:00Z", "until": "2099-01-01T00:00:00Z"}}
    template = api.published_template(validity=validity)
    _, coupon = claim(api, template["id"])
    assert (coupon["valid_from"], coupon["valid_until"]) == ("2026-01-01T00:00:00Z", "2099-01-01T00:00:00Z")


def test_claim_updates_the_template_counters(api):
    template = api.published_template(total_stock=3)
    claim(api, template["id"], user="alice")
    claim(api, template["id"], user="bob")
    _, fetched = api.get(f"/admin/templates/{template['id']}", operator=True)
    assert (fetched["claimed"], fetched["remaining"]) == (2, 1)


def test_sold_out_when_stock_is_gone(api):
    template = api.published_template(total_stock=1)
    assert claim(api, template["id"], user="alice")[0] == 201
    status, body = claim(api, template["id"], user="bob")
    assert (status, body["error"]["code"]) == (409, "SOLD_OUT")


def test_limit_reached_after_per_user_limit(api):
    template = api.published_template(per_user_limit=2)
    assert claim(api, template["id"])[0] == 201
    assert claim(api, template["id"])[0] == 201
    status, body = claim(api, template["id"])
    assert (status, body["error"]["code"]) == (409, "LIMIT_REACHED")
    _, fetched = api.get(f"/admin/templates/{template['id']}", operator=True)
    assert fetched["claimed"] == 2


def test_draft_paused_and_ended_templates_are_not_claimable(api):
    _, draft = api.post("/admin/templates", template_body(), operator=True)
    assert claim(api, draft["id"])[1]["error"]["code"] == "NOT_CLAIMABLE"
    paused = api.published_template()
    api.post(f"/admin/templates/{paused['id']}/pause", operator=True)
    assert claim(api, paused["id"])[1]["error"]["code"] == "NOT_CLAIMABLE"
    ended = api.published_template()
    api.post(f"/admin/templates/{ended['id']}/end", operator=True)
    status, body = claim(api, ended["id"])
    assert (status, body["error"]["code"]) == (409, "NOT_CLAIMABLE")


def test_outside_the_claim_window_is_not_claimable(api, monkeypatch):
    now = datetime.now(timezone.utc)
    future = api.published_template(claim_starts_at=iso(now + timedelta(hours=1)),
                                    claim_ends_at=iso(now + timedelta(hours=2)))
    closing = api.published_template(claim_starts_at=iso(now - timedelta(hours=2)),
                                     claim_ends_at=iso(now + timedelta(hours=1)))
    status, body = claim(api, future["id"])
    assert (status, body["error"]["code"]) == (409, "NOT_CLAIMABLE")

    later = now.replace(microsecond=0) + timedelta(hours=1)  # the closing one's window is over
    monkeypatch.setattr("chalicelib.web.utcnow", lambda: later)
    status, body = claim(api, closing["id"])
    assert (status, body["error"]["code"]) == (409, "NOT_CLAIMABLE")
    _, fetched = api.get(f"/admin/templates/{closing['id']}", operator=True)
    assert (fetched["status"], fetched["claimed"]) == ("ended", 0)  # shown as ended at once
    status, body = api.post(f"/admin/templates/{closing['id']}/pause", operator=True)
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")


def test_claim_of_unknown_template_is_404(api):
    status, body = claim(api, "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")


def test_same_idempotency_key_returns_the_first_coupon_and_claims_once(api):
    template = api.published_template(per_user_limit=5)
    first = claim(api, template["id"], headers={"Idempotency-Key": "k-1"})
    again = claim(api, template["id"], headers={"Idempotency-Key": "k-1"})
    assert first[0] == again[0] == 201
    assert first[1] == again[1]
    _, wallet = api.get("/me/coupons")
    assert len(wallet["items"]) == 1


def test_same_idempotency_key_for_another_request_is_a_mismatch(api):
    one, other = api.published_template(), api.published_template()
    claim(api, one["id"], headers={"Idempotency-Key": "k-2"})
    status, body = claim(api, other["id"], headers={"Idempotency-Key": "k-2"})
    assert (status, body["error"]["code"]) == (409, "IDEMPOTENCY_MISMATCH")
    _, fetched = api.get(f"/admin/templates/{other['id']}", operator=True)
    assert fetched["claimed"] == 0


def test_idempotency_keys_belong_to_their_user(api):
    template = api.published_template(total_stock=5)
    assert claim(api, template["id"], user="alice", headers={"Idempotency-Key": "same"})[0] == 201
    status, coupon = claim(api, template["id"], user="bob", headers={"Idempotency-Key": "same"})
    assert status == 201
    _, fetched = api.get(f"/admin/templates/{template['id']}", operator=True)
    assert fetched["claimed"] == 2


def test_a_refusal_is_replayed_for_the_same_key(api):
    template = api.published_template(total_stock=1)
    claim(api, template["id"], user="bob")
    first = claim(api, template["id"], headers={"Idempotency-Key": "k-3"})
    assert first[1]["error"]["code"] == "SOLD_OUT"
    assert claim(api, template["id"], headers={"Idempotency-Key": "k-3"}) == first


def test_wallet_lists_own_coupons_newest_first_and_paginates(api):
    templates = [api.published_template(name=f"t{i}") for i in range(3)]
    ids = [claim(api, t["id"])[1]["id"] for t in templates]
    claim(api, templates[0]["id"], user="bob")
    _, page = api.get("/me/coupons?limit=2")
    assert [c["id"] for c in page["items"]] == ids[::-1][:2]
    _, rest = api.get(f"/me/coupons?limit=2&cursor={page['next_cursor']}")
    assert [c["id"] for c in rest["items"]] == ids[:1]
    assert rest["next_cursor"] is None


def test_wallet_filters_by_status(api):
    template = api.published_template()
    claim(api, template["id"])
    assert len(api.get("/me/coupons?status=unused")[1]["items"]) == 1
    assert api.get("/me/coupons?status=used")[1]["items"] == []


def test_wallet_shows_a_coupon_past_validity_as_expired(api):
    """Given a coupon valid for one day, when the wallet is read two days later (the service
    takes `now`), then it is expired before any sweep has stored it so."""
    from chalicelib.coupons import wallet
    from chalicelib.coupons.models import CouponListQuery

    template = api.published_template(validity={"days_after_claim": 1})
    claim(api, template["id"])
    later = datetime.now(timezone.utc) + timedelta(days=2)
    unused = wallet.list_coupons("alice", CouponListQuery(status="unused"), later)
    expired = wallet.list_coupons("alice", CouponListQuery(status="expired"), later)
    assert unused.items == []
    assert [c.status for c in expired.items] == ["expired"]
    assert [c["status"] for c in api.get("/me/coupons?status=unused")[1]["items"]] == ["unused"]


def test_another_users_cursor_is_refused(api):
    template = api.published_template(per_user_limit=3)
    for _ in range(3):
        claim(api, template["id"], user="alice")
    _, page = api.get("/me/coupons?limit=1", user="alice")
    status, body = api.get(f"/me/coupons?limit=1&cursor={page['next_cursor']}", user="bob")
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")


def test_claimable_list_shows_open_templates_with_my_count(api):
    open_one = api.published_template(per_user_limit=2)
    full = api.published_template(per_user_limit=1)
    api.post("/admin/templates", template_body(), operator=True)  # a draft
    claim(api, open_one["id"])
    claim(api, full["id"])
    status, body = api.get("/templates")
    assert status == 200
    assert [(t["id"], t["claimed_by_me"]) for t in body["items"]] == [(open_one["id"], 1)]


# --- the claimable template kept for a second (coupons.issuing._template_to_claim) -----------

def test_claims_of_a_claimable_template_read_it_once_a_second(api, monkeypatch):
    from chalicelib.coupons import issuing, templates_store

    monkeypatch.setattr(issuing, "CLAIMABLE_TEMPLATE_SECONDS", 60.0)  # a slow machine must not expire it
    template = api.published_template(total_stock=10)
    reads = []
    real_read = templates_store.get_template
    monkeypatch.setattr(templates_store, "get_template", lambda *a, **kw: reads.append(a) or real_read(*a, **kw))

    statuses = [claim(api, template["id"], user=f"u{i}")[0] for i in range(5)]

    assert statuses == [201] * 5
    assert len(reads) == 1


def test_a_kept_copy_never_outlives_a_pause_or_the_sell_out(api):
    template = api.published_template(total_stock=2)
    assert claim(api, template["id"], user="alice")[0] == 201  # the copy is kept
    api.post(f"/admin/templates/{template['id']}/pause", operator=True)

    status, body = claim(api, template["id"], user="bob")  # the transaction refuses the copy

    assert (status, body["error"]["code"]) == (409, "NOT_CLAIMABLE")
    assert "paused" in body["error"]["message"]
    api.post(f"/admin/templates/{template['id']}/publish", operator=True)
    assert claim(api, template["id"], user="bob")[0] == 201
    status, body = claim(api, template["id"], user="carol")
    assert (status, body["error"]["code"]) == (409, "SOLD_OUT")
    _, fetched = api.get(f"/admin/templates/{template['id']}", operator=True)
    assert (fetched["claimed"], fetched["remaining"]) == (2, 0)


def test_a_refusal_read_is_never_kept_so_a_publish_opens_claims_at_once(api):
    _, draft = api.post("/admin/templates", template_body(), operator=True)
    assert claim(api, draft["id"])[1]["error"]["code"] == "NOT_CLAIMABLE"

    api.post(f"/admin/templates/{draft['id']}/publish", operator=True)

    assert claim(api, draft["id"])[0] == 201
