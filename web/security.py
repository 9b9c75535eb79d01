"""Hardening every response of the web app: headers, request size, API rate limit, secrets.

`init_app(app)` (called by create_app) adds:

- security headers on every response, pages, API, static files and errors alike: a
  Content-Security-Policy without inline scripts or styles, nosniff, no framing, a
  referrer policy;
- a request size cap (MAX_CONTENT_LENGTH): a larger body is refused with 413 before a
  view reads it (JSON on /api, the friendly page elsewhere);
- a per-client fixed-window rate limit on /api (Flask-Limiter, counted in Redis): over the
  cap, 429 JSON with Retry-After. When Redis does not answer the limit fails open: search
  keeps being served, and Redis is not asked again for a few seconds;
- no debug mode, and no well-known secret in a served app (see `served_secret`).

Settings (peerscope/config.py, docs/RELIABILITY.md):
api_rate_limit   PEERSCOPE_API_RATE_LIMIT, "<requests>/<seconds>" per client; default 300/60 in a
                 served app (gunicorn), off in test clients; 0 turns it off
max_body_bytes   PEERSCOPE_MAX_BODY_BYTES, default 65536
dev              PEERSCOPE_DEV=1: a development server may keep the built-in development secret
"""
from __future__ import annotations

import logging
import os
import secrets
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from flask import Flask, Response, current_app, g, has_request_context, jsonify, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from limits.storage import RedisStorage
from redis import RedisError
from redis.backoff import NoBackoff
from redis.retry import Retry
from werkzeug.exceptions import RequestEntityTooLarge

from peerscope.config import Settings

log = logging.getLogger(__name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
DEV_SECRET = "dev-only-not-secret"  # the Settings default: public, so never used by a served app
MIN_SECRET_CHARS = 16
DEFAULT_RATE = "300/60"
REDIS_TIMEOUT_S = 0.25
REDIS_BACKOFF_S = 5.0  # after a Redis failure, serve without counting for this long


# ---------------------------------------------------------------- rate limit


@dataclass(frozen=True)
class RateLimit:
    requests: int
    window_s: int

    @classmethod
    def parse(cls, text: str | None) -> "RateLimit | None":
        """"300/60" -> 300 requests per 60 s; "0", "off" or "" -> no limit."""
        text = (text or "").strip().lower()
        if text in ("", "0", "off", "none"):
            return None
        count, _, window = text.partition("/")
        try:
            limit = cls(int(count), int(window or 60))
        except ValueError as exc:
            raise ValueError(f"PEERSCOPE_API_RATE_LIMIT={text!r}: expected <requests>/<seconds>, e.g. 300/60") from exc
        if limit.requests < 1 or limit.window_s < 1:
            raise ValueError(f"PEERSCOPE_API_RATE_LIMIT={text!r}: both numbers must be positive")
        return limit


class LimitStorage(RedisStorage):
    """limits' Redis storage, as Flask-Limiter uses it here (`peerscope+redis://...`), with two changes:

    - one round trip per counted request (as before Flask-Limiter): the increment (INCRBY,
      EXPIRE NX) reads the window's TTL in the same pipeline, and the header values asked for
      next in that request (count, reset) come from its answer, not from a GET and a TTL each;
    - after a Redis failure it stands aside for REDIS_BACKOFF_S (`standing_aside`, a request
      filter of the limiter): requests are served without counting and Redis is not waited on.
    """

    STORAGE_SCHEME = ["peerscope+redis", "peerscope+rediss", "peerscope+unix"]

    def __init__(self, uri: str, **options):
        super().__init__(uri.removeprefix("peerscope+"), socket_connect_timeout=REDIS_TIMEOUT_S,
                         socket_timeout=REDIS_TIMEOUT_S, retry=Retry(NoBackoff(), 0), **options)
        self._down_until = 0.0

    def standing_aside(self) -> bool:
        return time.monotonic() < self._down_until

    @contextmanager
    def _watch(self):
        try:
            yield
        except (RedisError, OSError) as exc:
            if not self.standing_aside():
                log.warning("rate limits not counted for %.0f s (Redis: %s)", REDIS_BACKOFF_S, exc)
            self._down_until = time.monotonic() + REDIS_BACKOFF_S
            raise

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        name = self.prefixed_key(key)
        with self._watch():
            pipe = self.get_connection().pipeline(transaction=False)
            pipe.incrby(name, amount)
            pipe.expire(name, expiry, nx=True)  # a window starts with its first hit
            pipe.ttl(name)
            count, _, ttl = pipe.execute()
        if has_request_context():
            g.setdefault("peerscope_windows", {})[key] = (int(count), max(ttl, 0) + time.time())
        return int(count)

    def _counted(self, key: str) -> tuple[int, float] | None:
        return g.get("peerscope_windows", {}).get(key) if has_request_context() else None

    def get(self, key: str) -> int:
        if counted := self._counted(key):
            return counted[0]
        with self._watch():
            return super().get(key)

    def get_expiry(self, key: str) -> float:
        if counted := self._counted(key):
            return counted[1]
        with self._watch():
            return super().get_expiry(key)

    def clear(self, key: str) -> None:
        if has_request_context():
            g.get("peerscope_windows", {}).pop(key, None)
        with self._watch():
            super().clear(key)


def limiter(app: Flask) -> Limiter:
    """The app's Flask-Limiter: the API limit, and the storage the accounts' limits count in."""
    return app.extensions["peerscope_limiter"]


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _make_limiter(app: Flask, settings: Settings, limit: RateLimit | None) -> Limiter:
    """Fixed windows in Redis through Flask-Limiter: one counter per client for every /api request.

    A Redis that is down or hangs costs a request at most REDIS_TIMEOUT_S, then the API limit
    stands aside (fails open) for REDIS_BACKOFF_S (see LimitStorage).
    """
    def too_many(hit: RequestLimit) -> Response:
        left = max(1, int(hit.reset_at - time.time()))
        return _error(429, "rate_limited",
                      f"Too many requests: at most {limit.requests} every {limit.window_s} s from one client. "
                      f"Try again in {left} s.", {"Retry-After": str(left)})

    ext = Limiter(
        client_id, app=app, storage_uri=f"peerscope+{settings.redis_url}",
        storage_options={"key_prefix": f"{settings.index_prefix}rl"},
        strategy="fixed-window", headers_enabled=True, swallow_errors=True,
        application_limits=[f"{limit.requests} per {limit.window_s} second"] if limit else [],
        application_limits_exempt_when=lambda: not _is_api(), on_breach=too_many, key_prefix="api",
        # unrouted /api paths (404, 405) count too, in the same per-client window
        request_identifier=lambda: request.endpoint or request.path)
    ext.request_filter(ext.storage.standing_aside)
    app.register_error_handler(RateLimitExceeded, lambda exc: exc.get_response())  # too_many's answer
    app.extensions["peerscope_limiter"] = ext
    return ext


def client_id() -> str:
    """The client's address as the WSGI server saw it (put ProxyFix in front when proxied)."""
    return request.remote_addr or "unknown"


def _error(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    resp = jsonify({"error": {"code": code, "message": message}})
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _before_request():
    """Size cap first (nothing has read the body yet); the API rate limit comes next (Flask-Limiter)."""
    request.environ["peerscope.started"] = time.perf_counter()
    limit_bytes = current_app.extensions["peerscope"].settings.max_body_bytes
    if (request.content_length or 0) > limit_bytes:
        raise RequestEntityTooLarge(f"The request body is larger than {limit_bytes} bytes.")
    return None


def _after_request(resp: Response) -> Response:
    for name, value in HEADERS.items():
        resp.headers.setdefault(name, value)
    started = request.environ.get("peerscope.started")
    if started is not None:  # time spent in the app, without queueing in the server (benchmarks read it)
        resp.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    if request.path.startswith("/api/me"):
        resp.headers.setdefault("Cache-Control", "no-store")  # personal data
    return resp


# ---------------------------------------------------------------- secrets and debug


def _serving() -> bool:
    """True inside a real WSGI server process (gunicorn), not in tests or tools."""
    return "gunicorn.arbiter" in sys.modules


def local_secret(state_dir: Path) -> str:
    """A random secret kept in `state_dir/secret_key` (0600), made once per installation, so
    every worker process of this machine signs sessions alike without a public default."""
    path = state_dir / "secret_key"
    try:
        text = path.read_text().strip()
        if len(text) >= MIN_SECRET_CHARS:
            return text
    except FileNotFoundError:
        pass
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".secret_key.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(48))
    try:
        os.link(tmp, path)  # first writer wins; the others read its secret
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def served_secret(configured: str, state_dir: Path, *, serving: bool, dev: bool) -> str:
    """The secret a served app signs with.

    - PEERSCOPE_SECRET_KEY set (and long enough): that one.
    - Not set (the public development default): in a served app, a random secret made once
      for this installation in state_dir (so `scripts/demo` works and nothing public signs
      sessions); PEERSCOPE_DEV=1 keeps the development value.
    - Set but shorter than MIN_SECRET_CHARS: a served app refuses to start (unless PEERSCOPE_DEV=1).
    Several machines behind one address must share one PEERSCOPE_SECRET_KEY.
    """
    if not serving or dev:
        return configured
    if configured == DEV_SECRET:
        return local_secret(state_dir)
    if len(configured) < MIN_SECRET_CHARS:
        raise RuntimeError(f"PEERSCOPE_SECRET_KEY is shorter than {MIN_SECRET_CHARS} characters; "
                           "set a long random value (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)")
    return configured


def served_settings(settings: Settings) -> Settings:
    """`settings` with the secret this app signs with: sessions, CSRF tokens and e-mail links alike."""
    secret = served_secret(settings.secret_key, settings.state_dir, serving=_serving(), dev=settings.dev)
    return settings if secret == settings.secret_key else replace(settings, secret_key=secret)


def init_app(app: Flask) -> None:
    """Needs the app's Settings from `served_settings` (create_app does that)."""
    settings = app.extensions["peerscope"].settings
    serving = _serving()
    if serving:  # tracebacks stay in the log, never in a response
        app.debug = False
        app.config.update(DEBUG=False, PROPAGATE_EXCEPTIONS=False, TRAP_HTTP_EXCEPTIONS=False)
    # Flask enforces these too (its default is None: no cap at all)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = min(app.config["MAX_FORM_MEMORY_SIZE"] or settings.max_body_bytes,
                                             settings.max_body_bytes)
    # On by default in a served app; tests and tools opt in through Settings.api_rate_limit.
    limit = RateLimit.parse(settings.api_rate_limit or (DEFAULT_RATE if serving else "0"))
    app.before_request(_before_request)
    app.after_request(_after_request)
    _make_limiter(app, settings, limit)  # after the size cap, before the views
