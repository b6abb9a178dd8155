"""dev.stack end to end, on a tiny project of its own: moto, bootstrap, api and pump; how
`make run` stops; and `make job` against a `make run` of this project."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
import requests

from dev.defaults import LOCAL_DEFAULTS
from dev.stack import PROJECT_ROOT, StackError, needs_moto, stack_environment, start_stack

APP = """
import os

import boto3
from chalice import Chalice

if os.environ.get("STACKTEST_SLOW_STOP"):  # never ready, and deaf to SIGTERM (only SIGKILL stops it)
    import signal
    import time

    signal.signal(signal.SIGTERM, lambda *_: print("stacktest: SIGTERM ignored", flush=True))
    print("stacktest: importing slowly", flush=True)
    time.sleep(120)

app = Chalice(app_name="stacktest")


@app.route("/health")
def health():
    return {"ok": True}


@app.route("/env")
def env():
    return {k: os.environ.get(k) for k in ("MALL_TABLE", "MALL_JWT_SECRET", "FROM_TEST")}


@app.on_sqs_message(queue="stacktest-jobs")
def job(event):
    table = boto3.resource("dynamodb").Table(os.environ["MALL_TABLE"])
    for record in event:
        table.put_item(Item={"PK": record.body})
"""

CONFIG = {
    "version": "2.0",
    "app_name": "stacktest",
    "stages": {
        "dev": {"environment_variables": {"MALL_TABLE": "stacktest", "JOBS": "stacktest-jobs"}}
    },
}

RESOURCES = {
    "Resources": {
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Metadata": {"mall:name-env": "MALL_TABLE"},
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "PK", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}],
            },
        },
        "Jobs": {
            "Type": "AWS::SQS::Queue",
            "Metadata": {"mall:name-env": "JOBS"},
            "Properties": {"VisibilityTimeout": 30},
        },
    }
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(CONFIG))
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "resources.json").write_text(json.dumps(RESOURCES))
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_SQS",
        "AWS_PROFILE",
        "MALL_JWT_SECRET",
        "MALL_TABLE",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


@pytest.mark.e2e
def test_stack_serves_the_api_and_pumps_the_queue(project, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("logs")
    with start_stack(
        project_dir=project, log_dir=log_dir, extra_env={"FROM_TEST": "yes", "MALL_TABLE": "no"}
    ) as stack:
        assert _get_json(f"{stack.api_url}/env") == {
            "MALL_TABLE": "stacktest",  # the stage's config wins, as under chalice local
            "MALL_JWT_SECRET": LOCAL_DEFAULTS["MALL_JWT_SECRET"],
            "FROM_TEST": "yes",
        }
        with pytest.raises(urllib.error.HTTPError) as unknown:
            urllib.request.urlopen(f"{stack.api_url}/no-such-route", timeout=5)
        assert (unknown.value.code, json.load(unknown.value)["error"]["code"]) == (404, "NOT_FOUND")
        clients = {
            "endpoint_url": stack.moto_url,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        sqs = boto3.client("sqs", **clients)
        dynamodb = boto3.client("dynamodb", **clients)
        url = sqs.get_queue_url(QueueName="stacktest-jobs")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="job-1")

        deadline = time.monotonic() + 15
        item = {}
        while not item and time.monotonic() < deadline:
            item = dynamodb.get_item(TableName="stacktest", Key={"PK": {"S": "job-1"}})
            item = item.get("Item", {})
            time.sleep(0.2)
        assert item == {"PK": {"S": "job-1"}}, (log_dir / "pump.log").read_text()
        children = [child.process for child in stack.children]

    assert all(process.poll() is not None for process in children)


@pytest.mark.e2e
def test_busy_port_fails_fast(project):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(StackError, match=f"port {port} .* in use"):
            start_stack(api_port=port, project_dir=project)
    assert time.monotonic() - started < 2


@pytest.mark.e2e
def test_startup_failure_shows_the_log_tail(project, tmp_path_factory):
    (project / "app.py").write_text("raise ImportError('app.py is broken on purpose')\n")
    with pytest.raises(StackError, match="broken on purpose"):
        start_stack(project_dir=project, log_dir=tmp_path_factory.mktemp("logs"))


def test_environment_precedence(project):
    base = {
        "AWS_ACCESS_KEY_ID": "real-key",
        "MALL_JWT_SECRET": "mine",
        "MALL_TABLE": "from-shell",
        "AWS_REGION": "eu-west-1",
    }

    env = stack_environment(base, project, "dev")

    assert env["AWS_ACCESS_KEY_ID"] == "real-key"  # never overridden
    assert env["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["MALL_JWT_SECRET"] == "mine"
    assert env["PAYMENT_WEBHOOK_SECRET"] == LOCAL_DEFAULTS["PAYMENT_WEBHOOK_SECRET"]
    assert env["MALL_TABLE"] == "stacktest"  # config.json wins, as under chalice local
    assert "AWS_ACCESS_KEY_ID" not in stack_environment({"AWS_PROFILE": "work"}, project, "dev")


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, True),
        ({"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8001"}, True),
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, False),
        ({"AWS_ENDPOINT_URL_DYNAMODB": "http://a", "AWS_ENDPOINT_URL_SQS": "http://b"}, False),
    ],
)
def test_needs_moto(variables, expected):
    assert needs_moto(variables) is expected


# Stopping `make run` (python -m dev.stack): every child goes, whatever the signals.

EXIT_SECONDS = 60  # a stop waits up to 5 s per child; this only bounds a hang


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid` (children start sessions of their own: found by parent)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent that never reaps it counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as chalice local binds
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_for(condition, what: str, seconds: float = EXIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class MakeRun:
    """`python -m dev.stack` (or `make run`) on the tiny project, in a process group of its own."""

    def __init__(self, project: Path, tmp: Path, via_make: bool = False, env: dict | None = None) -> None:
        self.api_port, self.moto_port = _free_ports(2)
        self.state_file = tmp / "stack.json"
        self.output = tmp / "make-run.out"
        args = ["--project-dir", str(project), "--port", str(self.api_port), "--moto-port", str(self.moto_port),
                "--log-dir", str(tmp / "logs"), "--state-file", str(self.state_file)]
        command = (["make", "-s", "run", f"ARGS={' '.join(args)}"] if via_make
                   else [sys.executable, "-m", "dev.stack", *args])
        with open(self.output, "w", encoding="utf-8") as out:
            self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT,
                                            env={**os.environ, **(env or {})}, start_new_session=True)

    def log(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def wait_until_serving(self) -> set[int]:
        """Once it serves (its state file names it): every process below it."""
        _wait_for(lambda: self.state_file.exists() or self.process.poll() is not None, "make run did not start")
        assert self.process.poll() is None, self.log()
        return _descendants(self.process.pid)

    def assert_stopped_cleanly(self, processes: set[int]) -> None:
        try:
            _wait_for(lambda: self.process.poll() is not None, f"make run did not exit:\n{self.log()}")
            _wait_for(lambda: not any(_alive(pid) for pid in processes),
                      f"children outlived make run: {sorted(p for p in processes if _alive(p))}\n{self.log()}")
        finally:  # a failed test leaves nothing running either
            for pid in [self.process.pid, *processes]:
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
        assert _port_free(self.api_port) and _port_free(self.moto_port)
        assert not self.state_file.exists()


@pytest.mark.e2e
def test_make_run_writes_its_endpoints_for_make_job_while_it_serves(project, tmp_path_factory):
    run = MakeRun(project, tmp_path_factory.mktemp("run"))
    try:
        run.wait_until_serving()
        state = json.loads(run.state_file.read_text())
        assert state["api_url"] == f"http://127.0.0.1:{run.api_port}"
        assert state["moto_url"] == f"http://127.0.0.1:{run.moto_port}"
        assert state["endpoints"] == {"AWS_ENDPOINT_URL": state["moto_url"]}
        assert (state["pid"], state["stage"], state["project_dir"]) == (run.process.pid, "dev", str(project))
        assert _get_json(f"{state['api_url']}/health") == {"ok": True}
    finally:
        os.killpg(run.process.pid, signal.SIGTERM)
    run.assert_stopped_cleanly(set())


@pytest.mark.e2e
def test_two_sigterms_back_to_back_stop_every_child(project, tmp_path_factory):
    # Given make run serving: moto, the api and the pump
    run = MakeRun(project, tmp_path_factory.mktemp("run"))
    processes = run.wait_until_serving()
    assert len(processes) >= 3, processes

    # When a supervisor sends SIGTERM twice in a row
    os.kill(run.process.pid, signal.SIGTERM)
    os.kill(run.process.pid, signal.SIGTERM)

    # Then every child is gone, the ports are free and the state file is removed
    run.assert_stopped_cleanly(processes)
    assert "stopping the stack" in run.log()


@pytest.mark.e2e
def test_a_stop_signal_during_the_cleanup_does_not_cut_it_short(project, tmp_path_factory):
    """The race made deterministic: a child that takes its time to stop (it only says it got
    SIGTERM) keeps make run in its cleanup, and the second SIGTERM arrives right then."""
    # Given make run still starting, its app slow to import and deaf to SIGTERM
    run = MakeRun(project, tmp_path_factory.mktemp("run"), env={"STACKTEST_SLOW_STOP": "1"})
    _wait_for(lambda: run.log().count("stacktest: importing slowly") == 2 or run.process.poll() is not None,
              "the api and the pump did not start importing the app")
    processes = _descendants(run.process.pid)  # moto, api, pump

    # When SIGTERM starts the cleanup, and another SIGTERM arrives while it waits for a child
    os.kill(run.process.pid, signal.SIGTERM)
    _wait_for(lambda: "stacktest: SIGTERM ignored" in run.log(), f"no child got SIGTERM:\n{run.log()}")
    os.kill(run.process.pid, signal.SIGTERM)

    # Then the cleanup runs to its end (the deaf child is killed): nothing is left behind
    run.assert_stopped_cleanly(processes)
    assert len(processes) >= 3, processes


@pytest.mark.e2e
def test_make_run_stopped_by_sigterm_to_its_process_group(project, tmp_path_factory):
    # Given `make run` serving (make forwards a SIGTERM to its child: dev.stack gets two)
    run = MakeRun(project, tmp_path_factory.mktemp("run"), via_make=True)
    processes = run.wait_until_serving()
    assert len(processes) >= 4, processes  # dev.stack, moto, api, pump

    # When the whole process group gets SIGTERM, as a supervisor or CI runner sends it
    os.killpg(run.process.pid, signal.SIGTERM)

    # Then nothing is left
    run.assert_stopped_cleanly(processes)


# make job NAME=<job> NOW=<time>: one scheduled job against the stack make run serves.


def _make_job(state_file: Path, *variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", "job", f"STACK_FILE={state_file}", *variables], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


def test_make_job_says_so_when_no_stack_is_running(tmp_path):
    done = _make_job(tmp_path / "stack.json", "NAME=expire-coupons", "NOW=2030-01-01T00:00:00Z")
    assert done.returncode != 0
    assert "no stack is running from this checkout" in done.stderr and "make run" in done.stderr


def test_make_job_says_so_when_the_stack_it_names_has_stopped(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    state = {"pid": int(gone.stdout), "api_url": "http://127.0.0.1:9", "project_dir": str(PROJECT_ROOT)}
    (tmp_path / "stack.json").write_text(json.dumps(state))
    done = _make_job(tmp_path / "stack.json", "NAME=expire-coupons", "NOW=2030-01-01T00:00:00Z")
    assert done.returncode != 0 and "is not running any more" in done.stderr


@pytest.mark.e2e
def test_make_job_expires_a_coupon_of_the_running_stack_once(tmp_path_factory):
    from tests.helpers import headers_for, template_body

    # Given make run serving this project, and a coupon claimed there, usable for 1 day
    run = MakeRun(PROJECT_ROOT, tmp_path_factory.mktemp("run"))
    try:
        run.wait_until_serving()
        api = json.loads(run.state_file.read_text())["api_url"]
        ops, shopper = headers_for("ops-job", operator=True), headers_for("job-shopper")
        template = requests.post(f"{api}/admin/templates", json=template_body(validity={"days_after_claim": 1}),
                                 headers=ops, timeout=30).json()
        assert requests.post(f"{api}/admin/templates/{template['id']}/publish", headers=ops, timeout=30).ok
        coupon = requests.post(f"{api}/templates/{template['id']}/claim", headers=shopper, timeout=30).json()
        later = (datetime.now(timezone.utc) + timedelta(days=3)).astimezone(timezone(timedelta(hours=8)))
        now = later.replace(microsecond=0).isoformat()  # Beijing time, with its offset

        # When make job runs the expiry sweep as of three days later, twice
        first = _make_job(run.state_file, "NAME=expire-coupons", f"NOW={now}")
        second = _make_job(run.state_file, "NAME=expire-coupons", f"NOW={now}")

        # Then the first expires the coupon and prints its report, and the second changes nothing
        assert first.returncode == 0, first.stderr
        report = json.loads(first.stdout.splitlines()[-1])
        assert (report["job"], report["changed"], report["finished"]) == ("expire-coupons", 1, True)
        assert first.stdout.splitlines()[0].startswith("expire-coupons as of ")
        assert second.returncode == 0, second.stderr
        assert json.loads(second.stdout.splitlines()[-1])["changed"] == 0
        expired = requests.get(f"{api}/me/coupons", params={"status": "expired"}, headers=shopper, timeout=30).json()
        assert [c["id"] for c in expired["items"]] == [coupon["id"]]
    finally:
        os.killpg(run.process.pid, signal.SIGTERM)
    run.assert_stopped_cleanly(set())


@pytest.mark.e2e
def test_make_job_releases_a_lapsed_order_reservation_of_the_running_stack(tmp_path_factory):
    from tests.helpers import headers_for, template_body

    # Given make run serving this project, and an order reserved there with a coupon
    run = MakeRun(PROJECT_ROOT, tmp_path_factory.mktemp("run"))
    try:
        run.wait_until_serving()
        api = json.loads(run.state_file.read_text())["api_url"]
        ops, shopper = headers_for("ops-job", operator=True), headers_for("reserving-shopper")
        template = requests.post(f"{api}/admin/templates", json=template_body(min_spend=0), headers=ops,
                                 timeout=30).json()
        assert requests.post(f"{api}/admin/templates/{template['id']}/publish", headers=ops, timeout=30).ok
        coupon = requests.post(f"{api}/templates/{template['id']}/claim", headers=shopper, timeout=30).json()
        order = {"order_id": "job-order-1", "coupon_ids": [coupon["id"]],
                 "items": [{"sku": "s", "category": "food", "unit_price": 10_000, "quantity": 1}]}
        reserved = requests.post(f"{api}/checkout/reservations", json=order, headers=shopper, timeout=30)
        assert reserved.status_code == 201, reserved.text
        now = (datetime.now(timezone.utc) + timedelta(hours=1)).replace(microsecond=0).isoformat()

        # When make job runs the lock release as of an hour later, twice
        first = _make_job(run.state_file, "NAME=release-locks", f"NOW={now}")
        second = _make_job(run.state_file, "NAME=release-locks", f"NOW={now}")

        # Then the first releases the reservation (its coupon with it), the second changes nothing
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout.splitlines()[-1])["changed"] == 1
        assert json.loads(second.stdout.splitlines()[-1])["changed"] == 0
        shown = requests.get(f"{api}/checkout/reservations/job-order-1", headers=shopper, timeout=30).json()
        assert shown["status"] == "released"
        assert requests.get(f"{api}/me/coupons/{coupon['id']}", headers=shopper, timeout=30).json()["status"] == "unused"
    finally:
        os.killpg(run.process.pid, signal.SIGTERM)
    run.assert_stopped_cleanly(set())


def _pay_under_a_live_rule(api, ops, name, **rule):
    """Publish a rule live for the next hour, then pay ¥123.45 as `<name>-shopper` through the signed
    generic webhook of the running stack; the rule and when it was paid."""
    from tests.payment_helpers import generic_payment, rule_body, signed_generic

    paid_at = datetime.now(timezone.utc)
    window = {"starts_at": (paid_at - timedelta(hours=1)).isoformat(),
              "ends_at": (paid_at + timedelta(hours=1)).isoformat()}
    made = requests.post(f"{api}/admin/rebate-rules", json=rule_body(**rule, **window), headers=ops, timeout=30).json()
    assert requests.post(f"{api}/admin/rebate-rules/{made['id']}/publish", headers=ops, timeout=30).ok
    raw, headers = signed_generic(generic_payment(f"evt_{name}_1", f"pay_{name}_1", user=f"{name}-shopper",
                                                  amount=12345, paid_at=paid_at))
    assert requests.post(f"{api}/webhooks/payments/generic", data=raw, headers=headers, timeout=30).ok
    return made, paid_at


@pytest.mark.e2e
def test_make_job_releases_a_pending_rebate_of_the_running_stack_once(tmp_path_factory):
    """Issue 17's "done when": a rule with pending_days 7 credits pending over HTTP; make job
    release-pending as of 8 days later makes it spendable, and again changes nothing."""
    from tests.helpers import headers_for

    run = MakeRun(PROJECT_ROOT, tmp_path_factory.mktemp("run"))
    try:
        run.wait_until_serving()
        api = json.loads(run.state_file.read_text())["api_url"]
        ops, shopper = headers_for("ops-job", operator=True), headers_for("pending-shopper")
        rule, paid_at = _pay_under_a_live_rule(api, ops, "pending", ratio_bp=500, pending_days=7)
        assert rule["pending_days"] == 7

        def account():
            shown = requests.get(f"{api}/me/account", headers=shopper, timeout=30).json()
            return shown["balance"], shown["pending_balance"]

        _wait_for(lambda: account() == (0, 617), "the payment's rebate did not arrive as pending")
        now = (paid_at + timedelta(days=8)).replace(microsecond=0).isoformat()

        first = _make_job(run.state_file, "NAME=release-pending", f"NOW={now}")
        second = _make_job(run.state_file, "NAME=release-pending", f"NOW={now}")

        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout.splitlines()[-1])["changed"] == 1
        assert json.loads(second.stdout.splitlines()[-1])["changed"] == 0
        assert account() == (617, 0)
    finally:
        os.killpg(run.process.pid, signal.SIGTERM)
    run.assert_stopped_cleanly(set())


@pytest.mark.e2e
def test_make_job_expires_points_of_the_running_stack_once(tmp_path_factory):
    """Issue 17's "done when": with points_valid_days 10, a points rebate credited over HTTP shows
    in points_expiring; make job expire-points as of 12 days later takes it, and again changes nothing."""
    from tests.helpers import headers_for

    run = MakeRun(PROJECT_ROOT, tmp_path_factory.mktemp("run"))
    try:
        run.wait_until_serving()
        api = json.loads(run.state_file.read_text())["api_url"]
        ops, shopper = headers_for("ops-job", operator=True), headers_for("points-shopper")
        assert requests.put(f"{api}/admin/settings", json={"points_valid_days": 10}, headers=ops, timeout=30).ok
        _, paid_at = _pay_under_a_live_rule(api, ops, "points", ratio_bp=500, reward="points")

        def account():
            return requests.get(f"{api}/me/account", headers=shopper, timeout=30).json()

        _wait_for(lambda: account()["points"] == 617, "the payment's points did not arrive")
        assert [p["points"] for p in account()["points_expiring"]] == [617]
        now = (paid_at + timedelta(days=12)).replace(microsecond=0).isoformat()

        first = _make_job(run.state_file, "NAME=expire-points", f"NOW={now}")
        second = _make_job(run.state_file, "NAME=expire-points", f"NOW={now}")

        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout.splitlines()[-1])["changed"] == 1
        assert json.loads(second.stdout.splitlines()[-1])["changed"] == 0
        assert (account()["points"], account()["points_expiring"]) == (0, [])
    finally:
        os.killpg(run.process.pid, signal.SIGTERM)
    run.assert_stopped_cleanly(set())
