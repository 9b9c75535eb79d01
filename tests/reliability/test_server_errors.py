"""Every error the server gives is the JSON error: also the requests gunicorn refuses before
the app sees them (web/serving.py), and 405 answers name the allowed methods."""
from __future__ import annotations

import json
import socket

import pytest

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


def _raw(base: str, data: bytes, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the whole answer (the server closes after an error)."""
    host, port = base.replace("http://", "").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            head, sep, body = b"".join(chunks).partition(b"\r\n\r\n")
            if sep and b"content-length:" in head.lower():
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                if len(body) >= length:
                    break
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _json_error(status: int, headers: dict, body: bytes, code: str) -> dict:
    assert headers["content-type"].startswith("application/json"), headers
    assert headers.get("content-security-policy") == CSP and headers.get("x-content-type-options") == "nosniff"
    err = json.loads(body)["error"]
    assert err["code"] == code and err["message"].strip(), err
    return err


@pytest.mark.unit
def test_refusals_map_to_statuses_and_json():
    from gunicorn.http import errors as e

    from web.serving import error_bytes, refusal

    assert refusal(e.LimitRequestLine(40032, 32768), 32768)[:3] == (414, "URI Too Long", "request_uri_too_large")
    assert "32768 bytes" in refusal(e.LimitRequestLine(40032, 32768), 32768)[3]
    assert refusal(e.LimitRequestHeaders("too many"))[0] == 431
    assert refusal(e.InvalidRequestMethod("GE\x01T"))[:3] == (400, "Bad Request", "bad_request")
    assert refusal(e.InvalidHTTPVersion("HTTP/9"))[0] == 400
    assert refusal(e.UnsupportedTransferCoding("gzip"))[0] == 501
    assert refusal(RuntimeError("bug"))[:3] == (500, "Internal Server Error", "internal_error")
    assert "bug" not in refusal(RuntimeError("bug"))[3]  # no internals in an answer
    raw = error_bytes(414, "URI Too Long", "request_uri_too_large", "too long")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 URI Too Long\r\n") and b"Connection: close" in head
    assert f"Content-Length: {len(body)}".encode() in head
    assert json.loads(body) == {"error": {"code": "request_uri_too_large", "message": "too long"}}


@pytest.mark.integration
def test_served_app_answers_what_gunicorn_refuses_with_the_json_error(served_sample):
    base = served_sample.base_url
    long_query = "q=" + "a" * 40_000
    for path in (f"/api/researchers?{long_query}", f"/search?{long_query}"):
        status, headers, body = _raw(base, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert status == 414, (path, status, body[:200])
        assert "32768 bytes" in _json_error(status, headers, body, "request_uri_too_large")["message"]
    many = b"".join(b"X-H%d: y\r\n" % i for i in range(150))
    status, headers, body = _raw(base, b"GET /api/works HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert status == 431
    _json_error(status, headers, body, "request_header_fields_too_large")
    status, headers, body = _raw(base, b"GE\x01T /api/works HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 400
    _json_error(status, headers, body, "bad_request")
    # a 10,000-character query string reaches the app, which answers with its own error
    status, headers, body = _raw(base, f"GET /api/researchers?q={'a' * 10_000} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert status == 400 and json.loads(body)["error"]["fields"]["q"]
    # and so does the longest request the description allows (here 20 KiB), answered 200
    path = "/api/researchers?" + "&".join(f"{k}=" + "%F0%9F%98%80" * 256 for k in ("q", "topic", "affiliation", "venue"))
    path += "&cursor=*&size=50&active_since=1900&active_until=2100&has_orcid=false"
    status, _, body = _raw(base, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert len(path) > 12_000 and status == 200, body[:300]


def _app(monkeypatch, tmp_path):
    from peerscope.config import Settings
    from web import create_app

    monkeypatch.delenv("PEERSCOPE_API_RATE_LIMIT", raising=False)
    return create_app(Settings(opensearch_url="http://127.0.0.1:9", redis_url="redis://127.0.0.1:9/0",
                               index_prefix="test-err-", state_dir=tmp_path), embed=lambda text: [0.1] * 384)


@pytest.mark.unit
def test_405_names_the_allowed_methods(monkeypatch, tmp_path):
    web = _app(monkeypatch, tmp_path).test_client()
    for method, path, allowed in [("DELETE", "/api/works", {"GET", "HEAD", "OPTIONS"}),
                                  ("TRACE", "/api/researchers/x/collaborators", {"GET", "HEAD", "OPTIONS"}),
                                  ("PUT", "/api/works/similar", {"OPTIONS", "POST"}),
                                  ("PUT", "/api/openapi.json", {"GET", "HEAD", "OPTIONS"}),
                                  ("DELETE", "/researchers/x", {"GET", "HEAD", "OPTIONS"})]:
        resp = web.open(path, method=method)
        assert resp.status_code == 405, (method, path)
        assert {m.strip() for m in resp.headers["Allow"].split(",")} == allowed, (method, path)
        if path.startswith("/api"):
            assert resp.mimetype == "application/json"
            assert resp.get_json()["error"]["code"] == "method_not_allowed"


@pytest.mark.unit
def test_works_similar_is_no_work_id(monkeypatch, tmp_path):
    """/api/works/similar is the POST-only action on the collection, not the work "similar"."""
    web = _app(monkeypatch, tmp_path).test_client()
    resp = web.open("/api/works/similar", method="OPTIONS")
    assert {m.strip() for m in resp.headers["Allow"].split(",")} == {"POST", "OPTIONS"}
    resp = web.get("/api/works/similar")
    assert resp.status_code == 405 and resp.get_json()["error"]["code"] == "method_not_allowed"
    for path in ("/api/works/similar-x", "/api/works/2022.acl-long.1", "/api/works/similar-x/similar"):
        allow = web.open(path, method="OPTIONS").headers["Allow"]
        assert {m.strip() for m in allow.split(",")} == {"GET", "HEAD", "OPTIONS"}, path


@pytest.mark.unit
def test_every_request_the_description_allows_fits_in_the_request_line(monkeypatch, tmp_path):
    """The longest request line of each operation: every argument at its longest, each
    character 4 bytes of UTF-8, percent-encoded."""
    from web.serving import MAX_REQUEST_LINE

    web = _app(monkeypatch, tmp_path).test_client()
    spec = web.get("/api/openapi.json").get_json()
    longest = {}
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            line = len(f"{method.upper()} {path}? HTTP/1.1")
            for p in op["parameters"]:
                schema = p["schema"]
                value = {"string": 12 * schema.get("maxLength", 10**6), "boolean": 5}.get(schema.get("type"), 20)
                if "enum" in schema:
                    value = max(len(str(v)) for v in schema["enum"])
                line += len(p["name"]) + 2 + value
            longest[f"{method.upper()} {path}"] = line
    worst = max(longest, key=longest.get)
    assert longest[worst] <= MAX_REQUEST_LINE, (worst, longest[worst])
    assert longest["GET /api/researchers"] > 8190  # gunicorn's own cap would refuse some
