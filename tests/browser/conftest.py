"""Fixtures of the browser tests: one Chromium per module, and a `Session` of pages per
viewport (`session`, each test on both) or on the desktop alone (`desktop`). The local stack is
the root conftest's `stack`."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.pages import CHROMIUM, CHROMIUM_ARGS, VIEWPORTS, Session


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def desktop(request, browser):
    opened = Session(browser, "desktop", request.node.originalname)
    yield opened
    opened.close()
    assert opened.errors == [], "uncaught errors in the page"


@pytest.fixture(params=list(VIEWPORTS))
def session(request, browser):
    opened = Session(browser, request.param, request.node.originalname)
    yield opened
    opened.close()
    assert opened.errors == [], "uncaught errors in the page"
