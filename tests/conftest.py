"""Test wiring: an isolated environment, in-process moto, a serialized moto server for races.

Environment variables are fixed here, before the app is imported, so a developer's shell
(AWS_ENDPOINT_URL, real credentials) cannot leak into the tests.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

for _name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL") or n in ("AWS_PROFILE", "AWS_SESSION_TOKEN")]:
    del os.environ[_name]
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "MALL_TABLE": "mall-test",
    "PAYMENT_EVENTS_QUEUE": "mall-test-payment-events",
    "PAYMENT_EVENTS_DLQ": "mall-test-payment-events-dlq",
    "REMINDERS_QUEUE": "mall-test-coupon-reminders",
    "REMINDERS_DLQ": "mall-test-coupon-reminders-dlq",
    "MALL_JWT_SECRET": "test-jwt-secret-0123456789abcdef0123",
    "PAYMENT_WEBHOOK_SECRET": "test-webhook-secret",
    "POWERTOOLS_SERVICE_NAME": "mall",
    "POWERTOOLS_METRICS_NAMESPACE": "Mall",
    "POWERTOOLS_TRACE_DISABLED": "true",
})

import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib import dynamo  # noqa: E402
from chalicelib.programme import store as programme_store  # noqa: E402
from chalicelib.settings import get_settings  # noqa: E402
from dev.bootstrap import bootstrap  # noqa: E402
from dev.moto_server import SerializedMotoServer  # noqa: E402
from tests.helpers import Api  # noqa: E402


def reset_clients() -> None:
    dynamo.client.cache_clear()
    get_settings.cache_clear()
    programme_store.clear_cache()


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


@pytest.fixture(autouse=True)
def _fresh_queue_clients():
    """The SQS clients and queue URLs are cached like dynamo.client(): forget them around each
    test, whose endpoint (in-process moto or the served moto) differs."""
    from chalicelib import sqs

    caches = (sqs.client, sqs.queue_url)
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


# chalice's local server listens with socketserver's default backlog of 5. A race of 20
# connections whose requests carry a body then gets "Connection reset by peer" (measured:
# 5 of 5 rounds of 30 concurrent POSTs with a JSON body; 0 of 5 with a backlog of 128).
# Set before `_local_server` binds its socket.
import chalice.local  # noqa: E402

chalice.local.ThreadedHTTPServer.request_queue_size = 128

# A request for no route: 404 in API.md's shape, as the deploy template answers it on AWS,
# not chalice's local 403 "Missing Authentication Token" (dev/local_gateway.py).
from dev import local_gateway  # noqa: E402

local_gateway.install()


DYNAMODB_LOCAL_JAR = (Path(__file__).resolve().parents[1] / ".local/dynamodb-local/node_modules"
                      / "amplify-dynamodb-simulator/emulator/DynamoDBLocal.jar")


@pytest.fixture(scope="session")
def dynamodb_local():
    """Amazon's DynamoDB Local (installed by `make test` through npm), on a free port."""
    import shutil
    import socket
    import subprocess
    import time

    if not DYNAMODB_LOCAL_JAR.exists() or shutil.which("java") is None:
        pytest.skip(f"DynamoDB Local needs {DYNAMODB_LOCAL_JAR} (make test installs it with npm) and java")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        ["java", "-Djava.library.path=./DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar", "-inMemory", "-port", str(port)],
        cwd=DYNAMODB_LOCAL_JAR.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as attempt:
            if attempt.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("DynamoDB Local did not start within 60 s")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(params=["moto", "dynamodb-local"])
def race_api(request, served_aws, _local_server, monkeypatch):
    """Real HTTP into the app, whose DynamoDB is the serialized moto server or DynamoDB Local."""
    if request.param == "dynamodb-local":
        endpoint = request.getfixturevalue("dynamodb_local")
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
        monkeypatch.setenv("MALL_TABLE", f"mall-race-{uuid.uuid4().hex[:8]}")
        reset_clients()
        bootstrap(os.environ)
    return _local_server


@pytest.fixture(params=["moto", "dynamodb-local"])
def race_aws(request, served_aws, monkeypatch):
    """The service's tables on the serialized moto server or on DynamoDB Local, for races that
    call the service from threads (tests.checkout_helpers.race) rather than over HTTP."""
    if request.param == "dynamodb-local":
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", request.getfixturevalue("dynamodb_local"))
        monkeypatch.setenv("MALL_TABLE", f"mall-race-{uuid.uuid4().hex[:8]}")
        reset_clients()
        bootstrap(os.environ)
    return request.param
