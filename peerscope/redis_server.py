"""A project-local Redis (Debian's redis-server) on loopback, used when PEERSCOPE_REDIS_URL is not set.

Persistence is on (AOF, fsync every second) so queued jobs survive a restart.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from urllib.parse import urlparse

import redis

from peerscope.config import Settings
from peerscope.proc import ServiceError, pid_alive, read_pid, tail


def _paths(settings: Settings):
    root = settings.state_dir / "redis"
    return root, root / "redis.pid", root / "redis.log"


def _ping(settings: Settings) -> bool:
    try:
        return bool(redis.Redis.from_url(settings.redis_url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def status(settings: Settings) -> str:
    root, pidfile, log = _paths(settings)
    if _ping(settings):
        return f"running: {settings.redis_url} (pid {read_pid(pidfile) or 'external'}, log {log})"
    return "not running"


def start(settings: Settings, timeout: float = 15) -> str:
    if _ping(settings):
        return f"already running at {settings.redis_url}"
    if settings.redis_url_given:
        raise ServiceError(f"PEERSCOPE_REDIS_URL={settings.redis_url} does not answer; start that Redis yourself")
    binary = shutil.which("redis-server")
    if not binary:
        raise ServiceError("redis-server is not installed; on Debian: apt-get install redis-server")
    url = urlparse(settings.redis_url)
    root, pidfile, log = _paths(settings)
    root.mkdir(parents=True, exist_ok=True)
    cmd = [binary, "--bind", "127.0.0.1", "--port", str(url.port or 6379), "--dir", str(root),
           "--daemonize", "yes", "--pidfile", str(pidfile), "--logfile", str(log),
           "--appendonly", "yes", "--appendfsync", "everysec", "--save", "60 1",
           "--protected-mode", "yes"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ServiceError(f"redis-server failed: {proc.stderr or proc.stdout}\n{tail(log)}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _ping(settings):
            return f"running at {settings.redis_url} (data {root}, log {log})"
        time.sleep(0.2)
    raise ServiceError(f"Redis did not answer within {timeout:.0f} s; log {log}:\n{tail(log)}")


def stop(settings: Settings, timeout: float = 15) -> str:
    _, pidfile, _ = _paths(settings)
    pid = read_pid(pidfile)
    if not pid or not pid_alive(pid):
        return "not running: nothing to stop"
    os.kill(pid, signal.SIGTERM)  # redis saves its data on SIGTERM
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.2)
    return f"stopped (pid {pid})"
