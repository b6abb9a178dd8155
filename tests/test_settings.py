"""Settings come from the environment; a bad value names its variable and what it must be."""

from __future__ import annotations

import pytest

from chalicelib.settings import get_settings


@pytest.fixture(autouse=True)
def fresh_settings():
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_defaults_and_overrides(monkeypatch):
    monkeypatch.setenv("MALL_LOCK_TTL_SECONDS", "120")
    monkeypatch.setenv("MALL_REMINDER_DAYS", "0")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    monkeypatch.delenv("MALL_IDEMPOTENCY_TTL_SECONDS", raising=False)

    settings = get_settings()

    assert (settings.lock_ttl_seconds, settings.reminder_days, settings.tracing_enabled) == (120, 0, True)
    assert settings.idempotency_ttl_seconds == 24 * 3600


@pytest.mark.parametrize(("name", "value", "message"), [
    ("MALL_LOCK_TTL_SECONDS", "0", "MALL_LOCK_TTL_SECONDS must be a whole number of at least 1; it is '0'"),
    ("MALL_LOCK_TTL_SECONDS", "15m", "MALL_LOCK_TTL_SECONDS must be a whole number of at least 1; it is '15m'"),
    ("MALL_REMINDER_DAYS", "400", "MALL_REMINDER_DAYS must be a whole number from 0 to 365; it is '400'"),
    ("MALL_TABLE", "ab", "MALL_TABLE must be at least 3 characters long; it is 'ab'"),
])
def test_a_bad_value_is_refused_with_its_name(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)

    with pytest.raises(ValueError) as refused:
        get_settings()

    assert str(refused.value) == message
