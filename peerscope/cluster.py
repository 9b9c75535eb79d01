"""A local OpenSearch cluster of several nodes on 127.0.0.1, from the single node's artifacts.

`peerscope node start --nodes 3` runs three nodes of one cluster (`peerscope-cluster`) from
the home the single node is assembled in (peerscope/node.py: the same Maven artifacts), each
with its own HTTP and transport ports and its own config, data and log folders under
`<node dir>-cluster/node-<i>`, all with the same seed hosts and initial cluster managers, so
that they elect a cluster manager among themselves. Each node is started, stopped and
signalled through its own pid file: the commands are idempotent per node and never touch the
single node.

Ports: those of PEERSCOPE_OPENSEARCH_URL when it lists as many local nodes, else 9211, 9212...
(HTTP) and 9311, 9312... (transport), clear of the single node's 9200/9300.
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from peerscope import node
from peerscope.config import Settings
from peerscope.node import NodePaths
from peerscope.proc import ServiceError, pid_alive, read_pid, tail

CLUSTER_NAME = "peerscope-cluster"
FIRST_HTTP_PORT = 9211
TRANSPORT_OFFSET = 100
# On loopback a node that stops answering is put out of the cluster within about 5 s instead of
# about 30 (a check every second, 1 s to answer, 3 tries in a row): searches waiting on its
# shard copies then go to the other copies, and a frozen cluster manager is replaced as quickly.
# With 2 s to answer a frozen node left after 8 s, past the web app's 5 s request timeout.
FAULT_DETECTION = {
    "cluster.fault_detection.follower_check.interval": "1s",
    "cluster.fault_detection.follower_check.timeout": "1s",
    "cluster.fault_detection.follower_check.retry_count": 3,
    "cluster.fault_detection.leader_check.interval": "1s",
    "cluster.fault_detection.leader_check.timeout": "1s",
    "cluster.fault_detection.leader_check.retry_count": 3,
}


@dataclass(frozen=True)
class Member:
    """One node of the local cluster."""

    number: int
    http_port: int
    paths: NodePaths

    @property
    def name(self) -> str:
        return f"peerscope-node-{self.number}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def transport_port(self) -> int:
        return self.http_port + TRANSPORT_OFFSET

    @property
    def logfile(self) -> Path:
        return self.paths.logs / f"{CLUSTER_NAME}.log"

    def pid(self) -> int | None:
        pid = read_pid(self.paths.pidfile)
        return pid if pid and pid_alive(pid) else None


def cluster_root(settings: Settings) -> Path:
    root = node.node_paths(settings).root
    return root.with_name(root.name + "-cluster")


def _record(settings: Settings) -> dict:
    try:
        return json.loads((cluster_root(settings) / "cluster.json").read_text())
    except (OSError, ValueError):
        return {}


def _ports(settings: Settings, count: int) -> list[int]:
    hosts = settings.opensearch_hosts
    if len(hosts) == count and count > 1:
        ports = []
        for h in hosts:
            url = urlparse(h)
            if url.hostname not in ("127.0.0.1", "localhost") or not url.port:
                raise ServiceError(f"PEERSCOPE_OPENSEARCH_URL lists {h}: a local cluster runs on 127.0.0.1 "
                                   "with explicit ports (http://127.0.0.1:9211,http://127.0.0.1:9212,...)")
            ports.append(url.port)
        if len(set(ports)) != count:
            raise ServiceError(f"PEERSCOPE_OPENSEARCH_URL lists the same port twice: {settings.opensearch_url}")
        return ports
    if len(hosts) > 1:
        raise ServiceError(f"PEERSCOPE_OPENSEARCH_URL lists {len(hosts)} nodes, but {count} were asked for")
    return [FIRST_HTTP_PORT + i for i in range(count)]


def members(settings: Settings, count: int | None = None) -> list[Member]:
    """The cluster's nodes: `count` of them, or as many as were last started here."""
    root = cluster_root(settings)
    if count is None:
        ports = _record(settings).get("ports") or (_ports(settings, len(settings.opensearch_hosts))
                                                   if len(settings.opensearch_hosts) > 1 else [])
    else:
        if count < 2:
            raise ServiceError("a cluster has at least 2 nodes (one node: `peerscope node start`)")
        ports = _ports(settings, count)
    return [Member(i + 1, port, NodePaths(root / f"node-{i + 1}")) for i, port in enumerate(ports)]


def hosts_url(ms: list[Member]) -> str:
    return ",".join(m.url for m in ms)


def member_config(m: Member, all_members: list[Member], bootstrap: list[str]) -> dict:
    return {
        "cluster.name": CLUSTER_NAME,
        "node.name": m.name,
        "network.host": "127.0.0.1",
        "http.port": m.http_port,
        "transport.port": m.transport_port,
        "discovery.seed_hosts": [f"127.0.0.1:{o.transport_port}" for o in all_members],
        # used once, when the cluster first forms; a node started later joins the cluster it finds
        "cluster.initial_cluster_manager_nodes": bootstrap,
        "path.data": str(m.paths.data),
        "path.logs": str(m.paths.logs),
        "action.destructive_requires_name": False,
        **node.BUILD_NODE_SETTINGS,
        **FAULT_DETECTION,
    }


# ---------------------------------------------------------------- HTTP


def _get(url: str, timeout: float = 3) -> dict | list | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return json.loads(resp.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError, ValueError):
        return None


def _any(ms: list[Member], path: str, timeout: float = 3) -> dict | list | None:
    """The first answer to `path` from a node that answers."""
    for m in ms:
        if m.pid() or not m.paths.pidfile.exists():
            answer = _get(m.url + path, timeout)
            if answer is not None:
                return answer
    return None


def health(ms: list[Member], wait_nodes: int | None = None, wait_s: float = 0) -> dict | None:
    path = "/_cluster/health"
    if wait_nodes:
        path += f"?wait_for_nodes={wait_nodes}&wait_for_status=yellow&timeout={max(1, int(wait_s))}s"
    return _any(ms, path, timeout=wait_s + 5)


def identities(ms: list[Member]) -> dict[str, tuple[str, str]]:
    """(cluster name, cluster uuid) each answering node reports, by node name."""
    out = {}
    for m in ms:
        info = _get(m.url + "/", timeout=3)
        if isinstance(info, dict):
            out[m.name] = (info.get("cluster_name", "?"), info.get("cluster_uuid", "?"))
    return out


# ---------------------------------------------------------------- commands


def status(settings: Settings) -> str:
    ms = members(settings)
    if not ms:
        return "not running (no cluster started here; `peerscope node start --nodes 3`)"
    h = health(ms)
    rows = {r.get("name"): r for r in (_any(ms, "/_cat/nodes?format=json&h=name,heap.percent,node.role,"
                                            "cluster_manager") or [])}
    ids = identities(ms)
    lines = []
    if h:
        lines.append(f"running: cluster {h['cluster_name']} status={h['status']}, {h['number_of_nodes']} of "
                     f"{len(ms)} nodes, {h['active_shards']} active shards ({h['active_primary_shards']} primaries), "
                     f"{h['unassigned_shards']} unassigned, {h['relocating_shards']} relocating, "
                     f"{h['initializing_shards']} initializing")
    else:
        alive = [m for m in ms if m.pid()]
        lines.append(f"starting or unhealthy: {len(alive)} node processes" if alive else "not running")
    for m in ms:
        pid, row = m.pid(), rows.get(m.name)
        state = ("in the cluster" if row else "answering, not in the cluster" if m.name in ids
                 else "not answering" if pid else "stopped")
        extra = ""
        if row:
            extra = f", heap {row.get('heap.percent')} %, roles {row.get('node.role')}"
            extra += ", elected cluster manager" if row.get("cluster_manager") == "*" else ""
        lines.append(f"  {m.name}: {m.url} (transport {m.transport_port}) pid {pid or '-'}, {state}{extra}; "
                     f"log {m.logfile}")
    if len(set(ids.values())) > 1:
        lines.append("  error: the nodes answer for different clusters: "
                     + ", ".join(f"{n} {c}/{u}" for n, (c, u) in sorted(ids.items())))
    lines.append(f"PEERSCOPE_OPENSEARCH_URL={hosts_url(ms)}")
    return "\n".join(lines)


def start(settings: Settings, count: int, timeout: float = 240, only: int | None = None) -> str:
    """Start the nodes of a `count`-node cluster that are not running (or only node `only`);
    wait until all `count` are in the cluster and it is at least yellow."""
    ms = members(settings, count)
    root = cluster_root(settings)
    record = _record(settings)
    bootstrap = record.get("bootstrap") or [m.name for m in ms]
    home = node.assemble(settings).home
    java = Path(json.loads((home / ".assembled").read_text())["java"])
    if node._java_major(java) is None:
        java = node.find_java(settings)
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    (root / "cluster.json").write_text(json.dumps({"ports": [m.http_port for m in ms], "bootstrap": bootstrap}))
    chosen = [m for m in ms if only is None or m.number == only]
    if not chosen:
        raise ServiceError(f"no node {only} in a cluster of {count}")
    errors: dict[str, str] = {}
    started = []

    def launch(m: Member) -> None:
        try:
            node.write_config(m.paths, home, member_config(m, ms, bootstrap))
            node.launch(settings, m.paths, home, java, settings.cluster_heap)
        except ServiceError as exc:
            errors[m.name] = str(exc)

    threads = []
    for m in chosen:
        if m.pid() or _get(m.url + "/", timeout=2) is not None:
            continue
        started.append(m.name)
        # in parallel: a node waits for the others to form the cluster before it daemonises
        threads.append(threading.Thread(target=launch, args=(m,), daemon=True))
        threads[-1].start()
    for t in threads:
        t.join(timeout + 60)
    if errors:
        raise ServiceError("; ".join(f"{n}: {e}" for n, e in errors.items()))
    deadline = time.monotonic() + timeout
    while True:
        h = health(ms, wait_nodes=count, wait_s=5)
        if h and h.get("number_of_nodes") == count and h.get("status") in ("yellow", "green"):
            break
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {m.name} ({m.logfile})\n{tail(m.logfile, 8)}" for m in chosen)
            raise ServiceError(f"the cluster did not reach {count} nodes and yellow health within {int(timeout)} s"
                               f"\n{logs}")
        time.sleep(1)
    ids = identities(ms)
    if len(set(ids.values())) > 1:
        raise ServiceError("the nodes formed more than one cluster: "
                           + ", ".join(f"{n} {c}/{u}" for n, (c, u) in sorted(ids.items()))
                           + f"; stop them and remove {root} to form one again")
    head = f"started {', '.join(started)}" if started else "already running"
    return f"{head}\n{status(settings)}"


def stop(settings: Settings, timeout: float = 60, only: int | None = None) -> str:
    """Stop the nodes started here (or only node `only`), each by its own pid file."""
    ms = [m for m in members(settings) if only is None or m.number == only]
    if not ms:
        return "not running: nothing to stop"
    pids = {}
    for m in ms:
        pid = m.pid()
        if pid:
            os.kill(pid, signal.SIGCONT)  # a frozen node would never act on SIGTERM
            os.kill(pid, signal.SIGTERM)
            pids[m] = pid
        else:
            m.paths.pidfile.unlink(missing_ok=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(pid_alive(p) for p in pids.values()):
        time.sleep(0.5)
    for m, pid in pids.items():
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
        m.paths.pidfile.unlink(missing_ok=True)
    if not pids:
        return "not running: nothing to stop"
    return "stopped " + ", ".join(f"{m.name} (pid {pid})" for m, pid in pids.items())


def signal_member(settings: Settings, number: int, sig: int) -> int:
    """Send `sig` to node `number` of the cluster (SIGSTOP freezes it, SIGCONT thaws it)."""
    for m in members(settings):
        if m.number == number:
            pid = m.pid()
            if not pid:
                raise ServiceError(f"{m.name} is not running")
            os.kill(pid, sig)
            return pid
    raise ServiceError(f"no node {number} in the cluster")
