"""Fixed-window counters in Redis: `hit` counts an attempt, `blocked` tells whether the cap is reached.

Keys carry the index prefix so that two instances (and the tests) never share
counters. A window starts with the first attempt and expires by itself.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from redis import Redis


@dataclass(frozen=True)
class Limit:
    name: str
    cap: int
    window_s: int


LOGIN_PER_ACCOUNT = Limit("login-account", 5, 15 * 60)  # failed logins for one e-mail
LOGIN_PER_ADDRESS = Limit("login-ip", 30, 15 * 60)  # failed logins from one client address
SIGNUP_PER_ADDRESS = Limit("signup-ip", 10, 3600)
MAIL_PER_ACCOUNT = Limit("mail-account", 3, 3600)  # verification e-mails sent again
INVITES_PER_HOUR = Limit("invite-hour", 5, 3600)
INVITES_PER_DAY = Limit("invite-day", 20, 24 * 3600)


def _key(prefix: str, limit: Limit, subject: str) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]  # no raw e-mails in Redis
    return f"{prefix}rl:{limit.name}:{digest}"


def hit(conn: Redis, prefix: str, limit: Limit, subject: str) -> int:
    """Count one attempt; returns the count in the current window."""
    key = _key(prefix, limit, subject)
    pipe = conn.pipeline()
    pipe.incr(key)
    pipe.expire(key, limit.window_s, nx=True)
    count, _ = pipe.execute()
    return int(count)


def blocked(conn: Redis, prefix: str, limit: Limit, subject: str) -> int:
    """Seconds until the window ends when the cap is reached, else 0."""
    key = _key(prefix, limit, subject)
    count = conn.get(key)
    if count is None or int(count) < limit.cap:
        return 0
    return max(int(conn.ttl(key)), 1)


def reset(conn: Redis, prefix: str, limit: Limit, subject: str) -> None:
    conn.delete(_key(prefix, limit, subject))
