"""Service settings, read once from the environment.

The stage's `environment_variables` in `.chalice/config.json` fill the environment on AWS
and under `chalice local`; secrets come from the process environment (locally) or from the
deploy template (on AWS). Nothing here is read at import time.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field, SecretStr


class Settings(BaseModel):
    stage: str = "dev"
    table_name: str = Field(min_length=3)
    jwt_secret: SecretStr | None = None
    idempotency_ttl_seconds: int = 24 * 3600
    tracing_enabled: bool = False


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings(
        stage=_env("MALL_STAGE", "dev"),
        table_name=_env("MALL_TABLE", "mall-dev"),
        jwt_secret=_env("MALL_JWT_SECRET"),
        idempotency_ttl_seconds=int(_env("MALL_IDEMPOTENCY_TTL_SECONDS", str(24 * 3600))),
        tracing_enabled=_env("POWERTOOLS_TRACE_DISABLED", "true").lower() != "true",
    )
