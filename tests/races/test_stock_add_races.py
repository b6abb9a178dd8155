"""Stock added while claims race for a template (one counter or 8 shards), over real HTTP against
the serialized moto server and DynamoDB Local (`race_api`): the claims that succeed never exceed
the stock as it ends up, and every unit shows up in exactly one wallet."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.helpers import fire, headers_for
from tests.race_helpers import counters, published, wallet_size


@pytest.mark.parametrize("shards", [1, 8])
def test_stock_added_while_claims_race_never_oversells(race_api, shards):
    template_id = published(race_api, total_stock=20, stock_shards=shards)
    claims = [("POST", f"{race_api}/templates/{template_id}/claim", headers_for(f"user{i}"), None)
              for i in range(80)]
    adds = [("POST", f"{race_api}/admin/templates/{template_id}/stock", headers_for("mia", roles=("marketing",)),
             {"add": 10})] * 3

    results = fire(claims[:40] + adds + claims[40:])

    add_statuses = [status for status, _ in results[40:43]]
    assert add_statuses == [200, 200, 200], results[40:43]
    claimed = [body for status, body in results[:40] + results[43:] if status == 201]
    refusals = Counter(body["error"]["code"] for status, body in results[:40] + results[43:] if status != 201)
    assert set(refusals) <= {"SOLD_OUT"}, refusals
    assert len(claimed) <= 50
    assert counters(race_api, template_id) == (len(claimed), 50 - len(claimed))
    assert sum(wallet_size(race_api, f"user{i}") for i in range(80)) == len(claimed)
    # what is left can still be claimed, to the last unit and not one more
    more = fire([("POST", f"{race_api}/templates/{template_id}/claim", headers_for(f"late{i}"), None)
                 for i in range(60 - len(claimed))])
    assert sum(1 for status, _ in more if status == 201) == 50 - len(claimed)
    assert counters(race_api, template_id) == (50, 0)
