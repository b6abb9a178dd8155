"""Operator CLI: run any scheduled job once, as of an explicit time.

    python -m chalicelib.jobs list
    python -m chalicelib.jobs expire-coupons --now 2026-11-23T10:00:00Z [--budget-seconds N]
    make job NAME=expire-coupons NOW=2026-11-23T18:00:00+08:00   (against `make run`'s stack)

Jobs: expire-coupons, release-locks, remind-expiring, end-templates, release-instalments, release-pending,
expire-points
(`list` says what each does and how often it is scheduled). The table, queues and endpoints
come from the environment as for the app (MALL_TABLE, REMINDERS_QUEUE, AWS_*; `make job` sets
them to those of the stack `make run` serves, see dev/job.py). `--now` is ISO 8601 with `Z` or
an offset, in the years 2000-2199. Every job is
conditional per item, so running one by hand next to its schedule is harmless. The report goes
to stdout (a line, then JSON, last); log and metric records to stderr. Exit status 3 means the
budget ran out first: run it again to carry on.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from datetime import datetime, timezone

from chalicelib.jobs.budget import TimeBudget, Unlimited
from chalicelib.jobs.registry import JOBS, run


FIRST_YEAR, LAST_YEAR = 2000, 2199


def _moment(text: str) -> datetime:
    """An ISO 8601 time with `Z` or an offset, as UTC to the second."""
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None or not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise ValueError(text)
        moment = moment.astimezone(timezone.utc)
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise ValueError(text)
    except (ValueError, OverflowError) as exc:
        raise argparse.ArgumentTypeError(
            f"expected a time with its zone, like 2026-11-23T10:00:00Z or 2026-11-23T18:00:00+08:00, "
            f"in the years {FIRST_YEAR}-{LAST_YEAR}; got {text!r}") from exc
    return moment.replace(microsecond=0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.jobs", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="job", required=True)
    commands.add_parser("list", help="the jobs, what each does and its schedule")
    for job in JOBS.values():
        command = commands.add_parser(job.name, help=job.summary)
        command.add_argument("--now", type=_moment, required=True,
                             help="decide as of this time (ISO 8601 with Z or an offset)")
        command.add_argument("--budget-seconds", type=float, default=None,
                             help="stop after this long (default: run to the end)")
    return parser


def _log_to_stderr() -> None:
    """The service logger writes to stdout (Lambda's log); here stdout is the report's alone."""
    from chalicelib.observability import logger

    handler = logger.registered_handler
    if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
        handler.setStream(sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.job == "list":
        for job in JOBS.values():
            print(f"{job.name:<20} every {job.rate_minutes()} min ({job.rate_env})  {job.summary}")
        return 0
    budget = Unlimited() if args.budget_seconds is None else TimeBudget(args.budget_seconds)
    _log_to_stderr()
    with contextlib.redirect_stdout(sys.stderr):  # the job's metric records (EMF, for CloudWatch)
        report = run(args.job, args.now, budget)
    print(report.line())
    print(json.dumps(report.as_dict()))
    return 0 if report.finished else 3


if __name__ == "__main__":
    sys.exit(main())
