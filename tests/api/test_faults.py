"""Injected faults: DynamoDB throttling and transaction conflicts, an unreachable database.

Faults are injected below the service, at botocore's `before-send` (each HTTP attempt, so
botocore's own retries see them too), by DynamoDB error code. The app talks to the moto
server over HTTP here: in-process moto answers from its own `before-send` handler first. Clients get a clear 429 or
503 when retries run out, and the state equals what a fault-free run leaves.
"""

from __future__ import annotations

import json

import pytest
from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import MockRawResponse

from chalicelib import dynamo
from tests.helpers import Api


class Faults:
    """Answer the next `times` calls of `operation` with a DynamoDB error instead of sending them."""

    def __init__(self) -> None:
        self.plans: dict[str, list[tuple[str, dict]]] = {}
        self.injected = 0

    def fail(self, operation: str, code: str, times: int, **extra) -> None:
        self.plans.setdefault(operation, []).extend([(code, extra)] * times)

    def __call__(self, request, event_name: str, **_) -> AWSResponse | None:
        plan = self.plans.get(event_name.rsplit(".", 1)[-1])  # before-send.dynamodb.<Operation>
        if not plan:
            return None
        code, extra = plan.pop(0)
        self.injected += 1
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "injected", **extra})
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.0"}, MockRawResponse(body))


@pytest.fixture
def api(served_aws):
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="test") as client:
        yield Api(client)


@pytest.fixture
def faults(api):
    injector = Faults()
    events = dynamo.client().meta.events
    events.register_first("before-send.dynamodb", injector)
    yield injector
    events.unregister("before-send.dynamodb", injector)


def conflict_reasons(count: int) -> dict:
    return {"CancellationReasons": [{"Code": "TransactionConflict", "Message": "injected"}] * count}


def counters(api, template_id):
    _, template = api.get(f"/admin/templates/{template_id}", operator=True)
    return template["claimed"], len(api.get("/me/coupons")[1]["items"])


def test_a_transaction_conflict_is_retried_and_the_claim_lands_once(api, faults):
    template = api.published_template(total_stock=5)
    faults.fail("TransactWriteItems", "TransactionCanceledException", 2, **conflict_reasons(3))
    status, coupon = api.post(f"/templates/{template['id']}/claim")
    assert status == 201, coupon
    assert faults.injected == 2
    assert counters(api, template["id"]) == (1, 1)


def test_conflicts_that_outlast_the_retries_are_429_and_change_nothing(api, faults):
    template = api.published_template(total_stock=5)
    faults.fail("TransactWriteItems", "TransactionCanceledException", 10, **conflict_reasons(3))
    status, body = api.post(f"/templates/{template['id']}/claim")
    assert (status, body["error"]["code"]) == (429, "THROTTLED")
    assert counters(api, template["id"]) == (0, 0)


def test_throttling_after_botocore_retries_is_429_and_changes_nothing(api, faults):
    template = api.published_template(total_stock=5)
    faults.fail("TransactWriteItems", "ProvisionedThroughputExceededException", 3)
    status, body = api.post(f"/templates/{template['id']}/claim")
    assert (status, body["error"]["code"]) == (429, "THROTTLED")
    assert faults.injected == 3  # botocore's standard mode tried three times
    assert counters(api, template["id"]) == (0, 0)


def test_throttling_that_passes_within_botocore_retries_is_invisible(api, faults):
    template = api.published_template(total_stock=5)
    faults.fail("TransactWriteItems", "ThrottlingException", 1)
    assert api.post(f"/templates/{template['id']}/claim")[0] == 201
    assert counters(api, template["id"]) == (1, 1)


def test_a_failed_idempotent_claim_then_retried_lands_once(api, faults):
    template = api.published_template(total_stock=5)
    faults.fail("TransactWriteItems", "ProvisionedThroughputExceededException", 3)
    headers = {"Idempotency-Key": "fault-1"}
    assert api.post(f"/templates/{template['id']}/claim", headers=headers)[0] == 429
    first = api.post(f"/templates/{template['id']}/claim", headers=headers)
    again = api.post(f"/templates/{template['id']}/claim", headers=headers)
    assert first[0] == 201 and again == first
    assert counters(api, template["id"]) == (1, 1)


def test_an_unreachable_database_is_503(api, monkeypatch):
    from tests.helpers import reset_clients

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: connection refused
    reset_clients()
    status, body = api.get("/me/coupons")
    assert (status, body["error"]["code"]) == (503, "UNAVAILABLE")
