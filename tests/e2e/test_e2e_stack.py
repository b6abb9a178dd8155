"""End to end over HTTP against the local stack itself (`dev.stack`, as `make run` starts it):
serialized moto server, bootstrap from infra/resources.json, `chalice local`, event pump.
"""

from __future__ import annotations

from collections import Counter

import pytest
import requests

from tests.helpers import fire, headers_for, template_body

pytestmark = pytest.mark.e2e


def test_health(stack):
    assert requests.get(f"{stack.api_url}/health", timeout=10).json() == {"status": "ok"}


def test_flash_sale_over_http_never_oversells(stack):
    ops = headers_for("ops", operator=True)
    created = requests.post(f"{stack.api_url}/admin/templates", json=template_body(total_stock=50),
                            headers=ops, timeout=10).json()
    requests.post(f"{stack.api_url}/admin/templates/{created['id']}/publish", headers=ops, timeout=10)
    url = f"{stack.api_url}/templates/{created['id']}/claim"
    results = fire([("POST", url, headers_for(f"shopper{i}"), None) for i in range(200)])
    assert Counter(status for status, _ in results)[201] == 50
    assert {body["error"]["code"] for status, body in results if status != 201} == {"SOLD_OUT"}
    template = requests.get(f"{stack.api_url}/admin/templates/{created['id']}", headers=ops, timeout=10).json()
    assert (template["claimed"], template["remaining"]) == (50, 0)


def test_errors_keep_the_api_shape_over_http(stack):
    response = requests.get(f"{stack.api_url}/me/coupons", timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"
    assert response.headers["X-Request-Id"]
