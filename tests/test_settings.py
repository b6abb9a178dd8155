"""Secrets: from the environment locally, from SSM SecureString parameters on AWS."""

from __future__ import annotations

import boto3
from moto import mock_aws

from chalicelib.settings import secret


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
