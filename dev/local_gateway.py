"""`chalice local` and `chalice.test.Client` answering a request for no route as AWS does here.

Chalice's local stand-in for API Gateway (`chalice.local.LocalGateway`) answers a path that
matches no route with API Gateway's default `403 {"message": "Missing Authentication Token"}`
(or, when an Authorization header is present, a 403 about SigV4 credentials), before the app
or its middleware sees the request. The deploy template replaces that answer on AWS with a
gateway response (MISSING_AUTHENTICATION_TOKEN: 404 in API.md's error shape, infra/package.py);
`install()` makes the local gateway give the same answer. `dev.stack` installs it in the
`chalice local` process it starts, and tests/conftest.py for chalice.test.Client and the
in-process local server. A plain `chalice local` keeps Chalice's answer.

Routes that match but lack the method still reach the app and get 405 `METHOD_NOT_ALLOWED`
(API Gateway answers those with the same gateway response, 404).
"""

from __future__ import annotations

import json
from typing import Any

import chalice.local
import chalice.test

from chalicelib.errors import NO_SUCH_ROUTE, error_body


class RouteNotFound(chalice.local.LocalGatewayException):
    CODE = 404


class ContractGateway(chalice.local.LocalGateway):
    """LocalGateway whose unmatched route is a 404 `NOT_FOUND` in API.md's error shape."""

    def _generate_lambda_event(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        try:
            return super()._generate_lambda_event(method, path, headers, body)
        except ValueError as exc:  # chalice's RouteMatcher: "No matching route found for: ..."
            answer = json.dumps(error_body("NOT_FOUND", NO_SUCH_ROUTE)).encode()
            raise RouteNotFound({"Content-Type": "application/json"}, answer) from exc


def install() -> None:
    """Use ContractGateway wherever chalice builds a LocalGateway from now on."""
    chalice.local.LocalGateway = ContractGateway  # ChaliceRequestHandler: chalice local's HTTP server
    chalice.test.LocalGateway = ContractGateway  # chalice.test.Client.http
