"""Modules imported on first use, for the route modules that every function imports.

Every Lambda function of the service (the API, the SQS consumer, each schedule) imports
`app.py` and with it every route module, so a route module names its service and its
models through `lazy_module`: its views' type hints are strings (PEP 563) that
`web.Endpoint` resolves on the route's first request, and its views call the service only
then. So `import app` loads neither pydantic nor any model (docs/architecture.md, Cold starts).
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands for the module `name`, imported on the first attribute read.

    Thread-safe with no lock of its own: `importlib.import_module` holds the import
    system's per-module lock, so concurrent first requests import the module once and the
    others wait for it to finish. (The standard library's `importlib.util.LazyLoader` is not
    thread-safe before Python 3.12: CPython gh-114763.)
    """

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str) -> Any:
    """The module `name`, imported when one of its attributes is first read."""
    return LazyModule(name)
