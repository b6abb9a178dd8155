"""Racing changes under /admin, over real HTTP against the serialized moto server and DynamoDB
Local (`race_api`): every change that commits writes exactly one audit entry, and each entry's
`before` is the state the change really moved from."""

from __future__ import annotations

from collections import Counter

import requests

from chalicelib.rebates import settlement
from tests.helpers import fire, headers_for, template_body
from tests.payment_helpers import NOW, live_rule, payment_event


def audit(base, **query):
    auditor = headers_for("ada", roles=("auditor",))
    found, cursor = [], None
    while True:
        params = {**query, "limit": 100, **({"cursor": cursor} if cursor else {})}
        page = requests.get(f"{base}/admin/audit", params=params, headers=auditor, timeout=30).json()
        found += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found[::-1]  # oldest first


def test_racing_status_changes_record_one_entry_each_chained_before_to_after(race_api):
    ops = headers_for("setup", operator=True)
    template = requests.post(f"{race_api}/admin/templates", json=template_body(), headers=ops, timeout=30).json()
    base = f"{race_api}/admin/templates/{template['id']}"
    marketing = headers_for("mia", roles=("marketing",))
    results = fire([("POST", f"{base}/{action}", marketing, None) for action in ["publish", "pause"] * 6], workers=12)

    changed = sum(status == 200 for status, _ in results)
    # 429 THROTTLED: a change that met others on every attempt (the operator retries)
    assert changed >= 1 and {status for status, _ in results} <= {200, 409, 429}, Counter(s for s, _ in results)
    entries = [e for e in audit(race_api, target_type="template", target_id=template["id"]) if e["actor"] == "mia"]
    assert len(entries) == changed
    # Entries of one second sort by when each change was prepared, not committed; but whatever the
    # order, each `before` must be a status the change could really have moved from.
    moves = Counter((e["action"], e["before"]["status"], e["after"]["status"]) for e in entries)
    assert set(moves) <= {("publish", "draft", "published"), ("publish", "paused", "published"),
                          ("pause", "published", "paused")}, moves
    assert moves[("publish", "draft", "published")] == 1
    publishes = moves[("publish", "draft", "published")] + moves[("publish", "paused", "published")]
    assert publishes - moves[("pause", "published", "paused")] in (0, 1)
    current = requests.get(base, headers=ops, timeout=30).json()
    assert current["status"] == ("published" if publishes > moves[("pause", "published", "paused")] else "paused")


def test_racing_decisions_on_one_withdrawal_record_the_one_that_won(race_api):
    live_rule(ratio_bp=10000)
    settlement.process(payment_event("fund", 1000), NOW)
    withdrawal = requests.post(f"{race_api}/me/withdrawals", json={"amount": 600}, headers=headers_for("alice"),
                               timeout=30).json()
    finance = headers_for("fay", roles=("finance",))
    base = f"{race_api}/admin/withdrawals/{withdrawal['id']}"
    results = fire([("POST", f"{base}/approve", finance, None)] * 4 + [("POST", f"{base}/reject", finance, None)] * 4)

    [decided] = [body for status, body in results if status == 200]
    [entry] = audit(race_api, target_type="withdrawal", target_id=withdrawal["id"])
    assert (entry["actor"], entry["before"]["status"], entry["after"]["status"]) == ("fay", "pending", decided["status"])
