"""The web app's engine client stops waiting on an engine that just failed (search/client.py)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opensearchpy.exceptions import ConnectionError as EngineConnectionError
from opensearchpy.exceptions import NotFoundError

from peerscope.config import Settings

pytestmark = pytest.mark.unit


class FakeEngine(BaseHTTPRequestHandler):
    frozen = threading.Event()
    calls: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        type(self).calls.append(self.path)
        if self.frozen.is_set():
            time.sleep(1.5)  # longer than the client's timeout
        status, body = (404, {"error": "nope", "status": 404}) if "missing" in self.path else (200, {"ok": True})
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def engine():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeEngine)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeEngine.frozen.clear()
    FakeEngine.calls.clear()
    yield f"http://127.0.0.1:{server.server_port}"
    FakeEngine.frozen.clear()
    server.shutdown()
    server.server_close()


def test_a_frozen_engine_costs_one_timeout_then_calls_fail_at_once_until_it_answers(engine, monkeypatch):
    from search import client as C

    monkeypatch.setattr(C, "FAIL_FAST_S", 0.5)
    es = C.make_client(Settings(opensearch_url=engine, request_timeout=0.4), fail_fast=True)
    assert es.transport.perform_request("GET", "/") == {"ok": True}

    FakeEngine.frozen.set()
    t0 = time.monotonic()
    with pytest.raises(EngineConnectionError):
        es.transport.perform_request("GET", "/")
    assert 0.3 < time.monotonic() - t0 < 1.4  # one timeout, no retries on timeout
    calls = len(FakeEngine.calls)
    t0 = time.monotonic()
    for _ in range(20):
        with pytest.raises(EngineConnectionError, match="failed moments ago"):
            es.transport.perform_request("GET", "/")
    assert time.monotonic() - t0 < 0.2 and len(FakeEngine.calls) == calls  # nothing reached the engine

    FakeEngine.frozen.clear()
    time.sleep(0.6)  # cool-down over: the next call probes, gets an answer, and all is normal again
    assert es.transport.perform_request("GET", "/") == {"ok": True}
    assert es.transport.perform_request("GET", "/") == {"ok": True}


def test_engine_errors_with_an_answer_do_not_trip_it(engine):
    from search import client as C

    es = C.make_client(Settings(opensearch_url=engine, request_timeout=0.4), fail_fast=True)
    for _ in range(3):
        with pytest.raises(NotFoundError):
            es.transport.perform_request("GET", "/missing")
    assert es.transport.perform_request("GET", "/") == {"ok": True}


def test_only_clients_asked_to_fail_fast_get_that_transport(engine):
    from opensearchpy import Transport

    from search.client import FailFastTransport, make_client

    assert type(make_client(Settings(opensearch_url=engine)).transport) is Transport
    assert type(make_client(Settings(opensearch_url=engine), fail_fast=True).transport) is FailFastTransport
