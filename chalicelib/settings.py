"""Service settings, read once from the environment.

The stage's `environment_variables` in `.chalice/config.json` fill the environment on AWS
and under `chalice local`. Secrets are never in that file: `secret()` reads them from the
process environment (the local stack, tests) or, on AWS, from the SSM SecureString
parameter that `<NAME>_PARAM` names. Nothing here is read at import time.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built by the first get_settings(), not at import

    stage: str = "dev"
    table_name: str = Field(min_length=3)
    idempotency_ttl_seconds: int = 24 * 3600
    lock_ttl_seconds: int = Field(15 * 60, ge=1)
    tracing_enabled: bool = False
    # Payments (issue 4). Public keys and ids only: the webhook secret and the WeChat Pay
    # APIv3 key are secrets, read through `secret()`. A provider left unconfigured answers 503.
    payment_events_queue: str = Field("mall-dev-payment-events", min_length=1)
    # Scheduled jobs (docs/jobs.md): where expiry reminders go, and how long before a
    # coupon's validity ends its reminder is sent.
    reminders_queue: str = Field("mall-dev-coupon-reminders", min_length=1)
    reminder_days: int = Field(3, ge=0, le=365)
    wechatpay_platform_public_key: str | None = None
    alipay_public_key: str | None = None
    alipay_app_id: str | None = None


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings(
        stage=_env("MALL_STAGE", "dev"),
        table_name=_env("MALL_TABLE", "mall-dev"),
        idempotency_ttl_seconds=int(_env("MALL_IDEMPOTENCY_TTL_SECONDS", str(24 * 3600))),
        lock_ttl_seconds=int(_env("MALL_LOCK_TTL_SECONDS", str(15 * 60))),
        tracing_enabled=_env("POWERTOOLS_TRACE_DISABLED", "true").lower() != "true",
        payment_events_queue=_env("PAYMENT_EVENTS_QUEUE", "mall-dev-payment-events"),
        reminders_queue=_env("REMINDERS_QUEUE", "mall-dev-coupon-reminders"),
        reminder_days=int(_env("MALL_REMINDER_DAYS", "3")),
        wechatpay_platform_public_key=_env("WECHATPAY_PLATFORM_PUBLIC_KEY"),
        alipay_public_key=_env("ALIPAY_PUBLIC_KEY"),
        alipay_app_id=_env("ALIPAY_APP_ID"),
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
