"""When what searches see changes: a generation counter and a "changing" mark in Redis.

Answers the web app keeps (web/answers.py) are filed under the generation they were computed
in and never used while a change is under way. Whatever changes what searches see wraps
the change in `changing(settings)`: the alias swap of a build, an in-place document update
(an owner's correction), an incremental update of some files. It counts the change as under
way before it starts (so no kept answer is used from then on), and when it is done moves the
generation on and marks it settling for SETTLE_MS more (an in-place write shows at the
engine's next refresh, within a second), so that:

- an answer kept before a change is never given after the change has begun;
- an answer computed while the change was under way is filed under the old generation, which
  no request reads once the change is done.

So a client that has seen the new data never gets an older kept answer. Redis is asked with
short timeouts: when it does not answer, a change goes ahead (and says so in the log) and the
web app keeps no answers and uses none until it answers again.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from redis import Redis, RedisError

from peerscope.config import Settings

log = logging.getLogger(__name__)

REDIS_TIMEOUT_S = 0.25
HOLD_MS = 10 * 60 * 1000  # the mark outlives a writer that died mid-change by this much at most
SETTLE_MS = 2000  # after a change: past the engine's refresh (1 s) of an in-place write

_connections: dict[str, Redis] = {}
_lock = threading.Lock()


def connection(settings: Settings) -> Redis:
    """One client per Redis URL and process, with short timeouts."""
    with _lock:
        conn = _connections.get(settings.redis_url)
        if conn is None:
            conn = _connections[settings.redis_url] = Redis.from_url(
                settings.redis_url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S,
                retry_on_timeout=False)
        return conn


def _keys(settings: Settings) -> tuple[str, str, str]:
    base = f"{settings.index_prefix}answers:"
    return base + "generation", base + "changing", base + "settling"


# the end of one change: one change fewer under way (the count's key goes at zero), the
# generation moved on, and the settling mark set
_END = """
local left = redis.call('DECR', KEYS[2])
if left <= 0 then redis.call('DEL', KEYS[2]) end
redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[3], 1, 'PX', ARGV[1])
return left
"""


def _warn(settings: Settings, exc: Exception) -> None:
    log.warning("could not mark a change of %s* in Redis (%s): kept answers may be up to their "
                "time to live old", settings.index_prefix, exc)


@contextmanager
def changing(settings: Settings) -> Iterator[None]:
    """Wrap a change of what searches of `settings.index_prefix` see (see the module doc).
    Changes may overlap: answers are kept again once the last one has settled."""
    generation, count, settling = _keys(settings)
    conn = connection(settings)
    try:
        pipe = conn.pipeline()
        pipe.incr(count)
        pipe.pexpire(count, HOLD_MS)
        pipe.execute()
    except (RedisError, OSError) as exc:
        _warn(settings, exc)
    try:
        yield
    finally:
        try:
            conn.eval(_END, 3, generation, count, settling, SETTLE_MS)
        except (RedisError, OSError) as exc:
            _warn(settings, exc)


def changed(settings: Settings) -> None:
    """A change that is already done (e.g. a committed accounts change a page shows)."""
    with changing(settings):
        pass


def current(settings: Settings) -> int | None:
    """The generation answers may be kept and used under now; None while a change is under way
    or settling: keep none, use none. Raises RedisError when Redis does not answer."""
    generation, count, settling = _keys(settings)
    value, busy, settles = connection(settings).mget(generation, count, settling)
    if settles is not None or int(busy or 0) > 0:
        return None
    return int(value or 0)
