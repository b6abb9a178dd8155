"""Serves the console and mall pages and their assets from `static/`, which Chalice packages
with the app. The pages are public; every API call they make carries the signed-in bearer token.

Layout: `static/<page>/index.html` is the page, `static/<page>/<name>` its own assets and
`static/shared/<name>` the modules and styles both pages use, served under each page's path
(`/console/api.js` and `/mall/api.js` are the same file), so a page only loads from its own URL
space and relative URLs work behind API Gateway's stage prefix too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib.errors import NotFound
from chalicelib.lazy import lazy_module
from chalicelib.web import PUBLIC, RequestContext, endpoint

if TYPE_CHECKING:
    from chalicelib import models as common
else:  # AssetName, on an asset's first request (chalicelib.lazy)
    common = lazy_module("chalicelib.models")

bp = Blueprint(__name__)

STATIC = Path(__file__).parent / "static"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
# Everything comes from this origin: no CDN, no web font, no inline script (charts are SVG drawn by
# the page's own modules; a CSV download is a blob: URL).
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@endpoint(bp, "/console", auth=PUBLIC, produces=("text/html",))
def console_page(ctx: RequestContext) -> Response:
    """The operators' console (HTML): sign in with an operator's token."""
    return _serve("console", "index.html")


@endpoint(bp, "/console/{asset}", auth=PUBLIC, produces=("text/javascript", "text/css"))
def console_asset(ctx: RequestContext, asset: common.AssetName) -> Response:
    """A script or stylesheet of the console."""
    return _serve("console", asset)


@endpoint(bp, "/mall", auth=PUBLIC, produces=("text/html",))
def mall_page(ctx: RequestContext) -> Response:
    """The shoppers' mall page (HTML): vouchers to claim, the wallet, a cart with a quote."""
    return _serve("mall", "index.html")


@endpoint(bp, "/mall/{asset}", auth=PUBLIC, produces=("text/javascript", "text/css"))
def mall_asset(ctx: RequestContext, asset: common.AssetName) -> Response:
    """A script or stylesheet of the mall page."""
    return _serve("mall", asset)


def _serve(page: str, name: str) -> Response:
    for folder in (STATIC / page, STATIC / "shared"):
        path = folder / name
        if path.is_file():
            headers: dict[str, str | list[str]] = {"Content-Type": CONTENT_TYPES[path.suffix], **SECURITY_HEADERS}
            return Response(body=path.read_text(encoding="utf-8"), status_code=200, headers=headers)
    raise NotFound(f"No asset named {name} on the {page} page.")
