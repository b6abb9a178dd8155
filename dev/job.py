"""`make job NAME=<job> NOW=<time>`: run one scheduled job once, as of NOW, against the stack
that `make run` is serving from this checkout.

`make run` (dev.stack) names its endpoints in .local/stack.json while it serves and removes the
file when it stops. This reads it, checks that the stack still answers, builds the environment
the stack's own processes have (dev.stack.stack_environment: the stage's table and queue names,
credentials, region) with the stack's endpoints, and runs `python -m chalicelib.jobs <job>
--now <NOW>` in it. The job's report goes to stdout, its exit status is the CLI's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from dev.stack import PROJECT_ROOT, stack_environment

DEFAULT_STATE_FILE = PROJECT_ROOT / ".local" / "stack.json"


class NoStack(RuntimeError):
    """No stack is serving from this checkout; the message says what to do."""


def running_stack(state_file: Path) -> dict:
    """The state of the stack `make run` serves, or NoStack."""
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NoStack(f"no stack is running from this checkout ({state_file} does not exist): "
                      "start one with `make run`, then run the job again") from None
    except (OSError, ValueError) as error:
        raise NoStack(f"{state_file} cannot be read ({error}): restart `make run`") from None
    if not _alive(state["pid"]):
        raise NoStack(f"the stack named in {state_file} (process {state['pid']}) is not running any more: "
                      "start one with `make run`")
    try:
        with urllib.request.urlopen(f"{state['api_url']}/health", timeout=5) as response:
            healthy = response.status == 200
    except (urllib.error.URLError, OSError):
        healthy = False
    if not healthy:
        raise NoStack(f"the stack at {state['api_url']} does not answer GET /health: is `make run` still starting?")
    return state


def job_environment(state: Mapping, base: Mapping[str, str]) -> dict[str, str]:
    """The stack's children's environment, with the stack's endpoints (never the shell's)."""
    env = {k: v for k, v in base.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env = stack_environment(env, Path(state["project_dir"]), state["stage"], state["endpoints"])
    env["AWS_DEFAULT_REGION"] = state["region"]
    return env


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make job", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", nargs="?", default="", help="the job (make job NAME=...)")
    parser.add_argument("--now", default="", help="decide as of this ISO 8601 time (make job NOW=...)")
    parser.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE)
    args = parser.parse_args(argv)
    if args.name == "list":
        return subprocess.run([sys.executable, "-m", "chalicelib.jobs", "list"], cwd=PROJECT_ROOT,
                              check=False).returncode
    if not args.name or not args.now:
        print("make job: say which job and as of when, e.g. "
              "make job NAME=expire-coupons NOW=2026-11-23T10:00:00Z (the jobs: make job NAME=list)",
              file=sys.stderr)
        return 2
    try:
        state = running_stack(args.state_file)
    except NoStack as error:
        print(f"make job: {error}", file=sys.stderr)
        return 1
    command = [sys.executable, "-m", "chalicelib.jobs", args.name, "--now", args.now]
    return subprocess.run(command, cwd=state["project_dir"], env=job_environment(state, os.environ),
                          check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
