"""Test wiring: an isolated environment, in-process moto, a serialized moto server for races.

Environment variables are fixed here, before the app is imported, so a developer's shell
(AWS_ENDPOINT_URL, real credentials) cannot leak into the tests.
"""

from __future__ import annotations

import os

for _name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL") or n in ("AWS_PROFILE", "AWS_SESSION_TOKEN")]:
    del os.environ[_name]
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "MALL_STAGE": "test",
    "MALL_TABLE": "mall-test",
    "PAYMENT_EVENTS_QUEUE": "mall-test-payment-events",
    "PAYMENT_EVENTS_DLQ": "mall-test-payment-events-dlq",
    "MALL_JWT_SECRET": "test-jwt-secret-0123456789abcdef0123",
    "PAYMENT_WEBHOOK_SECRET": "test-webhook-secret",
    "POWERTOOLS_SERVICE_NAME": "mall",
    "POWERTOOLS_METRICS_NAMESPACE": "Mall",
    "POWERTOOLS_TRACE_DISABLED": "true",
})

import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib import dynamo  # noqa: E402
from chalicelib.settings import get_settings  # noqa: E402
from dev.bootstrap import bootstrap  # noqa: E402
from dev.moto_server import SerializedMotoServer  # noqa: E402
from tests.helpers import Api  # noqa: E402


def reset_clients() -> None:
    dynamo.client.cache_clear()
    get_settings.cache_clear()


@pytest.fixture
def aws():
    """In-process moto with the service's tables, new for each test."""
    with mock_aws():
        reset_clients()
        bootstrap(os.environ)
        yield
    reset_clients()


@pytest.fixture
def api(aws):
    """The app driven through chalice.test.Client."""
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="test") as client:
        yield Api(client)


@pytest.fixture(scope="session")
def moto_server():
    with SerializedMotoServer() as server:
        yield server


@pytest.fixture
def served_aws(moto_server, monkeypatch):
    """The service's tables on the serialized moto server, emptied before each test.

    Races must run here: in-process moto loses updates under threads (FACTS.md).
    """
    moto_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    reset_clients()
    bootstrap(os.environ)
    yield moto_server
    reset_clients()


@pytest.fixture(scope="session")
def _local_server():
    """chalice's local HTTP server around the app, once per session (it rebinds the app's class)."""
    import threading

    from chalice.config import Config
    from chalice.local import create_local_server

    from app import app

    server = create_local_server(app, Config.create(chalice_stage="test", app_name="mall"), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server.server_address[:2]
    yield f"http://{host}:{port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def served_api(served_aws, _local_server):
    """The app over real HTTP (a thread per request) against the serialized moto server."""
    return _local_server
