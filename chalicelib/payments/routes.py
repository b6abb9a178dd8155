"""Payment provider webhooks: public routes, each provider authenticated by its signature.

The generic webhook answers in API.md's JSON shapes. WeChat Pay and Alipay expect their
own answers (WeChat: 204 with no body, failures `{"code": "FAIL", "message"}`; Alipay: the
body `success` exactly, failures `fail`), so their views catch the domain errors
themselves, map them to a status through the same error table as `web.endpoint`, and
return the provider's `Response`, which `endpoint` passes through. Each also gives `endpoint`
its failure answer (`refuse`), so that whatever else refuses a request on its path (a wrong
method or content type, which Chalice refuses before the view) answers in the provider's shape
too, never in API.md's. Every view hands the service `raw_body`: signatures are over the exact
bytes received.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Callable

from chalice import Blueprint, Response

from chalicelib.errors import DomainError, http_status
from chalicelib.lazy import lazy_module
from chalicelib.observability import logger
from chalicelib.web import PUBLIC, RequestContext, endpoint

if TYPE_CHECKING:  # what a type checker reads; at run time the same names, bound lazily below
    from chalicelib.payments import models, service
else:  # loaded by the first webhook call, not by `import app` (chalicelib.lazy): the webhook
    # service brings RSA and AES from `cryptography` and the providers' payload models, which
    # only the API's webhook calls need.
    models = lazy_module("chalicelib.payments.models")
    service = lazy_module("chalicelib.payments.service")

bp = Blueprint(__name__)
FORM = "application/x-www-form-urlencoded"


@endpoint(bp, "/webhooks/payments/generic", methods=("POST",), auth=PUBLIC)
def generic_webhook(ctx: RequestContext) -> models.Received:
    """A signed payment event (X-Mall-Signature: t=..,v1=HMAC-SHA256); 200 once it is queued."""
    return service.receive_generic(ctx.request.headers, ctx.raw_body, ctx.now)


WECHAT_FAILURE = ("application/json", {"type": "object", "required": ["code", "message"],
                                       "properties": {"code": {"const": "FAIL"}, "message": {"type": "string"}}})


def _wechat_failure(status: int, message: str) -> Response:
    body = json.dumps({"code": "FAIL", "message": message}, ensure_ascii=False)
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json"})


def _alipay_failure(status: int, _message: str) -> Response:
    return _text("fail", status)


@endpoint(bp, "/webhooks/payments/wechatpay", methods=("POST",), auth=PUBLIC, status=204, failure=WECHAT_FAILURE,
          refuse=_wechat_failure)
def wechatpay_webhook(ctx: RequestContext) -> Response:
    """A WeChat Pay API v3 notification; 204 once it is queued, else 4xx/5xx {"code": "FAIL"}."""
    return _answer(lambda: service.receive_wechatpay(ctx.request.headers, ctx.raw_body, ctx.now),
                   lambda: Response(body="", status_code=204), _wechat_failure)


@endpoint(bp, "/webhooks/payments/alipay", methods=("POST",), auth=PUBLIC, content_types=[FORM],
          produces=("text/plain",), failure=("text/plain", {"type": "string", "const": "fail"}), refuse=_alipay_failure)
def alipay_webhook(ctx: RequestContext) -> Response:
    """An Alipay asynchronous notification (form, RSA2); the body `success` once it is queued."""
    return _answer(lambda: service.receive_alipay(ctx.raw_body, ctx.now),
                   lambda: _text("success"), _alipay_failure)


def _answer(receive: Callable[[], object], success: Callable[[], Response],
            failure: Callable[[int, str], Response]) -> Response:
    """Run `receive`; answer `success()`, or `failure(status, message)` and never a traceback."""
    try:
        receive()
    except DomainError as exc:
        status = http_status(exc)
        logger.warning("webhook refused", extra={"status": status, "error": type(exc).__name__, "reason": exc.message})
        return failure(status, exc.message)
    except Exception:  # noqa: BLE001 - the provider gets its own failure shape, and retries
        logger.exception("webhook failed")
        return failure(500, "Internal error; retry later.")
    return success()


def _text(text: str, status: int = 200) -> Response:
    return Response(body=text, status_code=status, headers={"Content-Type": "text/plain; charset=utf-8"})
