"""Scheduled jobs: what they share (time budgets, sweep reports), their schedules (routes.py)
and the operator CLI that runs any of them once with an explicit `--now` (__main__.py)."""
