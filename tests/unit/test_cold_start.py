"""What `import app` does, which every Lambda function of the service pays on a cold start
(each imports app.py): it loads no module that only some functions use, pydantic and every
model among them, and a model module, once a request loads it, builds no validator until a
model is used (docs/architecture.md, "Cold starts"). No timings here; `make bench` measures
them (bench/cold_start.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from pydantic import BaseModel

from tests.helpers import REPO_ROOT

ROOT = REPO_ROOT

# Each is loaded on first use by the functions that need it, never by `import app`.
HEAVY = {
    "pydantic": "the models and validators: a route's first request, the consumer's first batch",
    "chalicelib.models": "the shared pydantic types, by the route modules' lazy_module",
    "chalicelib.coupons.models": "a coupon route's first request",
    "chalicelib.rebates.models": "a rebate route's first request",
    "chalicelib.payments.models": "the webhooks and the consumer",
    "chalicelib.coupons.templates": "a coupon route's first request",
    "chalicelib.coupons.checkout": "a coupon route's first request",
    "chalicelib.orders.models": "the quote's first request",
    "chalicelib.orders.quotes": "the quote's first request",
    "chalicelib.rebates.rules": "a rebate rule route's first request",
    "chalicelib.rebates.accounts": "an account route's first request",
    "chalicelib.rebates.withdrawals": "a withdrawal route's first request",
    "jwt": "PyJWT (and with it cryptography): the first authenticated request",
    "cryptography": "the payment webhooks' signatures",
    "aws_xray_sdk": "the Tracer, when tracing is on",
    "aws_lambda_powertools.utilities.batch": "the SQS consumer",
    "aws_lambda_powertools.utilities.parameters": "secrets read from SSM",
    "chalicelib.payments.service": "the payment webhooks",
    "chalicelib.rebates.settlement": "the SQS consumer and the instalment schedule",
    "chalicelib.openapi": "GET /openapi.json",
}

AFTER_IMPORT = """
import json, sys
import app
print(json.dumps(sorted(sys.modules)))
"""

# What a cold API function loads on its first request, at most: every model module.
AFTER_MODELS = """
import json, sys
import app
from pydantic import BaseModel
from chalicelib import models
from chalicelib.coupons import models, checkout, issuing, minting, templates, wallet
from chalicelib.orders import models, quotes
from chalicelib.payments import models, payloads
from chalicelib.rebates import accounts, models, rules, withdrawals

def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)

ours = {c for c in subclasses(BaseModel) if c.__module__.startswith("chalicelib")}
print(json.dumps({
    "models": sorted(f"{c.__module__}.{c.__qualname__}" for c in ours),
    "built": sorted(f"{c.__module__}.{c.__qualname__}" for c in ours if c.__pydantic_complete__),
}))
"""


def _in_a_new_process(code: str):
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "true"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def test_import_app_loads_no_module_that_only_some_functions_use():
    modules = set(_in_a_new_process(AFTER_IMPORT))

    loaded = {name: why for name, why in HEAVY.items() if name in modules}

    assert loaded == {}, "import lazily: chalicelib.lazy in a route module, inside the function elsewhere"


def test_loading_the_models_builds_no_validator():
    state = _in_a_new_process(AFTER_MODELS)

    assert len(state["models"]) > 40  # the check below saw the models
    assert state["built"] == [], "give these model_config = ConfigDict(defer_build=True)"


def test_every_route_resolves_its_types_and_builds_its_validators():
    """Resolved lazily on a route's first request; a bad type hint must fail here, not there."""
    import app  # noqa: F401 - registers every route
    from chalicelib.web import ENDPOINTS

    assert len(ENDPOINTS) > 40
    for endpoint in ENDPOINTS:
        assert set(endpoint.path_adapters) == set(endpoint.path_params), endpoint.path
        endpoint.query_adapter  # noqa: B018 - builds the query validator
        for model in (endpoint.body, endpoint.response):
            if isinstance(model, type) and issubclass(model, BaseModel):
                model.model_rebuild()
                assert model.__pydantic_complete__, f"{endpoint.path}: {model.__name__} does not build"
