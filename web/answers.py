"""Answers kept in memory: a repeated search, typeahead or profile is answered without the
engine, the model or the templates.

What is kept: the answer (body, status 200, content type) to a GET of the API's search and
lookup endpoints and of the researcher, work and search pages, from a client that sends no
cookie (no session: the same answer for everyone), if it sets none and is at most
MAX_ANSWER_BYTES. Each process keeps an LRU of `Settings.answer_cache_mb` megabytes (on by
default in a served app, off in tests and tools; 0 turns it off).

When a kept answer is given: only under the generation of search/freshness.py that it was
computed in, read from Redis once per request, and not while a change is under way. Every
change of the engine's data moves the generation on (alias swaps of builds, owners'
corrections, incremental updates), and so does a commit of the accounts store in this process
(a profile page shows claims and corrections); a kept answer lives TTL_S at most whatever
happens (an accounts change made by another process shows within that). When Redis does not
answer, nothing is kept or given for BACKOFF_S and the request is answered as usual.

Answers given from here carry `X-Answer: kept`; those stored, `X-Answer: fresh`.
"""
from __future__ import annotations

import logging
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, Response, current_app, request
from redis import RedisError

from search import freshness

log = logging.getLogger(__name__)

TTL_S = 30.0
BACKOFF_S = 5.0
MAX_ANSWER_BYTES = 512 * 1024
SERVED_DEFAULT_MB = 32
KEPT = {"api.researchers.search", "api.researchers.autocomplete", "api.researchers.profile",
        "api.researchers.collaborators", "api.works.search", "api.works.work", "api.works.similar_to_work",
        "api.graph.slice", "pages.researchers.profile", "pages.researchers.works_page",
        "pages.works.work", "pages.home.search_page"}
_GENERATION = "peerscope.answer_generation"


@dataclass(frozen=True)
class Answer:
    generation: int
    stored_at: float
    mimetype: str
    body: bytes


class AnswerCache:
    """A thread-safe LRU of answers bounded in bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, Answer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple, generation: int, now: float) -> Answer | None:
        with self._lock:
            answer = self._items.get(key)
            if answer is None or answer.generation != generation or now - answer.stored_at > TTL_S:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return answer

    def put(self, key: tuple, answer: Answer) -> None:
        size = len(answer.body)
        if size > min(MAX_ANSWER_BYTES, self.max_bytes):
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._items[key] = answer
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped.body)

    def __len__(self) -> int:
        return len(self._items)


class _State:
    def __init__(self, cache: AnswerCache):
        self.cache = cache
        self.down_until = 0.0


def _state() -> _State | None:
    return current_app.extensions.get("peerscope_answers")


def _key() -> tuple:
    return request.path, request.query_string


def _before_request():
    state = _state()
    if state is None or request.method not in ("GET", "HEAD") or request.endpoint not in KEPT \
            or "Cookie" in request.headers:
        return None
    now = time.monotonic()
    if now < state.down_until:
        return None
    settings = current_app.extensions["peerscope"].settings
    try:
        generation = freshness.current(settings)
    except (RedisError, OSError) as exc:
        log.warning("answers are not kept for %.0f s (Redis: %s)", BACKOFF_S, exc)
        state.down_until = now + BACKOFF_S
        return None
    if generation is None:  # a change is under way: neither give nor keep
        return None
    answer = state.cache.get(_key(), generation, now)
    if answer is None:
        request.environ[_GENERATION] = generation
        return None
    resp = current_app.response_class(answer.body, status=200, mimetype=answer.mimetype)
    resp.headers["X-Answer"] = "kept"
    return resp


def _after_request(resp: Response) -> Response:
    generation = request.environ.pop(_GENERATION, None)
    if generation is None or resp.status_code != 200 or resp.direct_passthrough or resp.is_streamed \
            or "Set-Cookie" in resp.headers:
        return resp
    state = _state()
    state.cache.put(_key(), Answer(generation, time.monotonic(), resp.mimetype, resp.get_data()))
    resp.headers["X-Answer"] = "fresh"
    return resp


def _serving() -> bool:
    return "gunicorn.arbiter" in sys.modules


_bumped_on_commit: dict[tuple[str, str], object] = {}  # (Redis URL, prefix) -> settings
_listening = threading.Lock()


def _on_accounts_commit(_session) -> None:
    for settings in list(_bumped_on_commit.values()):
        freshness.changed(settings)


def _bump_on_accounts_commits(settings) -> None:
    """Any commit of an accounts session in this process moves the generation on (once per
    Redis and prefix, however many apps this process builds)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    with _listening:
        if not _bumped_on_commit:
            event.listen(Session, "after_commit", _on_accounts_commit)
        _bumped_on_commit[(settings.redis_url, settings.index_prefix)] = settings


def init_app(app: Flask) -> None:
    """Keep answers if `answer_cache_mb` says so (-1: SERVED_DEFAULT_MB in a served app, else off)."""
    settings = app.extensions["peerscope"].settings
    mb = settings.answer_cache_mb if settings.answer_cache_mb >= 0 else (SERVED_DEFAULT_MB if _serving() else 0)
    if mb <= 0:
        return
    app.extensions["peerscope_answers"] = _State(AnswerCache(int(mb * 1024 * 1024)))
    app.before_request(_before_request)
    app.after_request(_after_request)
    _bump_on_accounts_commits(settings)
