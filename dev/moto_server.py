"""A moto server that applies one request at a time.

moto keeps its state in plain Python objects without locks (its FAQ says it is not
concurrency-safe): 200 concurrent conditional decrements of a stock of 100 succeeded up
to 102 times against plain `moto_server`. Races are exactly what this service has to get
right, so the local stack serializes moto: a WSGI middleware holds one lock while moto
handles a request and while the response body is produced (Flask may build it lazily).
moto is bound by the GIL anyway, so this costs no measurable throughput.

One request type cannot hold the lock throughout: an SQS long poll. moto waits inside
ReceiveMessage, so holding the lock meanwhile would stall every other client, including
the SendMessage the poller waits for. The middleware turns such a request into short
polls, each under the lock, repeated until a message arrives or the requested
WaitTimeSeconds has passed. It understands SQS's JSON protocol, which current AWS SDKs
use. A ReceiveMessage without WaitTimeSeconds is a short poll here, even on a queue whose
ReceiveMessageWaitTimeSeconds is set.

The server is built as moto's own `moto/moto_server/threaded_moto_server.py` builds it.
moto's state belongs to the process, not to a server: two servers in one process (or a
server and `mock_aws`) share it, and `reset()` empties it for all of them; the lock only
orders the requests of one server. Run it alone with `python -m dev.moto_server --port N`.
"""

from __future__ import annotations

import argparse
import io
import json
import signal
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

from moto.core.common_models import BaseModel
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

Response = tuple[str, list[tuple[str, str]], bytes]

_RECEIVE_MESSAGE_TARGET = "AmazonSQS.ReceiveMessage"
_SHORT_POLL_INTERVAL = 0.05


class SerializingMiddleware:
    """WSGI middleware: one request at a time through the wrapped app."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET") == _RECEIVE_MESSAGE_TARGET:
            status, headers, body = self._receive_message(environ)
        else:
            status, headers, body = self._apply(environ)
        start_response(status, headers)
        return [body]

    def _apply(self, environ: dict[str, Any]) -> Response:
        """Run the app under the lock and collect its whole response before releasing."""
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return chunks.append

        with self._lock:
            result = self._app(environ, capture)
            try:
                chunks.extend(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return captured["status"], captured["headers"], b"".join(chunks)

    def _receive_message(self, environ: dict[str, Any]) -> Response:
        """Emulate a long poll with short polls so the lock is free while waiting."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length)
        try:
            request = json.loads(raw)
            wait_seconds = request.get("WaitTimeSeconds", 0)
        except (ValueError, AttributeError):
            request, wait_seconds = None, None
        if not isinstance(wait_seconds, int) or not 0 <= wait_seconds <= 20:
            return self._apply(_with_body(environ, raw))  # let moto report the error

        short_poll = json.dumps({**request, "WaitTimeSeconds": 0}).encode()
        deadline = time.monotonic() + wait_seconds
        while True:
            status, headers, body = self._apply(_with_body(environ, short_poll))
            if (
                not status.startswith("200")
                or json.loads(body or b"{}").get("Messages")
                or time.monotonic() >= deadline
            ):
                return status, headers, body
            time.sleep(_SHORT_POLL_INTERVAL)


def _with_body(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    return {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}


# Services whose model objects moto should not keep a reference to (see stop_tracking).
_UNTRACKED_MODULES = ("moto.dynamodb.", "moto.sqs.")


def _new_model(cls: type, *args: Any, **kwargs: Any) -> Any:
    if cls.__module__.startswith(_UNTRACKED_MODULES):
        return super(BaseModel, cls).__new__(cls)
    return _TRACKED_NEW(cls, *args, **kwargs)


_TRACKED_NEW = BaseModel.__new__


def stop_tracking() -> None:
    """Keep moto from holding every DynamoDB and SQS object it ever made.

    moto's `BaseModel.__new__` appends each new model object to its class's `instances_tracked`
    list, for its dashboard (`/moto-api/data.json`), and drops the lists only on reset. DynamoDB's
    `transact_write_items` deep-copies each table a transaction touches, once per transaction
    item, as its rollback copy: every transaction so left a copy of every item of the table in
    that list. Measured (in-process, 600 two-item transactions, the table growing to 600 items):
    126,049 `Item` objects kept and the process grown from 89 MB to 411 MB; with this, 90 MB
    throughout. SQS messages were likewise kept after deletion. Nothing here reads the
    dashboard, and S3 (which reads its own lists on reset) keeps its tracking. Idempotent.
    """
    BaseModel.__new__ = staticmethod(_new_model)  # type: ignore[method-assign,assignment]


class SerializedMotoServer:
    """A moto server on a background thread; port 0 picks a free port (see `url`)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SerializedMotoServer:
        stop_tracking()
        app = SerializingMiddleware(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._host, self._port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="moto-server", daemon=True
        )
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the moto server is not started")
        return f"http://{self._server.host}:{self._server.port}"

    def reset(self) -> None:
        """Drop every resource and item (moto's state only grows otherwise)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> SerializedMotoServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server = SerializedMotoServer(args.host, args.port).start()
    print(f"serialized moto server ready at {server.url}", flush=True)
    while not stop.wait(0.5):
        pass
    server.stop()


if __name__ == "__main__":
    main()
