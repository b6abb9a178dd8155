"""The console and mall pages and their assets, served by the app itself (chalice.test.Client;
the browser tests are in test_browser.py)."""

from __future__ import annotations

import json
import re

import pytest

from chalicelib.console.routes import STATIC

PAGES = ["console", "mall"]
# <script src>, <link href> in a page; `import ... from "./x.js"` in a module.
PAGE_REFERENCE = re.compile(r'(?:src|href)="(?P<page>console|mall)/(?P<name>[^"]+)"')
MODULE_IMPORT = re.compile(r'^import [^;]+ from "\./(?P<name>[^"]+)";$', re.MULTILINE)
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def fetch(api, path):
    response = api.client.http.get(path)
    return response.status_code, response.headers, response.body.decode()


@pytest.mark.parametrize("page", PAGES)
def test_a_page_is_html_served_without_a_token(api, page):
    status, headers, body = fetch(api, f"/{page}")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert f'<script type="module" src="{page}/app.js"></script>' in body


@pytest.mark.parametrize("page", PAGES)
def test_a_page_may_load_only_from_its_own_origin(api, page):
    _, headers, _ = fetch(api, f"/{page}")
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("page", PAGES)
def test_every_asset_a_page_loads_is_served_with_its_content_type(api, page):
    """Follows the page's script and stylesheets, then every module's imports."""
    _, _, html = fetch(api, f"/{page}")
    wanted = [m["name"] for m in PAGE_REFERENCE.finditer(html)]
    assert "app.js" in wanted and "app.css" in wanted
    seen = set()
    while wanted:
        name = wanted.pop()
        if name in seen:
            continue
        seen.add(name)
        status, headers, body = fetch(api, f"/{page}/{name}")
        assert status == 200, name
        assert headers["Content-Type"] == CONTENT_TYPES[name[name.rindex("."):]], name
        if name.endswith(".js"):
            wanted += [m["name"] for m in MODULE_IMPORT.finditer(body)]
    assert {"api.js", "session.js", "format.js"} <= seen


def test_the_shared_modules_are_the_same_file_under_both_pages(api):
    assert fetch(api, "/console/api.js")[2] == fetch(api, "/mall/api.js")[2]


def test_an_unknown_asset_is_a_404_in_the_api_error_shape(api):
    status, headers, body = fetch(api, "/console/nothing-here.js")
    assert status == 404
    assert json.loads(body)["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("name", ["routes.py", "App.js", "index.html", ".hidden.js"])
def test_only_script_and_stylesheet_names_are_served_as_assets(api, name):
    status, _, body = fetch(api, f"/console/{name}")
    assert status == 404
    assert json.loads(body)["error"]["code"] == "NOT_FOUND"


def test_no_static_file_refers_to_another_origin():
    """No CDN, web font or remote script: the pages work with no internet."""
    svg_namespace = "http://www.w3.org/2000/svg"
    for path in STATIC.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8").replace(svg_namespace, "")
            assert not re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}", text), path
            assert "@import" not in text, path
