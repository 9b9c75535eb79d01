"""Web hardening (web/security.py): headers on every response, body size cap, the API rate
limit (and its failing open), no debug or traces, no public secret in a served app."""
from __future__ import annotations

import http.client
import json
import stat
import subprocess
import time

import pytest

from peerscope.config import Settings

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
NOWHERE = dict(opensearch_url="http://127.0.0.1:9", redis_url="redis://127.0.0.1:9/0")


def _app(monkeypatch, tmp_path, rate: str = "", **settings):
    from web import create_app

    base = {**NOWHERE, "index_prefix": "test-sec-", "state_dir": tmp_path, "api_rate_limit": rate, **settings}
    return create_app(Settings(**base), embed=lambda text: [0.1] * 384)


def assert_hardened(resp, where: str) -> None:
    h = resp.headers
    assert h.get("Content-Security-Policy") == CSP, where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("X-Frame-Options") == "DENY", where
    assert h.get("Referrer-Policy") == "strict-origin-when-cross-origin", where
    assert h.get("Server-Timing", "").startswith("app;dur="), where  # the app's own time, for benchmarks


@pytest.mark.unit
def test_security_headers_on_every_kind_of_response(monkeypatch, tmp_path):
    web = _app(monkeypatch, tmp_path).test_client()
    cases = [("GET", "/", 503), ("GET", "/static/css/site.css", 200), ("GET", "/api/openapi.json", 200),
             ("GET", "/api/nothing", 404), ("GET", "/nothing", 404), ("GET", "/api/works?size=0", 400),
             ("POST", "/api/works", 405), ("GET", "/api/works?q=x&mode=keyword", 503),
             ("GET", "/researchers/x", 503), ("GET", "/favicon.ico", 404)]
    for method, path, status in cases:
        resp = web.open(path, method=method)
        assert resp.status_code == status, (path, resp.status_code)
        assert_hardened(resp, path)


@pytest.mark.unit
def test_oversized_bodies_are_refused_with_413(monkeypatch, tmp_path):
    web = _app(monkeypatch, tmp_path).test_client()
    big = {"positive": ["w1"], "text": "x" * 70_000}
    resp = web.post("/api/works/similar", json=big)
    assert resp.status_code == 413 and resp.mimetype == "application/json"
    err = resp.get_json()["error"]
    assert err["code"] == "request_entity_too_large" and "65536 bytes" in err["message"]
    assert_hardened(resp, "413")
    page = web.post("/account/login", data={"email": "a@b.c", "password": "p" * 70_000})
    assert page.status_code in (400, 413) and page.mimetype == "text/html"
    assert b"Traceback" not in page.data


@pytest.mark.unit
def test_no_debugger_and_no_trace_in_a_served_app(monkeypatch, tmp_path):
    import web.security as security

    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.setattr(security, "_serving", lambda: True)
    app = _app(monkeypatch, tmp_path, rate="0")
    assert app.debug is False and app.config["PROPAGATE_EXCEPTIONS"] is False
    services = app.extensions["peerscope"]
    app.extensions["peerscope"] = type(services)(**{**services.__dict__, "opensearch": object()})
    web = app.test_client()
    for path in ("/api/researchers/r1", "/researchers/r1", "/works/w1"):
        resp = web.get(path)
        assert resp.status_code == 500, path
        text = resp.get_data(as_text=True)
        assert "Traceback" not in text and "AttributeError" not in text, path
        assert_hardened(resp, path)


@pytest.mark.unit
def test_a_served_app_makes_a_secret_of_its_own_unless_one_is_given(tmp_path):
    from web.security import DEV_SECRET, served_secret

    # tests and tools keep whatever they were given
    assert served_secret(DEV_SECRET, tmp_path, serving=False, dev=False) == DEV_SECRET
    # a served app never signs with the public development value...
    first = served_secret(DEV_SECRET, tmp_path, serving=True, dev=False)
    assert first != DEV_SECRET and len(first) >= 32
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    # ... and every worker of this installation reads the same one
    assert served_secret(DEV_SECRET, tmp_path, serving=True, dev=False) == first
    # PEERSCOPE_DEV=1 keeps the development value
    assert served_secret(DEV_SECRET, tmp_path / "other", serving=True, dev=True) == DEV_SECRET
    # a configured secret wins; a short one is refused
    assert served_secret("s" * 40, tmp_path, serving=True, dev=False) == "s" * 40
    with pytest.raises(RuntimeError, match="shorter than 16"):
        served_secret("short", tmp_path, serving=True, dev=False)


@pytest.mark.unit
def test_a_served_app_signs_e_mail_links_with_its_session_secret(monkeypatch, tmp_path):
    import web.security as security
    from web.accounts.security import email_token, read_email_token

    monkeypatch.setattr(security, "_serving", lambda: True)
    app = _app(monkeypatch, tmp_path, rate="0")  # no secret configured: the installation's own
    secret = app.extensions["peerscope"].settings.secret_key
    assert secret == app.config["SECRET_KEY"] != security.DEV_SECRET
    forged = email_token(security.DEV_SECRET, 1, "someone@example.org")
    assert read_email_token(secret, forged) is None


@pytest.mark.unit
def test_rate_limit_spec_is_parsed_or_refused():
    from web.security import RateLimit

    assert RateLimit.parse("300/60") == RateLimit(300, 60)
    assert RateLimit.parse("50") == RateLimit(50, 60)
    for off in ("", "0", "off"):
        assert RateLimit.parse(off) is None
    for bad in ("x/60", "10/0", "-1/60"):
        with pytest.raises(ValueError, match="PEERSCOPE_API_RATE_LIMIT"):
            RateLimit.parse(bad)


@pytest.mark.integration
def test_api_rate_limit_429_with_retry_after_per_client(monkeypatch, tmp_path):
    from bench import harness

    with harness.private_redis(tmp_path / "redis") as redis_server:
        app = _app(monkeypatch, tmp_path, rate="5/60", redis_url=redis_server.url)
        web = app.test_client()
        remaining = []
        for _ in range(5):
            resp = web.get("/api/openapi.json")
            assert resp.status_code == 200
            remaining.append(int(resp.headers["X-RateLimit-Remaining"]))
        assert remaining == [4, 3, 2, 1, 0]
        resp = web.get("/api/works?q=x")
        assert resp.status_code == 429 and resp.mimetype == "application/json"
        err = resp.get_json()["error"]
        assert err["code"] == "rate_limited" and "at most 5 every 60 s" in err["message"]
        assert 1 <= int(resp.headers["Retry-After"]) <= 61
        assert_hardened(resp, "429")
        # pages are not limited; another client has its own window
        assert web.get("/static/css/site.css").status_code == 200
        other = web.get("/api/openapi.json", environ_base={"REMOTE_ADDR": "10.0.0.2"})
        assert other.status_code == 200 and other.headers["X-RateLimit-Remaining"] == "4"


@pytest.mark.integration
def test_api_rate_limit_fails_open_when_redis_is_down(monkeypatch, tmp_path):
    app = _app(monkeypatch, tmp_path, rate="1/60")  # Redis at 127.0.0.1:9: nothing listens
    web = app.test_client()
    t0 = time.monotonic()
    for _ in range(10):
        resp = web.get("/api/openapi.json")
        assert resp.status_code == 200 and "X-RateLimit-Remaining" not in resp.headers
    assert time.monotonic() - t0 < 5


@pytest.mark.unit
def test_api_rate_limit_stands_aside_after_a_redis_failure(monkeypatch, tmp_path):
    import web.security as security

    calls = []
    original = security.LimitStorage.incr
    monkeypatch.setattr(security.LimitStorage, "incr",
                        lambda self, *a, **k: calls.append(a) or original(self, *a, **k))
    web = _app(monkeypatch, tmp_path, rate="1/60").test_client()  # nothing listens on port 9
    assert [web.get("/api/openapi.json").status_code for _ in range(5)] == [200] * 5
    assert len(calls) == 1  # asked once, then served without counting for REDIS_BACKOFF_S


@pytest.mark.integration
def test_api_rate_limit_costs_one_redis_round_trip(monkeypatch, tmp_path):
    import redis.connection

    from bench import harness

    sent = []
    original = redis.connection.AbstractConnection.send_packed_command
    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command",
                        lambda self, *a, **k: sent.append(a) or original(self, *a, **k))
    with harness.private_redis(tmp_path / "redis") as redis_server:
        web = _app(monkeypatch, tmp_path, rate="2/60", redis_url=redis_server.url).test_client()
        web.get("/api/openapi.json")  # the connection's handshake
        for expected in (200, 429):
            sent.clear()
            resp = web.get("/api/openapi.json")
            assert resp.status_code == expected and resp.headers["X-RateLimit-Remaining"] == "0"
            assert len(sent) == 1, expected


# ---------------------------------------------------------------- the served app (gunicorn)


def _post(base: str, path: str, body: bytes, content_type: str = "application/json") -> tuple[int, dict, bytes]:
    host, port = base.replace("http://", "").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": content_type})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


@pytest.mark.integration
def test_served_app_refuses_big_bodies_and_sends_security_headers_everywhere(served_sample):
    from bench import harness

    status, headers, body = _post(served_sample.base_url, "/api/works/similar",
                                  json.dumps({"positive": ["x"], "text": "y" * 200_000}).encode())
    assert status == 413 and json.loads(body)["error"]["code"] == "request_entity_too_large"
    assert headers["Content-Security-Policy"] == CSP
    for path in ("/", "/api/works?q=parsing&mode=keyword", "/static/css/site.css", "/nothing"):
        status, _, headers = harness.http_get(served_sample.base_url + path)
        assert headers.get("Content-Security-Policy") == CSP and headers.get("X-Frame-Options") == "DENY", path


@pytest.mark.integration
def test_served_app_refuses_a_short_secret_and_rate_limits_the_api(indexed_sample, tmp_path):
    from bench import harness

    with harness.private_redis(tmp_path / "redis") as redis_server:
        base_env = harness.app_env(indexed_sample.index_prefix, redis_server.url, rate_limit="20/3600",
                                   PEERSCOPE_STATE_DIR=str(tmp_path / "state"), PEERSCOPE_SECRET_KEY=None,
                                   PEERSCOPE_DEV=None)
        # a short secret: gunicorn refuses to boot the app
        short = subprocess.run([*harness.PEERSCOPE_CMD, "serve", "--port", str(harness.free_port())],
                               env={**base_env, "PEERSCOPE_SECRET_KEY": "tooshort"}, capture_output=True, text=True,
                               timeout=90)
        assert short.returncode != 0 and "shorter than 16" in short.stdout + short.stderr
        # no secret: the served app makes one for this installation (0600) and serves
        with harness.served(base_env, workers=2, log_path=tmp_path / "web.log") as web:
            secret = tmp_path / "state" / "secret_key"
            assert secret.exists() and stat.S_IMODE(secret.stat().st_mode) == 0o600
            statuses = [harness.http_get(web.base_url + "/api/researchers?q=hu")[0] for _ in range(24)]
            # the server's own readiness probe counted too: at most 20 pass, then only 429
            assert 429 in statuses, statuses
            passed = statuses.index(429)
            assert 15 <= passed <= 20 and set(statuses[:passed]) == {200} and set(statuses[passed:]) == {429}
            status, body, headers = harness.http_get(web.base_url + "/api/works")
            assert status == 429 and int(headers["Retry-After"]) >= 1
            assert json.loads(body)["error"]["code"] == "rate_limited"
            assert harness.http_get(web.base_url + "/search?q=hu&mode=keyword")[0] == 200  # pages unaffected
