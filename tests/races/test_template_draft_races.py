"""A draft edited or deleted while operators grant from it and mint codes for it (grants ignore a
draft status), over real HTTP against the serialized moto server and DynamoDB Local (`race_api`):
either the grant or mint comes first and the edit or delete is refused, or the edit or delete
comes first; never a deleted template with coupons or codes, never an edited one whose holders
got the old terms."""

from __future__ import annotations

import pytest
import requests

from tests.helpers import fire, headers_for, template_body
from tests.race_helpers import wallet_size

MIA = headers_for("mia", roles=("marketing",))


def _draft(base: str, shards: int) -> str:
    response = requests.post(f"{base}/admin/templates", json=template_body(total_stock=40, stock_shards=shards),
                             headers=MIA, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.mark.parametrize("shards", [1, 4])
def test_a_draft_is_never_deleted_once_it_issued_something(race_api, shards):
    for round_ in range(4):
        template_id = _draft(race_api, shards)
        url = f"{race_api}/admin/templates/{template_id}"
        users = [f"r{shards}-{round_}-{i}" for i in range(6)]
        grants = [("POST", f"{url}/grant", MIA, {"user_ids": [user]}) for user in users]
        mint = [("POST", f"{url}/codes", MIA, {"count": 2})]
        delete = [("DELETE", url, MIA, None)]

        results = fire(grants[:3] + delete + mint + grants[3:])

        deleted = results[3][0] == 204
        granted = sum(1 for status, body in results[:3] + results[5:] if status == 200 and body["granted"])
        minted = results[4][0] == 201
        held = sum(wallet_size(race_api, user) for user in users)
        assert held == granted, (held, results)
        exists = requests.get(url, headers=MIA, timeout=30).status_code == 200
        if deleted:
            assert (granted, minted, exists) == (0, False, False), (granted, minted, exists, results)
        else:
            assert results[3][1]["error"]["code"] == "INVALID_STATE", results[3]
            assert exists and (granted or minted), (granted, minted, exists, results)


def test_an_edit_never_lands_after_a_grant(race_api):
    for round_ in range(4):
        template_id = _draft(race_api, 1)
        url = f"{race_api}/admin/templates/{template_id}"
        user = f"e-{round_}"
        edit = ("PUT", url, MIA, template_body(name="edited", value=999, total_stock=40))
        grant = ("POST", f"{url}/grant", MIA, {"user_ids": [user]})

        (edit_status, _), (grant_status, report) = fire([edit, grant])

        assert grant_status == 200, report
        coupons = requests.get(f"{race_api}/me/coupons", headers=headers_for(user), timeout=30).json()["items"]
        if edit_status == 200:  # the edit came first: whatever was granted carries the new terms
            assert all(c["value"] == 999 for c in coupons), coupons
        else:
            assert edit_status == 409 and len(coupons) == 1 and coupons[0]["value"] != 999
