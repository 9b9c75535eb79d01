"""Processes the reliability checks start and stop: the served web app, a private Redis,
an RQ worker, a second OpenSearch node. Everything binds to 127.0.0.1, every wait is
bounded, and each helper stops only the process it started (by its own pid).

Used by the scripts in bench/ and by tests/reliability.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
# `peerscope ...` run from the checkout (what the console script runs, without depending on how
# the package was installed)
PEERSCOPE_CMD = [sys.executable, "-c", "import sys; sys.argv[0] = 'peerscope'; from peerscope.cli import main; main()"]
SECOND_NODE_DIR = "/var/cache/peerscope/os-second"
SECOND_NODE_URL = "http://127.0.0.1:9201"


def reconciles(report: dict) -> bool:
    """Whether a build's report adds up: read = indexed + rejected, and for works also + the
    preprints merged into their published version + repeated listings."""
    return bool(report) and all(
        report[e]["read"] == report[e]["indexed"] + report[e]["rejected"]
        + report[e].get("merged", 0) + report[e].get("repeated", 0) for e in ("works", "researchers"))


def cpu_features() -> str:
    """The CPU and the vector instructions the embedding and the engine can use."""
    flags, model = set(), platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
            elif line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    vec = [f for f in ("avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "avx2", "fma") if f in flags]
    return f"{model or '?'}, {os.cpu_count()} cores visible; vector: {', '.join(vec) or 'none'}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes, dict]:
    """(status, body, headers); status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)
    except (urllib.error.URLError, OSError):
        return 0, b"", {}


def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout:.0f} s")


def base_env(**extra: str | None) -> dict[str, str]:
    """The current environment plus `extra` (None removes a variable); offline model loading."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def stop_process(proc: subprocess.Popen, timeout: float = 20, sig: int = signal.SIGTERM) -> None:
    """Stop a process this module started: its own process group (it was started as a session leader)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    """Direct children of a process (from /proc)."""
    out = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(status.parent.name))
    return sorted(out)


# ---------------------------------------------------------------- Redis


@dataclass
class RedisServer:
    port: int
    folder: Path
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15) -> "RedisServer":
        """A private redis-server on 127.0.0.1 with append-only persistence in `folder`."""
        binary = shutil.which("redis-server")
        if not binary:
            raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--protected-mode", "yes",
             "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(self.ping, timeout, what=f"redis on port {self.port}")
        return self

    def ping(self) -> bool:
        from redis import Redis, RedisError

        try:
            return bool(Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
        except RedisError:
            return False

    def stop(self) -> None:
        """SIGTERM: Redis flushes its append-only file and exits."""
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def kill(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, sig=signal.SIGKILL)
            self.proc = None


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of `pids` (with their threads) so far, in seconds, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass  # the process has ended
    return total / tick


@contextmanager
def private_redis(folder: Path | None = None) -> Iterator[RedisServer]:
    tmp = None
    if folder is None:
        tmp = tempfile.mkdtemp(prefix="peerscope-redis-")
        folder = Path(tmp)
    server = RedisServer(free_port(), folder).start()
    try:
        yield server
    finally:
        server.stop()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- the web app under gunicorn


@dataclass
class WebServer:
    """`peerscope serve` (gunicorn, the production server) on a free port."""

    env: dict[str, str]
    workers: int = 2
    threads: int = 4
    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "WebServer":
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [*PEERSCOPE_CMD, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers),
             "--threads", str(self.threads)],
            env=self.env, cwd=str(ROOT), stdout=log, stderr=log, start_new_session=True)
        if log is not subprocess.DEVNULL:
            log.close()

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError(f"peerscope serve exited with {self.proc.returncode}; log {self.log_path}")
            return http_get(self.base_url + "/api/openapi.json", timeout=2)[0] == 200
        wait_for(up, timeout, interval=0.3, what="the web app")
        return self

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid) if self.proc else []

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout=30)
            self.proc = None


@contextmanager
def served(env: dict[str, str], workers: int = 2, log_path: Path | None = None, threads: int = 4) -> Iterator[WebServer]:
    server = WebServer(env, workers=workers, threads=threads, log_path=log_path).start()
    try:
        yield server
    finally:
        server.stop()


def app_env(prefix: str, redis_url: str | None, opensearch_url: str | None = None, *,
            rate_limit: str = "0", **extra: str | None) -> dict[str, str]:
    """Environment for a served app / worker / CLI on `prefix`."""
    return base_env(PEERSCOPE_INDEX_PREFIX=prefix, PEERSCOPE_REDIS_URL=redis_url,
                    PEERSCOPE_OPENSEARCH_URL=opensearch_url or os.environ.get("PEERSCOPE_OPENSEARCH_URL"),
                    PEERSCOPE_API_RATE_LIMIT=rate_limit, **extra)


# ---------------------------------------------------------------- CLI and RQ worker


def peerscope(args: list[str], env: dict[str, str], timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([*PEERSCOPE_CMD, *args], env=env, cwd=str(ROOT), capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"peerscope {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return proc


def start_worker(env: dict[str, str], burst: bool = True, log_path: Path | None = None) -> subprocess.Popen:
    """`peerscope worker` as the leader of its own process group (so a SIGKILL takes its work horse too)."""
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    proc = subprocess.Popen([*PEERSCOPE_CMD, "worker", *(["--burst"] if burst else [])], env=env, cwd=str(ROOT),
                            stdout=log, stderr=log, start_new_session=True)
    if log is not subprocess.DEVNULL:
        log.close()
    return proc


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        out += kids
        todo += kids
    return out


def _signal_tree(proc: subprocess.Popen, sig: int) -> None:
    """The worker and everything it started: RQ's work horse runs in a process group of its own."""
    for pid in [proc.pid, *descendants(proc.pid)]:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def freeze_group(proc: subprocess.Popen) -> None:
    _signal_tree(proc, signal.SIGSTOP)


def thaw_group(proc: subprocess.Popen) -> None:
    _signal_tree(proc, signal.SIGCONT)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the worker and its work horse at once, as a lost machine or container would."""
    _signal_tree(proc, signal.SIGSTOP)  # nothing moves while the tree is collected and killed
    _signal_tree(proc, signal.SIGKILL)
    proc.wait(timeout=30)


# ---------------------------------------------------------------- the second OpenSearch node


@dataclass
class SecondNode:
    """The independent node assembled in /var/cache/peerscope/os-second, on port 9201.

    Started and stopped through the project's own `peerscope node` commands with
    PEERSCOPE_NODE_DIR pointing at it, so the shared node on 9200 is never touched.
    """

    node_dir: str = SECOND_NODE_DIR
    url: str = SECOND_NODE_URL
    heap: str = "512m"

    def env(self, **extra: str | None) -> dict[str, str]:
        return base_env(PEERSCOPE_NODE_DIR=self.node_dir, PEERSCOPE_OPENSEARCH_URL=self.url,
                        PEERSCOPE_OPENSEARCH_HEAP=self.heap, **extra)

    def healthy(self) -> bool:
        status, body, _ = http_get(self.url + "/_cluster/health", timeout=3)
        return status == 200 and json.loads(body).get("status") in ("yellow", "green")

    def start(self, timeout: float = 240) -> float:
        """Start (or find running); returns the seconds it took."""
        t0 = time.monotonic()
        if not self.healthy():
            peerscope(["node", "start", "--timeout", str(int(timeout))], self.env(), timeout=timeout + 30)
        return time.monotonic() - t0

    def stop(self) -> float:
        if not Path(self.node_dir).is_dir():
            raise RuntimeError(f"no second node at {self.node_dir}")
        t0 = time.monotonic()
        peerscope(["node", "stop"], self.env(), timeout=120)
        return time.monotonic() - t0

    def pid(self) -> int:
        pid = int((Path(self.node_dir) / "opensearch.pid").read_text().strip())
        if Path(self.node_dir).resolve() == Path("/var/cache/peerscope/opensearch"):
            raise RuntimeError("refusing to signal the shared node")
        return pid

    def signal(self, sig: int) -> None:
        """SIGSTOP freezes the node (it accepts connections and never answers), SIGCONT thaws it."""
        os.kill(self.pid(), sig)


# ---------------------------------------------------------------- the local three-node cluster


CLUSTER_HOSTS = ("http://127.0.0.1:9211", "http://127.0.0.1:9212", "http://127.0.0.1:9213")


@dataclass
class LocalCluster:
    """The local cluster of `peerscope node start --nodes 3` (peerscope/cluster.py), driven
    through the project's own commands; each node is stopped, started and signalled alone by
    its own pid file, so the shared single node is never touched."""

    hosts: tuple[str, ...] = CLUSTER_HOSTS
    heap: str = "1g"

    @property
    def url(self) -> str:
        return ",".join(self.hosts)

    @property
    def size(self) -> int:
        return len(self.hosts)

    def env(self, **extra: str | None) -> dict[str, str]:
        return base_env(PEERSCOPE_OPENSEARCH_URL=self.url, PEERSCOPE_CLUSTER_HEAP=self.heap, **extra)

    def get(self, path: str, timeout: float = 5) -> dict | list | None:
        """The first answer to `path` from a node that answers (a frozen one is waited on for `timeout`)."""
        for host in self.hosts:
            status, body, _ = http_get(host + path, timeout=timeout)
            if status == 200:
                return json.loads(body)
        return None

    def health(self, timeout: float = 5) -> dict:
        return self.get("/_cluster/health", timeout) or {}

    def running(self) -> bool:
        return self.health().get("number_of_nodes") == self.size

    def wait_green(self, timeout: float = 300, nodes: int | None = None) -> float:
        """Seconds until the cluster is green with `nodes` (default: all) nodes."""
        t0 = time.monotonic()
        want = nodes or self.size
        wait_for(lambda: (h := self.health()).get("status") == "green" and h.get("number_of_nodes") == want,
                 timeout, interval=0.5, what=f"a green cluster of {want} nodes")
        return time.monotonic() - t0

    def start(self, only: int | None = None, timeout: float = 300) -> float:
        """Start every node that is not running (or node `only`); seconds until all are in the cluster."""
        t0 = time.monotonic()
        args = ["node", "start", "--nodes", str(self.size), "--timeout", str(int(timeout))]
        peerscope(args + (["--only", str(only)] if only else []), self.env(), timeout=timeout + 90)
        return time.monotonic() - t0

    def stop(self, only: int | None = None) -> float:
        t0 = time.monotonic()
        peerscope(["node", "stop", "--nodes", str(self.size)] + (["--only", str(only)] if only else []),
                  self.env(), timeout=120)
        return time.monotonic() - t0

    def node_name(self, number: int) -> str:
        return f"peerscope-node-{number}"

    def number_of(self, node_name: str) -> int:
        return int(node_name.rsplit("-", 1)[1])

    def pid(self, number: int) -> int:
        from peerscope import cluster
        from peerscope.config import load_settings

        settings = load_settings()
        member = next(m for m in cluster.members(settings) if m.number == number)
        pid = member.pid()
        if not pid or cluster.cluster_root(settings) not in member.paths.pidfile.parents:
            raise RuntimeError(f"node {number} of the cluster is not running")
        return pid

    def signal(self, number: int, sig: int) -> None:
        """SIGSTOP freezes node `number` (it accepts connections and never answers), SIGCONT thaws it."""
        os.kill(self.pid(number), sig)

    def shards(self, pattern: str) -> list[dict]:
        return self.get(f"/_cat/shards/{pattern}?format=json&h=index,shard,prirep,state,node") or []

    def cluster_manager(self) -> str | None:
        rows = self.get("/_cat/nodes?format=json&h=name,cluster_manager") or []
        return next((r["name"] for r in rows if r.get("cluster_manager") == "*"), None)
