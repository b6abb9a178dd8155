"""Operator CLI: run any scheduled job once, as of an explicit time.

    python -m chalicelib.jobs list
    python -m chalicelib.jobs expire-coupons --now 2026-11-23T10:00:00Z [--budget-seconds N]

Jobs: expire-coupons, release-locks, remind-expiring, end-templates, release-instalments
(`list` says what each does and how often it is scheduled). The table, queues and endpoints
come from the environment as for the app (MALL_TABLE, REMINDERS_QUEUE, AWS_*). Every job is
conditional per item, so running one by hand next to its schedule is harmless. The report goes
to stdout (a line, then JSON, last); metric records to stderr. Exit status 3 means the
budget ran out first: run it again to carry on.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from datetime import datetime

from chalicelib.clock import parse_iso
from chalicelib.jobs.budget import TimeBudget, Unlimited
from chalicelib.jobs.registry import JOBS, run


def _moment(text: str) -> datetime:
    try:
        return parse_iso(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected UTC like 2026-11-23T10:00:00Z, got {text!r}") from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.jobs", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="job", required=True)
    commands.add_parser("list", help="the jobs, what each does and its schedule")
    for job in JOBS.values():
        command = commands.add_parser(job.name, help=job.summary)
        command.add_argument("--now", type=_moment, required=True, help="decide as of this UTC time (…Z)")
        command.add_argument("--budget-seconds", type=float, default=None,
                             help="stop after this long (default: run to the end)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.job == "list":
        for job in JOBS.values():
            print(f"{job.name:<20} every {job.rate_minutes()} min ({job.rate_env})  {job.summary}")
        return 0
    budget = Unlimited() if args.budget_seconds is None else TimeBudget(args.budget_seconds)
    with contextlib.redirect_stdout(sys.stderr):  # the job's metric records (EMF, for CloudWatch)
        report = run(args.job, args.now, budget)
    print(report.line())
    print(json.dumps(report.as_dict()))
    return 0 if report.finished else 3


if __name__ == "__main__":
    sys.exit(main())
