"""Helpers of the race tests over real HTTP (`race_api`): a template published through the API,
and its counters, a shopper's wallet and the hourly claim stats read back through it."""

from __future__ import annotations

import requests

from tests.helpers import headers_for, session, template_body


def published(base, **overrides):
    http = session()
    created = http.post(f"{base}/admin/templates", json=template_body(**overrides),
                        headers=headers_for("ops", operator=True)).json()
    http.post(f"{base}/admin/templates/{created['id']}/publish", headers=headers_for("ops", operator=True))
    return created["id"]


def counters(base, template_id):
    body = requests.get(f"{base}/admin/templates/{template_id}", headers=headers_for("ops", operator=True)).json()
    return body["claimed"], body["remaining"]


def wallet_size(base, user):
    return len(requests.get(f"{base}/me/coupons?limit=100", headers=headers_for(user)).json()["items"])


def hourly_total(base, template_id):
    body = requests.get(f"{base}/admin/templates/{template_id}/stats", headers=headers_for("ops", operator=True)).json()
    return sum(hour["claimed"] for hour in body["hours"])
