"""Operator CLI: run a scheduled job once, as of an explicit time.

    python -m chalicelib.jobs expire-coupons --now 2026-11-23T10:00:00Z [--budget-seconds N]
    python -m chalicelib.jobs release-instalments --now 2026-11-23T10:00:00Z

The table and endpoint come from the environment as for the app (MALL_TABLE, AWS_*). Every
job is conditional per item, so running one by hand next to its schedule is harmless.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from chalicelib.clock import parse_iso


def _moment(text: str) -> datetime:
    try:
        return parse_iso(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected UTC like 2026-11-23T10:00:00Z, got {text!r}") from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.jobs", description=__doc__.split("\n\n")[0])
    jobs = parser.add_subparsers(dest="job", required=True)
    expire = jobs.add_parser("expire-coupons", help="store unused coupons past their validity as expired")
    expire.add_argument("--now", type=_moment, required=True, help="decide as of this UTC time (…Z)")
    expire.add_argument("--budget-seconds", type=float, default=None,
                        help="stop after this long (default: run to the end)")
    release = jobs.add_parser("release-instalments", help="credit the full-return instalments due")
    release.add_argument("--now", type=_moment, required=True, help="decide as of this UTC time (…Z)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.job == "expire-coupons":
        from chalicelib.coupons import service
        from chalicelib.jobs.budget import TimeBudget, Unlimited

        budget = Unlimited() if args.budget_seconds is None else TimeBudget(args.budget_seconds)
        report = service.expire_due(args.now, budget)
        print(report.line())
        print(json.dumps(report.as_dict()))
        return 0 if report.finished else 3
    from chalicelib.rebates import settlement

    released = settlement.release_due(args.now)
    print(json.dumps({"job": "release-instalments", "as_of": args.now.isoformat(), "released": released}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
