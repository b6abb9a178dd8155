"""`make run`: the whole service on this machine, with one command and no AWS account.

Four child processes, each with the same environment:
  moto        dev.moto_server, the serialized moto server (skipped when AWS_ENDPOINT_URL,
              or both AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_SQS, are set, and
              with --no-moto, which uses whatever the environment names: a real account);
  bootstrap   dev.bootstrap, which creates the tables and queues of infra/resources.json;
  api         `chalice local --no-autoreload`, the HTTP routes;
  pump        dev.pump, which feeds the app's SQS and schedule handlers.
The api and the pump are separate processes because each imports the app, which reads its
settings from the environment: neither must import it into a process whose environment
belongs to someone else (a test run, this orchestrator).

The environment: the process environment, then dummy AWS credentials where none are set
(and AWS_PROFILE names none), a region, local-only secrets where unset (dev.defaults),
then the stage's
`environment_variables` from .chalice/config.json. Those win over the process
environment because `chalice local` itself copies them over its environment: the
bootstrap must create the names the api will use. Endpoints are the standard
AWS_ENDPOINT_URL* variables; botocore reads them in every child, and a service-specific
one the user set (say DynamoDB Local) keeps priority over the moto server's.

Nothing persists between runs: moto keeps its state in memory; `make run` shows the api's
and pump's output in the terminal and writes moto's to .local/logs. While it serves, `make run`
names its endpoints in .local/stack.json (removed when it stops), so that `make job` (dev.job)
can run a scheduled job against this very stack.
Tests use `start_stack()`, which picks free ports and returns a `Stack`.

Stopping: the first SIGINT or SIGTERM stops every child, and any later one is ignored from
that moment on (`StopSignals`). A supervisor's `kill -TERM -<pgid>` on `make run` reaches this
process twice, once from the sender and once forwarded by GNU make, often within milliseconds:
a second KeyboardInterrupt in the middle of the cleanup would orphan the children.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dev.defaults import LOCAL_DEFAULTS  # shared with dev.token, so its tokens verify

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
DEFAULT_REGION = "us-east-1"
STOP_TIMEOUT_SECONDS = 5.0
# `chalice local` listens with socketserver's default backlog of 5: a burst of concurrent
# connections (a flash sale) then meets "Connection reset by peer". 128 queues them instead.
# dev.local_gateway answers a request for no route as the deployed API does (404, API.md's shape).
_CHALICE_CLI = (
    "import sys; import chalice.local; chalice.local.ThreadedHTTPServer.request_queue_size = 128; "
    "import dev.local_gateway; dev.local_gateway.install(); "
    "sys.argv[0] = 'chalice'; from chalice.cli import main; sys.exit(main())"
)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StackError(RuntimeError):
    """The stack could not start; the message says why and shows the relevant output."""


def stage_environment(project_dir: Path, stage: str) -> dict[str, str]:
    """The `environment_variables` chalice applies for a stage: top level, then the stage."""
    config = json.loads((project_dir / ".chalice" / "config.json").read_text(encoding="utf-8"))
    if stage not in config.get("stages", {}):
        raise StackError(f"stage {stage!r} is not in {project_dir}/.chalice/config.json")
    return {
        **config.get("environment_variables", {}),
        **config["stages"][stage].get("environment_variables", {}),
    }


def stack_environment(
    base: Mapping[str, str], project_dir: Path, stage: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The children's environment (see the module docstring for the precedence)."""
    env = {**base, **(extra or {})}
    if "AWS_PROFILE" not in env:  # a named profile brings its own credentials
        for key, value in DUMMY_CREDENTIALS.items():
            env.setdefault(key, value)
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", DEFAULT_REGION))
    for key, value in LOCAL_DEFAULTS.items():
        env.setdefault(key, value)
    env.update(stage_environment(project_dir, stage))
    # dev.* must import from a project_dir other than this checkout (tests use one).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"  # log files show output as it happens
    return env


def needs_moto(env: Mapping[str, str]) -> bool:
    """True unless the environment already names endpoints for DynamoDB and SQS."""
    return not env.get("AWS_ENDPOINT_URL") and not (
        env.get("AWS_ENDPOINT_URL_DYNAMODB") and env.get("AWS_ENDPOINT_URL_SQS")
    )


@dataclass
class _Child:
    name: str
    process: subprocess.Popen
    log_path: Path | None  # None: the output goes to this terminal

    def tail(self, lines: int = 30) -> str:
        if self.log_path is None:
            return f"(the {self.name} output is above)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:]) or f"({self.name} wrote nothing)"


@dataclass
class Stack:
    """A running local stack; `stop()` (or leaving the `with` block) ends every child."""

    api_url: str
    moto_url: str | None
    env: dict[str, str]
    log_dir: Path
    children: list[_Child] = field(default_factory=list)

    def wait(self) -> str | None:
        """Block until a child exits; return its name (None if there are no children)."""
        while self.children:
            for child in self.children:
                if child.process.poll() is not None:
                    return child.name
            time.sleep(0.5)
        return None

    def stop(self) -> None:
        """Terminate the children newest first; kill any that outlive the timeout.

        Each child leads its own process group (start_new_session), so the signal goes to
        the group: whatever a child started itself stops with it.
        """
        for child in reversed(self.children):
            if child.process.poll() is None:
                _signal_group(child.process, signal.SIGTERM)
                try:
                    child.process.wait(STOP_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    _signal_group(child.process, signal.SIGKILL)
                    child.process.wait()
        self.children.clear()

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_stack(
    api_port: int = 0,
    stage: str = "dev",
    extra_env: Mapping[str, str] | None = None,
    *,
    moto_port: int = 0,
    moto: bool = True,
    project_dir: Path = PROJECT_ROOT,
    log_dir: Path | None = None,
    console: bool = False,
    startup_timeout: float = 60.0,
) -> Stack:
    """Start the stack and return once GET /health answers 200.

    Port 0 picks a free loopback port. `extra_env` goes over the process environment
    (the stage's config.json variables still win, as under `chalice local`). Child output
    goes to `log_dir` (default: a new temporary directory); with `console`, the api's,
    bootstrap's and pump's go to this terminal instead. `moto=False` never starts the moto
    server. Raises StackError, after stopping whatever started, when a step fails.
    """
    project_dir = Path(project_dir).resolve()
    env = stack_environment(os.environ, project_dir, stage, extra_env)
    api_port = _free_port() if api_port == 0 else _check_port_free(api_port, "--port")
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="mall-stack-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(f"http://{HOST}:{api_port}", None, env, log_dir)
    deadline = time.monotonic() + startup_timeout

    def spawn(name: str, args: list[str], to_console: bool) -> _Child:
        log_path = None if to_console else log_dir / f"{name}.log"
        # The child keeps its own copy of the log file's descriptor.
        with (
            contextlib.nullcontext()
            if log_path is None
            else open(log_path, "w", encoding="utf-8") as output
        ):
            process = subprocess.Popen(
                args,
                cwd=project_dir,
                env=env,
                stdout=output,
                stderr=None if output is None else subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches this process only; it stops children
            )
        child = _Child(name, process, log_path)
        stack.children.append(child)
        return child

    try:
        if moto and needs_moto(env):
            port = _check_port_free(moto_port, "--moto-port") if moto_port else _free_port()
            moto_child = spawn(
                "moto", [sys.executable, "-m", "dev.moto_server", "--port", str(port)], False
            )
            _wait_for_port(moto_child, port, deadline)
            stack.moto_url = env["AWS_ENDPOINT_URL"] = f"http://{HOST}:{port}"
        definitions = project_dir / "infra" / "resources.json"
        bootstrap = spawn(
            "bootstrap",
            [sys.executable, "-m", "dev.bootstrap", "--definitions", str(definitions)],
            console,
        )
        try:
            status = bootstrap.process.wait(max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise StackError(f"bootstrap did not finish:\n{bootstrap.tail()}") from None
        if status != 0:
            raise StackError(f"creating the tables and queues failed:\n{bootstrap.tail()}")
        stack.children.remove(bootstrap)
        api = spawn(
            "api",
            [
                sys.executable,
                "-c",
                _CHALICE_CLI,
                "local",
                "--no-autoreload",
                "--host",
                HOST,
                "--port",
                str(api_port),
                "--stage",
                stage,
            ],
            console,
        )
        spawn(
            "pump",
            [sys.executable, "-m", "dev.pump", "--project-dir", str(project_dir), "--stage", stage],
            console,
        )
        _wait_for_health(stack, api, deadline)
    except BaseException:
        stack.stop()
        raise
    return stack


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        process.send_signal(signum)


def write_state(path: Path, stack: Stack, stage: str, project_dir: Path) -> None:
    """Name this stack's endpoints in `path` (for `make job`); atomic, no secrets in it."""
    endpoints = {k: v for k, v in stack.env.items() if k.startswith("AWS_ENDPOINT_URL")}
    state = {
        "pid": os.getpid(),
        "project_dir": str(project_dir),
        "stage": stage,
        "api_url": stack.api_url,
        "moto_url": stack.moto_url,
        "region": stack.env["AWS_DEFAULT_REGION"],
        "endpoints": endpoints,
        "log_dir": str(stack.log_dir),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


def remove_state(path: Path) -> None:
    """Remove `path` if it still names this process's stack (another may have replaced it)."""
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _check_port_free(port: int, option: str) -> int:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as chalice local binds
        try:
            s.bind((HOST, port))
        except OSError as error:
            raise StackError(
                f"port {port} on {HOST} is in use ({error.strerror}): is another `make run` "
                f"still running? Stop it, or choose another port: python -m dev.stack {option} N"
            ) from None
    return port


def _ensure_running(child: _Child) -> None:
    if child.process.poll() is not None:
        raise StackError(
            f"{child.name} exited with status {child.process.returncode} while starting:\n"
            f"{child.tail()}"
        )


def _wait_for_port(child: _Child, port: int, deadline: float) -> None:
    while True:
        _ensure_running(child)
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise StackError(
                    f"{child.name} did not listen on port {port}:\n{child.tail()}"
                ) from None
            time.sleep(0.1)


def _wait_for_health(stack: Stack, api: _Child, deadline: float) -> None:
    url = f"{stack.api_url}/health"
    while True:
        for child in stack.children:
            _ensure_running(child)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise StackError(f"chalice local did not answer 200 to GET {url}:\n{api.tail()}")
        time.sleep(0.2)


def _banner(stack: Stack) -> str:
    moto = stack.moto_url or "not started: AWS endpoints and credentials from your environment"
    return "\n".join(
        [
            "",
            f"  API       {stack.api_url}/",
            f"  console   {stack.api_url}/console",
            f"  moto      {moto}",
            f"  logs      {stack.log_dir}",
            "  get a token: make token USER=alice ROLE=operator",
            "  run a job:   make job NAME=expire-coupons NOW=2026-11-23T10:00:00Z",
            "  Ctrl-C stops everything.",
            "",
        ]
    )


class StopSignals:
    """SIGINT and SIGTERM stop the stack once: the first raises KeyboardInterrupt, and from
    that moment every later one is ignored, so nothing interrupts the cleanup.

    A flag, not SIG_IGN set inside the handler: a signal that arrived while the first was
    being handled is still delivered to this handler afterwards, and must find it a no-op.
    Python runs signal handlers in the main thread only, one at a time.
    """

    def __init__(self) -> None:
        self.stopping = False

    def install(self) -> None:
        for signum in STOP_SIGNALS:  # explicit: a shell may start us with SIGINT ignored
            signal.signal(signum, self.handle)

    def handle(self, signum: int, frame: object) -> None:
        if self.stopping:
            return
        self.stopping = True
        raise KeyboardInterrupt

    def ignore_further(self) -> None:
        """The stack is stopping for another reason: no signal may interrupt that either."""
        self.stopping = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the service locally.")
    parser.add_argument("--port", type=int, default=8000, help="API port (default 8000; 0: a free port)")
    parser.add_argument("--moto-port", type=int, default=0, help="default: a free port")
    parser.add_argument(
        "--no-moto",
        dest="moto",
        action="store_false",
        help="start no moto server: use the endpoints and credentials of the environment",
    )
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_ROOT, help="default: this checkout")
    parser.add_argument("--log-dir", type=Path, default=None, help="default: <project>/.local/logs")
    parser.add_argument("--state-file", type=Path, default=None,
                        help="where the endpoints are named for `make job` (default: <project>/.local/stack.json)")
    args = parser.parse_args(argv)
    project_dir = args.project_dir.resolve()
    state_file = args.state_file or project_dir / ".local" / "stack.json"

    stop = StopSignals()
    stop.install()
    stack = None
    try:
        stack = start_stack(
            api_port=args.port,
            stage=args.stage,
            moto_port=args.moto_port,
            moto=args.moto,
            project_dir=project_dir,
            log_dir=args.log_dir or project_dir / ".local" / "logs",
            console=True,
        )
        write_state(state_file, stack, args.stage, project_dir)
        print(_banner(stack), flush=True)
        exited = stack.wait()
        stop.ignore_further()
        print(f"make run: {exited} exited; stopping the stack", file=sys.stderr)
        return 1
    except StackError as error:
        print(f"make run: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if stack is None:
            return 130
        print("\nstopping the stack", flush=True)
        return 0
    finally:
        stop.ignore_further()
        if stack is not None:
            remove_state(state_file)
            stack.stop()


if __name__ == "__main__":
    sys.exit(main())
