"""HTTP glue shared by every blueprint: the app class, the `endpoint` decorator, error
mapping and the request middleware.

`endpoint` is where API.md's conventions live, once: authentication and roles (the one table
of `chalicelib.access`), pydantic validation of path, query and body (from the view's type
hints: a path value that fails is
404 `NOT_FOUND`, since a path that cannot exist names nothing; a bad query or body is 400),
the Idempotency-Key protocol, and the error table of `chalicelib.errors`. It must wrap the
view itself: Chalice turns any exception that is not a `ChaliceViewError` into a 500 before
middleware sees it. A view receives a `RequestContext` and its validated arguments and returns a
pydantic model (or None for 204).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, cast, get_type_hints

from chalice import Response
from chalice.app import Request

from chalicelib import idempotency as idem
from chalicelib import access
from chalicelib.auth import Principal, authenticate
from chalicelib.clock import utcnow
from chalicelib.errors import DomainError, NotFound, ValidationFailed, error_body, http_status, validation_details
from chalicelib.lazy import lazy_module
from chalicelib.observability import logger, metrics
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    import pydantic
    from pydantic import BaseModel, TypeAdapter
else:  # on the first request: every function imports this module, not every one validates
    pydantic = lazy_module("pydantic")

# `auth`: PUBLIC needs no token, USER any valid token, OPERATOR (an /admin route) one of the roles
# that chalicelib.access.ROUTES admits for the route's method and path (none without a row).
PUBLIC, USER, OPERATOR = "public", "user", "operator"
PATH_PARAM = re.compile(r"{(\w+)}")
# A caller's X-Request-Id is echoed and logged only if it is 1-128 visible ASCII characters
# (no spaces, no controls); otherwise the request gets a new id, and the bad one goes nowhere.
REQUEST_ID = re.compile(r"[!-~]{1,128}")


@dataclass(frozen=True)
class Endpoint:
    """What `endpoint` registered: requests are served and the OpenAPI document is built from it.

    Everything that comes from the view's type hints (its body, query, path and response
    types, and the pydantic validators for them) is resolved on first use and cached here,
    not when the module is imported: every Lambda function imports every route module, so
    building them at import made each cold start pay for every route's models. A cold
    function builds only what its first requests touch (docs/architecture.md, Cold starts).
    """

    path: str
    methods: tuple[str, ...]
    auth: str
    status: int
    summary: str
    idempotent: bool
    content_types: tuple[str, ...]
    produces: tuple[str, ...]
    failure: tuple[str, dict[str, Any]] | None
    view: Callable[..., Any]
    refuse: Callable[[int, str], Response] | None = None
    exists: Callable[..., None] | None = None
    cache_seconds: int | None = None

    @cached_property
    def hints(self) -> dict[str, Any]:
        return get_type_hints(self.view, include_extras=True)

    @property
    def body(self) -> Any:
        return self.hints.get("body")

    @property
    def query(self) -> Any:
        return self.hints.get("query")

    @property
    def response(self) -> Any:
        return self.hints.get("return")

    @property
    def path_params(self) -> dict[str, Any]:
        return {name: self.hints.get(name, str) for name in PATH_PARAM.findall(self.path)}

    @cached_property
    def path_adapters(self) -> dict[str, TypeAdapter[Any]]:
        return {name: pydantic.TypeAdapter(annotation) for name, annotation in self.path_params.items()}

    @cached_property
    def query_adapter(self) -> TypeAdapter[Any] | None:
        return None if self.query is None else pydantic.TypeAdapter(self.query)


ENDPOINTS: list[Endpoint] = []


@dataclass
class RequestContext:
    request: Request
    principal: Principal | None
    now: datetime
    idempotency: idem.Idempotency | None = None

    @property
    def user_id(self) -> str:
        assert self.principal is not None
        return self.principal.user_id

    @property
    def raw_body(self) -> bytes:
        return raw_body(self.request)


def raw_body(request: Request) -> bytes:
    """The body exactly as received (b"" for none). Chalice annotates `raw_body` as `str | bytes`
    but returns bytes only: decoded from base64, or the event's text encoded as UTF-8."""
    return cast(bytes, request.raw_body)


def endpoint(blueprint: Any, path: str, *, methods: tuple[str, ...] = ("GET",), auth: str = USER,
             status: int = 200, idempotent: bool = False, content_types: list[str] | None = None,
             produces: tuple[str, ...] = ("application/json",),
             failure: tuple[str, dict[str, Any]] | None = None,
             refuse: Callable[[int, str], Response] | None = None,
             exists: Callable[..., None] | None = None, cache_seconds: int | None = None,
             ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn(ctx, **validated)` as a route; see the module docstring.

    `produces` and `failure` only document a view that answers in its own format (a page,
    a CSV file, a payment provider's reply): its media types, and the media type and schema
    of its refusals when they are not API.md's error shape. Such a view gives `refuse`
    (status, message) -> Response too, and then every refusal on its path is answered by it:
    its own, this module's, and the ones Chalice makes before the view runs (405, 415).
    `exists(**path_values)` raises NotFound when well-formed path values name nothing (a user
    id is any token's `sub`): it runs before the body is read, so such a path is 404 whatever
    the body. `cache_seconds`: a success may be cached that long by anyone (a public
    read). Registration reads no type hints (see `Endpoint`): it costs a route table entry,
    not a validator.
    """

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        spec = Endpoint(
            path=path, methods=tuple(methods), auth=auth, status=status,
            summary=(fn.__doc__ or fn.__name__.replace("_", " ")).strip().splitlines()[0],
            idempotent=idempotent, content_types=tuple(content_types or ["application/json"]),
            produces=produces, failure=failure, view=fn, refuse=refuse, exists=exists,
            cache_seconds=cache_seconds,
        )

        def handle(**path_params: str) -> Response:
            try:
                return _serve(spec, blueprint.current_request, path_params)
            except Exception as exc:  # noqa: BLE001 - every failure becomes an API.md error
                return _error_response(exc, spec.refuse)

        handle.__name__ = fn.__name__
        handle.__doc__ = fn.__doc__
        route_kwargs: dict[str, Any] = {"methods": list(methods)}
        if content_types:
            route_kwargs["content_types"] = content_types
        blueprint.route(path, **route_kwargs)(handle)
        ENDPOINTS.append(spec)
        return fn

    return register


def _serve(endpoint: Endpoint, request: Request, path_params: dict[str, str]) -> Response:
    """Authenticate, validate, run the view under the Idempotency-Key protocol, answer JSON."""
    principal = None if endpoint.auth == PUBLIC else authenticate(request.headers)
    if principal is not None and endpoint.auth == OPERATOR:  # not PUBLIC, so authenticated
        access.require(principal.roles, request.method, endpoint.path)
    kwargs: dict[str, Any] = {
        name: _path_value(adapter, path_params[name], name) for name, adapter in endpoint.path_adapters.items()
    }
    if endpoint.exists is not None:
        endpoint.exists(**kwargs)
    if endpoint.body is not None:
        kwargs["body"] = parse_body(endpoint.body, raw_body(request))
    if endpoint.query_adapter is not None:
        kwargs["query"] = _validate(endpoint.query_adapter, dict(request.query_params or {}), None)
    ctx = RequestContext(request=request, principal=principal, now=utcnow())
    if endpoint.idempotent and principal is not None:
        ctx.idempotency = _idempotency(request, endpoint.path, path_params, principal, ctx.now, endpoint.status)
        stored = ctx.idempotency and ctx.idempotency.lookup()
        if stored:
            return _json(stored.status, stored.body, replayed=True)
    try:
        result = endpoint.view(ctx, **kwargs)
    except idem.Replay:
        stored = ctx.idempotency.lookup() if ctx.idempotency else None
        if stored is None:
            raise
        return _json(stored.status, stored.body, replayed=True)
    except DomainError as exc:
        code_status = http_status(exc)
        if ctx.idempotency is None or code_status != 409:
            raise
        stored = ctx.idempotency.remember_refusal(code_status, _error_payload(exc))
        return _json(stored.status, stored.body)
    if result is None:
        return Response(body="", status_code=204)
    if isinstance(result, Response):  # a view answering in another format (text/csv)
        return result
    response = _json(endpoint.status,
                     result.model_dump(mode="json") if isinstance(result, pydantic.BaseModel) else result)
    if endpoint.cache_seconds is not None:
        response.headers["Cache-Control"] = f"public, max-age={endpoint.cache_seconds}"
    return response


def parse_body(model: type[BaseModel], raw: bytes | None) -> BaseModel:
    try:
        return model.model_validate_json(raw or b"{}")
    except pydantic.ValidationError as exc:
        raise ValidationFailed("The request body is not valid; see details.", validation_details(exc, "body")) from exc


def _path_value(adapter: TypeAdapter[Any], value: str, name: str) -> Any:
    """A path names a resource: one that cannot exist, whatever its shape, is 404, not 400."""
    try:
        return adapter.validate_python(value)
    except pydantic.ValidationError as exc:
        noun = name.removesuffix("_id").replace("_", " ")
        raise NotFound(f"No such {noun}.") from exc


def _validate(adapter: TypeAdapter[Any], value: Any, field: str | None) -> Any:
    try:
        return adapter.validate_python(value)
    except pydantic.ValidationError as exc:
        raise ValidationFailed("The request is not valid; see details.", validation_details(exc, field or "query")) from exc


def _idempotency(request: Request, path: str, path_params: dict[str, str], principal: Principal,
                 now: datetime, status: int) -> idem.Idempotency | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    concrete_path = PATH_PARAM.sub(lambda m: path_params[m.group(1)], path)
    return idem.Idempotency(
        scope=principal.user_id, key=idem.validate_key(key),
        fingerprint=idem.fingerprint(request.method, concrete_path, raw_body(request)),
        now=now, status=status, ttl_seconds=get_settings().idempotency_ttl_seconds,
    )


def _json(status: int, body: Any, replayed: bool = False) -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status, headers=headers)


def _error_payload(exc: DomainError) -> dict[str, Any]:
    return error_body(exc.code, exc.message, exc.details)


def _error_response(exc: Exception, refuse: Callable[[int, str], Response] | None = None) -> Response:
    if isinstance(exc, DomainError):
        status = http_status(exc)
        if status >= 500 or status == 429:
            logger.warning("request refused", extra={"error": type(exc).__name__, "status": status})
        return refuse(status, exc.message) if refuse else _json(status, _error_payload(exc))
    logger.exception("unhandled error")
    message = "Something went wrong on our side; retry later."
    return refuse(500, message) if refuse else _json(500, error_body("INTERNAL_ERROR", message))


# Chalice answers some requests itself (415, 405, a body it cannot decode) in its own
# shape `{"Code", "Message"}`; the middleware rewrites those into API.md's shape, or into
# the route's own (`refuse`: a payment provider's).
_CHALICE_CODES = {400: "VALIDATION_ERROR", 403: "FORBIDDEN", 404: "NOT_FOUND",
                  405: "METHOD_NOT_ALLOWED", 415: "UNSUPPORTED_MEDIA_TYPE", 500: "INTERNAL_ERROR"}


def _conform(response: Response, request: Request | None) -> Response:
    body = response.body
    if not (response.status_code >= 400 and isinstance(body, dict) and "Code" in body and "error" not in body):
        return response
    status = response.status_code
    path = request.context.get("resourcePath") if request else None
    served = [e for e in ENDPOINTS if e.path == path]
    message = str(body.get("Message", "")) if status < 500 else "Something went wrong on our side."
    if status == 415:
        method = request.method if request else None
        accepted = sorted({t for e in served if method in e.methods for t in e.content_types}) or ["application/json"]
        message = f"Unsupported media type: send Content-Type: {' or '.join(accepted)}."
    refuse = next((e.refuse for e in served if e.refuse is not None), None)
    if refuse is not None:
        refused = refuse(status, message)
        refused.headers = {**response.headers, **refused.headers}  # keeps a 405's Allow
        return refused
    response.body = error_body(_CHALICE_CODES.get(status, "ERROR"), message)
    return response


def _request_id(request: Request | None) -> str:
    sent = request.headers.get("x-request-id") if request else None
    return sent if sent is not None and REQUEST_ID.fullmatch(sent) else str(uuid.uuid4())


def http_middleware(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """Correlation id, one structured access log line, metrics flush, error shape."""
    correlation_id = _request_id(request)
    logger.thread_safe_append_keys(correlation_id=correlation_id)
    started = time.perf_counter()
    try:
        response = _conform(get_response(request), request)
        response.headers["X-Request-Id"] = correlation_id
        logger.info("request", extra={
            "method": request.method if request else None,
            "path": request.context.get("resourcePath") if request else None,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        })
        return response
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()
            metrics.clear_metrics()  # with POWERTOOLS_METRICS_DISABLED, flush keeps them: never let them pile up
        logger.thread_safe_clear_keys()
