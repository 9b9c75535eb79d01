"""Fixed windows on account actions, counted by the app's Flask-Limiter (web/security.py):
`hit` counts an attempt, `blocked` tells whether the cap is reached, `reset` clears.

The views decide what counts (a failed sign-in, a sent invitation), so they call these
inside a request rather than decorating routes. Keys carry the index prefix so that two
instances (and the tests) never share counters, and a hash of the subject, never an
e-mail address. A window starts with the first attempt and expires by itself. Unlike the
API limit these do not fail open: without Redis these actions answer an error.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from functools import cached_property

from flask import current_app
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.strategies import RateLimiter

from web.security import limiter


@dataclass(frozen=True)
class Limit:
    name: str
    cap: int
    window_s: int

    @cached_property
    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.cap, self.window_s)


LOGIN_PER_ACCOUNT = Limit("login-account", 5, 15 * 60)  # failed logins for one e-mail
LOGIN_PER_ADDRESS = Limit("login-ip", 30, 15 * 60)  # failed logins from one client address
SIGNUP_PER_ADDRESS = Limit("signup-ip", 10, 3600)
MAIL_PER_ACCOUNT = Limit("mail-account", 3, 3600)  # verification e-mails sent again
RESET_PER_ACCOUNT = Limit("reset-account", 3, 3600)  # reset links mailed to one address
RESET_PER_ADDRESS = Limit("reset-ip", 10, 3600)  # reset links asked for from one client address
EMAIL_CHANGE_PER_ACCOUNT = Limit("email-change", 3, 3600)
INVITES_PER_HOUR = Limit("invite-hour", 5, 3600)
INVITES_PER_DAY = Limit("invite-day", 20, 24 * 3600)


def _counter() -> RateLimiter:
    return limiter(current_app).limiter


def _ids(limit: Limit, subject: str) -> tuple[str, str, str]:
    return "accounts", limit.name, hashlib.sha256(subject.encode()).hexdigest()[:32]


def hit(limit: Limit, subject: str) -> bool:
    """Count one attempt; False once the window holds more than the cap."""
    return _counter().hit(limit.item, *_ids(limit, subject))


def blocked(limit: Limit, subject: str) -> int:
    """Seconds until the window ends when the cap is reached, else 0."""
    counter, ids = _counter(), _ids(limit, subject)
    if counter.test(limit.item, *ids):
        return 0
    reset_at, _ = counter.get_window_stats(limit.item, *ids)
    return max(int(reset_at - time.time()), 1)


def reset(limit: Limit, subject: str) -> None:
    _counter().clear(limit.item, *_ids(limit, subject))
