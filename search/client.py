"""The one way to build an OpenSearch client: one node, or several of one cluster."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlparse

import orjson
from opensearchpy import OpenSearch, Transport
from opensearchpy.connection_pool import ConnectionPool
from opensearchpy.exceptions import ConnectionError as EngineConnectionError
from opensearchpy.exceptions import ConnectionTimeout, SerializationError, TransportError
from opensearchpy.serializer import JSONSerializer

from peerscope.config import Settings

FAIL_FAST_S = 3.0
log = logging.getLogger(__name__)


class FailFastTransport(Transport):
    """A transport that stops waiting on an engine that just failed to answer.

    After a connection error or timeout, calls fail at once (a ConnectionError, so the
    web app answers 503) for FAIL_FAST_S seconds; then one call at a time probes the
    engine until one gets an answer. A frozen engine thus costs one request timeout per
    process and cool-down, not one per request, and web threads never queue behind it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._down_until = 0.0  # monotonic time until which calls fail at once
        self._probing = False  # a call is checking whether the engine is back

    def perform_request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            now = time.monotonic()
            down = self._down_until > 0
            if down and (now < self._down_until or self._probing):
                raise EngineConnectionError("N/A", "the search engine failed moments ago; not waiting on it again yet",
                                            None)
            probe = down
            if probe:
                self._probing = True
        try:
            result = super().perform_request(method, url, *args, **kwargs)
        except EngineConnectionError:  # includes ConnectionTimeout
            with self._lock:
                if self._engine_down():
                    self._down_until = time.monotonic() + FAIL_FAST_S
                elif probe:
                    self._down_until = 0.0
                self._probing = False
            raise
        except BaseException:
            if probe:  # the engine answered (with an error): it is up
                self._close()
            raise
        if probe or self._down_until:  # an answer: the engine is up
            self._close()
        return result

    def _close(self) -> None:
        with self._lock:
            self._down_until = 0.0
            self._probing = False

    def _engine_down(self) -> bool:
        """After a call failed to reach the engine: is the whole engine away? (One node: yes.)"""
        return True


# ---------------------------------------------------------------- several nodes of one cluster

# A node that failed is left out for NODE_DEAD_S seconds, doubling on each further failure up
# to NODE_DEAD_S * 2**NODE_DEAD_CUTOFF (80 s); then ONE call probes it before it takes its
# share of the calls again.
NODE_DEAD_S = 5.0
NODE_DEAD_CUTOFF = 4
PING_S = 0.5  # a node that timed out is pinged with this bound before it is left out
# Calls that only read, so that they may be sent to another node after a timeout.
_READ_ENDPOINTS = ("_search", "_msearch", "_count", "_mget", "_explain", "_field_caps", "_termvectors",
                   "_mtermvectors", "_validate/query", "_search/template", "_msearch/template", "_knn_search")


class EngineMisconfigured(EngineConnectionError):
    """PEERSCOPE_OPENSEARCH_URL lists something that is not the nodes of one OpenSearch cluster.

    A ConnectionError, so that the web app answers 503 (and logs this message) rather than
    mixing answers from two clusters."""

    def __init__(self, message: str):
        super().__init__("N/A", message, None)
        self.message = message

    def __str__(self) -> str:
        return self.message


def is_read(method: str, url: str) -> bool:
    """True for a call that changes nothing, whichever node answers it and however often."""
    if method in ("GET", "HEAD"):
        return "/_search/scroll" not in url
    path = url.split("?", 1)[0].rstrip("/")
    return method == "POST" and any(path.endswith("/" + e) or path == "/" + e for e in _READ_ENDPOINTS)


def engine_hosts(settings: Settings) -> list[str]:
    """The nodes PEERSCOPE_OPENSEARCH_URL lists, checked: http(s) URLs with a host, each once."""
    hosts = list(settings.opensearch_hosts)
    if not hosts:
        raise ValueError("PEERSCOPE_OPENSEARCH_URL is empty; name one node (http://127.0.0.1:9200) "
                         "or several of one cluster, comma-separated")
    for h in hosts:
        url = urlparse(h)
        if url.scheme not in ("http", "https") or not url.hostname or url.path not in ("", "/"):
            raise ValueError(f"PEERSCOPE_OPENSEARCH_URL: {h!r} is not a node's address; write http://host:port, "
                             "several comma-separated")
    if len({h.lower() for h in hosts}) != len(hosts):
        raise ValueError(f"PEERSCOPE_OPENSEARCH_URL lists a node twice: {settings.opensearch_url}")
    return hosts


class ProbingConnectionPool(ConnectionPool):
    """The nodes of a cluster, spread round robin over live ones. A node that failed is left out
    for a while (NODE_DEAD_S, doubling); when that time is up, one call at a time probes it
    (the stock pool would put it back for every caller at once, and a frozen node would then
    hold one call per thread for a timeout each). With no live node, a dead one is tried."""

    def __init__(self, connections: Any, **kwargs: Any) -> None:
        super().__init__(connections, **kwargs)
        self._lock = threading.Lock()
        self._dead_until: dict[Any, float] = {}
        self._probing: set = set()

    def get_connection(self) -> Any:
        with self._lock:
            now = time.monotonic()
            for conn, until in sorted(self._dead_until.items(), key=lambda kv: kv[1]):
                if until <= now and conn not in self._probing:
                    self._probing.add(conn)
                    return conn
            live = self.connections[:]
            if not live:  # every node failed: try the one that is due first
                return min(self._dead_until, key=self._dead_until.get)
        return live[0] if len(live) == 1 else self.selector.select(live)

    def live_count(self) -> int:
        return len(self.connections)

    def mark_dead(self, connection: Any, now: float | None = None) -> None:
        with self._lock:
            self._probing.discard(connection)
            if connection in self.connections:
                self.connections.remove(connection)
            elif connection in self._dead_until and self._dead_until[connection] > time.monotonic():
                return  # another thread marked it already
            count = self.dead_count.get(connection, 0) + 1
            self.dead_count[connection] = count
            pause = NODE_DEAD_S * 2 ** min(count - 1, self.timeout_cutoff)
            self._dead_until[connection] = time.monotonic() + pause
        log.warning("search engine node %s failed (%d in a row): left out for %.0f s", connection.host, count, pause)

    def mark_live(self, connection: Any) -> None:
        with self._lock:
            if connection in self._dead_until:
                del self._dead_until[connection]
                self._probing.discard(connection)
                self.dead_count.pop(connection, None)
                self.connections.append(connection)

    def is_dead(self, connection: Any) -> bool:
        with self._lock:
            return connection in self._dead_until


class ClusterTransport(Transport):
    """Calls spread over the nodes of one cluster (PEERSCOPE_OPENSEARCH_URL lists several).

    - A call that fails to reach a node (refused, reset) goes to the next live node, up to
      `max_retries` times, as the stock transport does; so do 502/503/504 answers.
    - A read (`is_read`) may also go to another node after a timeout. Its time is bounded as a
      whole: the first node gets half of the request timeout when another node is live, the
      next one the rest, on another node. So a frozen node costs a read at most one request
      timeout, and the node is then left out (ProbingConnectionPool) instead of holding every
      caller; a node that timed out but answers a ping (it was waiting on a frozen node's shard
      copy) stays in.
    - Writes are not resent after a timeout: they may have been applied.
    - Before a node's first call (and again after it failed), the transport checks that it
      belongs to the same cluster (name and uuid) as the others: a wrong host list, or a node
      of another cluster, raises EngineMisconfigured with the nodes and clusters named.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("connection_pool_class", ProbingConnectionPool)
        super().__init__(*args, **kwargs)
        self._identity_lock = threading.Lock()
        self._cluster: tuple[str, str, str] | None = None  # name, uuid, first node seen
        self._verified: set = set()
        self._misconfigured: EngineMisconfigured | None = None  # once found, every call fails with it

    def _check_identity(self, connection: Any, timeout: float) -> None:
        if connection in self._verified:
            return
        _, _, data = connection.perform_request("GET", "/", timeout=min(timeout, 2.0))
        try:
            info = orjson.loads(data)
            name, uuid = info["cluster_name"], info["cluster_uuid"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise EngineMisconfigured(f"{connection.host} (in PEERSCOPE_OPENSEARCH_URL) answers, but not as an "
                                      f"OpenSearch node: {str(data)[:120]!r}") from None
        with self._identity_lock:
            known = self._cluster
            if known is None or (known[1] == "_na_" and known[0] == name):
                self._cluster = (name, uuid, connection.host)
            elif known[0] != name or (uuid != "_na_" and known[1] != "_na_" and known[1] != uuid):
                self._misconfigured = EngineMisconfigured(
                    f"PEERSCOPE_OPENSEARCH_URL lists nodes of different clusters: {known[2]} is in cluster "
                    f"{known[0]!r} (uuid {known[1]}), {connection.host} in {name!r} (uuid {uuid}); "
                    "list the nodes of one cluster only")
                log.error("%s", self._misconfigured)
                raise self._misconfigured
            if uuid != "_na_":  # a cluster still electing its manager is checked again later
                self._verified.add(connection)

    @staticmethod
    def _answers(connection: Any) -> bool:
        try:
            connection.perform_request("HEAD", "/", timeout=PING_S)
            return True
        except TransportError:
            return False

    def perform_request(self, method: str, url: str, params: Any = None, body: Any = None,
                        timeout: Any = None, ignore: Any = (), headers: Any = None) -> Any:
        if self._misconfigured:
            raise self._misconfigured
        method, params, body, ignore, timeout = self._resolve_request_args(method, params, body, ignore, timeout)
        budget = float(timeout or self.kwargs.get("timeout") or 10.0)
        read = is_read(method, url)
        deadline = time.monotonic() + budget
        pool = self.connection_pool
        error: TransportError | None = None
        tried: set = set()
        for attempt in range(self.max_retries + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0.01:
                break
            split = read and attempt < self.max_retries and pool.live_count() > 1
            attempt_timeout = remaining / 2 if split else remaining
            connection = pool.get_connection()
            for _ in range(len(pool.orig_connections)):  # another node than the ones that failed this call
                if connection not in tried:
                    break
                connection = pool.get_connection()
            tried.add(connection)
            try:
                self._check_identity(connection, attempt_timeout)
            except EngineMisconfigured:
                raise
            except TransportError as e:  # nothing was sent yet: any call may go elsewhere
                pool.mark_dead(connection)
                self._verified.discard(connection)
                error = e
                continue
            try:
                status, headers_response, data = connection.perform_request(
                    method, url, params, body, headers=headers, ignore=ignore, timeout=attempt_timeout)
            except TransportError as e:
                if method == "HEAD" and e.status_code == 404:
                    return False
                if isinstance(e, ConnectionTimeout):
                    retry = read
                else:
                    retry = isinstance(e, EngineConnectionError) or e.status_code in self.retry_on_status
                if not retry:
                    raise
                # A node that timed out may itself be fine, waiting on a shard copy of a node that
                # is not: only a node that does not answer a ping either is left out.
                if not isinstance(e, ConnectionTimeout) or not self._answers(connection):
                    pool.mark_dead(connection)
                    self._verified.discard(connection)
                error = e
                continue
            pool.mark_live(connection)
            if method == "HEAD":
                return 200 <= status < 300
            if data:
                data = self.deserializer.loads(data, {k.lower(): v for k, v in headers_response.items()}
                                               .get("content-type"))
            return data
        raise error or ConnectionTimeout("TIMEOUT", f"no node answered within {budget:.1f} s", None)


class FailFastClusterTransport(FailFastTransport, ClusterTransport):
    """Several nodes with the fail-fast cool-down for when every node failed: each node is left
    out on its own by the pool, and only a failure that leaves no node live starts the
    cool-down of the whole engine (a read that timed out on two nodes while a third is live
    fails alone, instead of failing every call for FAIL_FAST_S)."""

    def _engine_down(self) -> bool:
        return self.connection_pool.live_count() == 0


POOL_SIZE = 8


class FastJSONSerializer(JSONSerializer):
    """JSON through orjson: answers carry vectors and long id lists, and the standard
    library's decoder was the app's largest own cost in a recommendation (4.6 of about 20
    ms of CPU). Anything orjson refuses (lone surrogates, huge integers) goes the standard
    way. `dumps` returns str because bulk and msearch bodies are joined as text."""

    def loads(self, s: str) -> Any:
        try:
            return orjson.loads(s)
        except orjson.JSONDecodeError as e:
            raise SerializationError(s, e)

    def dumps(self, data: Any) -> Any:
        if isinstance(data, str):
            return data
        try:
            return orjson.dumps(data, default=self.default, option=orjson.OPT_SERIALIZE_NUMPY).decode()
        except TypeError:  # orjson.JSONEncodeError
            return super().dumps(data)


def make_client(settings: Settings, timeout: float | None = None, *, fail_fast: bool = False) -> OpenSearch:
    """A client for the node(s) of `settings.opensearch_url` with bounded timeouts and retries.

    Retries cover transient connection errors only; a slow engine must not
    hold a web worker longer than the request timeout. `fail_fast` (the web
    app) adds FailFastTransport. Several nodes (comma-separated) get
    ClusterTransport: calls spread over them, and an idempotent call goes to
    another node when one is gone.
    """
    hosts = engine_hosts(settings)
    several = len(hosts) > 1
    if several:
        transport: dict = {"transport_class": FailFastClusterTransport if fail_fast else ClusterTransport,
                           "dead_timeout": NODE_DEAD_S, "timeout_cutoff": NODE_DEAD_CUTOFF}
    else:
        transport = {"transport_class": FailFastTransport} if fail_fast else {}
    return OpenSearch(
        hosts=hosts,
        timeout=timeout if timeout is not None else settings.request_timeout,
        max_retries=max(2, len(hosts) - 1),
        retry_on_timeout=False,
        http_compress=False,
        # keep-alive connections for concurrent users of one client: the web app's threads,
        # the indexer's two bulk writers (urllib3's default keeps one and reconnects the rest)
        pool_maxsize=POOL_SIZE,
        serializer=FastJSONSerializer(),
        **transport,
    )
