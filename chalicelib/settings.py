"""Service settings, read once from the environment.

The stage's `environment_variables` in `.chalice/config.json` fill the environment on AWS
and under `chalice local`. Secrets are never in that file: `secret()` reads them from the
process environment (the local stack, tests) or, on AWS, from the SSM SecureString
parameter that `<NAME>_PARAM` names. Nothing here is read at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


# A dataclass checked by hand, not a pydantic model: every function reads the settings, and
# a schedule's run must not import pydantic for eleven values (docs/architecture.md, Cold starts).
@dataclass(frozen=True)
class Settings:
    table_name: str = "mall-dev"
    idempotency_ttl_seconds: int = 24 * 3600
    lock_ttl_seconds: int = 15 * 60
    # Payments (issue 4). Public keys and ids only: the webhook secret and the WeChat Pay
    # APIv3 key are secrets, read through `secret()`. A provider left unconfigured answers 503.
    payment_events_queue: str = "mall-dev-payment-events"
    # Scheduled jobs (docs/jobs.md): where expiry reminders go, and how long before a
    # coupon's validity ends its reminder is sent.
    reminders_queue: str = "mall-dev-coupon-reminders"
    reminder_days: int = 3
    wechatpay_platform_keys: str | None = None  # JSON {"<Wechatpay-Serial>": "<public key>"}
    alipay_public_key: str | None = None
    alipay_app_id: str | None = None
    # How long a function keeps its copy of the programme settings (chalicelib/programme/store.py).
    settings_cache_seconds: int = 30


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _text(name: str, default: str, min_length: int = 1) -> str:
    value = os.environ.get(name) or default
    if len(value) < min_length:
        raise ValueError(f"{name} must be at least {min_length} characters long; it is {value!r}")
    return value


def _whole(name: str, default: int, low: int, high: int | None = None) -> int:
    raw = os.environ.get(name) or str(default)
    try:
        value: int | None = int(raw)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ValueError(f"{name} must be a whole number {bounds}; it is {raw!r}")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings from the environment; a bad value raises ValueError naming its variable."""
    return Settings(
        table_name=_text("MALL_TABLE", "mall-dev", min_length=3),
        idempotency_ttl_seconds=_whole("MALL_IDEMPOTENCY_TTL_SECONDS", 24 * 3600, 1),
        lock_ttl_seconds=_whole("MALL_LOCK_TTL_SECONDS", 15 * 60, 1),
        payment_events_queue=_text("PAYMENT_EVENTS_QUEUE", "mall-dev-payment-events"),
        reminders_queue=_text("REMINDERS_QUEUE", "mall-dev-coupon-reminders"),
        reminder_days=_whole("MALL_REMINDER_DAYS", 3, 0, 365),
        wechatpay_platform_keys=_env("WECHATPAY_PLATFORM_KEYS"),
        alipay_public_key=_env("ALIPAY_PUBLIC_KEY"),
        alipay_app_id=_env("ALIPAY_APP_ID"),
        settings_cache_seconds=_whole("MALL_SETTINGS_CACHE_SECONDS", 30, 0, 3600),
    )


SECRET_MAX_AGE_SECONDS = 300


def secret(name: str) -> str | None:
    """The secret `name`: the environment variable itself, else the SSM parameter named by
    `<name>_PARAM` (decrypted, cached for five minutes, so a rotation needs no deploy)."""
    value = _env(name)
    if value is not None:
        return value
    parameter = _env(f"{name}_PARAM")
    if parameter is None:
        return None
    from aws_lambda_powertools.utilities import parameters  # only functions that need SSM pay for it

    return parameters.get_parameter(parameter, decrypt=True, max_age=SECRET_MAX_AGE_SECONDS)
