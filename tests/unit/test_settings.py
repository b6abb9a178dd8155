"""Settings: read from the environment, a bad value refused with its variable's name; secrets
from the environment locally, from SSM SecureString parameters on AWS."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from chalicelib.settings import get_settings, secret


def test_an_environment_value_wins(monkeypatch):
    monkeypatch.setenv("MALL_JWT_SECRET", "from-env")
    monkeypatch.setenv("MALL_JWT_SECRET_PARAM", "/mall/test/jwt-secret")
    assert secret("MALL_JWT_SECRET") == "from-env"


def test_without_an_environment_value_the_ssm_parameter_is_read_decrypted(monkeypatch):
    monkeypatch.delenv("MALL_JWT_SECRET")
    monkeypatch.setenv("MALL_JWT_SECRET_PARAM", "/mall/test/jwt-secret-ssm")
    with mock_aws():
        boto3.client("ssm").put_parameter(Name="/mall/test/jwt-secret-ssm", Value="from-ssm", Type="SecureString")
        assert secret("MALL_JWT_SECRET") == "from-ssm"


def test_an_unset_secret_is_none(monkeypatch):
    monkeypatch.delenv("MALL_JWT_SECRET")
    monkeypatch.delenv("MALL_JWT_SECRET_PARAM", raising=False)
    assert secret("MALL_JWT_SECRET") is None


@pytest.fixture
def fresh_settings():
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_defaults_and_overrides(monkeypatch, fresh_settings):
    monkeypatch.setenv("MALL_LOCK_TTL_SECONDS", "120")
    monkeypatch.setenv("MALL_REMINDER_DAYS", "0")
    monkeypatch.delenv("MALL_IDEMPOTENCY_TTL_SECONDS", raising=False)

    settings = get_settings()

    assert (settings.lock_ttl_seconds, settings.reminder_days) == (120, 0)
    assert settings.idempotency_ttl_seconds == 24 * 3600


@pytest.mark.parametrize(("name", "value", "message"), [
    ("MALL_LOCK_TTL_SECONDS", "0", "MALL_LOCK_TTL_SECONDS must be a whole number of at least 1; it is '0'"),
    ("MALL_LOCK_TTL_SECONDS", "15m", "MALL_LOCK_TTL_SECONDS must be a whole number of at least 1; it is '15m'"),
    ("MALL_REMINDER_DAYS", "400", "MALL_REMINDER_DAYS must be a whole number from 0 to 365; it is '400'"),
    ("MALL_TABLE", "ab", "MALL_TABLE must be at least 3 characters long; it is 'ab'"),
])
def test_a_bad_value_is_refused_with_its_name(monkeypatch, fresh_settings, name, value, message):
    monkeypatch.setenv(name, value)

    with pytest.raises(ValueError) as refused:
        get_settings()

    assert str(refused.value) == message
