"""The client on several nodes (search/client.py): host lists, retries, budgets, cluster identity;
and the local cluster's node layout (peerscope/cluster.py). Fake connections, no engine."""
from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
from opensearchpy.connection import Connection
from opensearchpy.exceptions import ConnectionError as EngineConnectionError
from opensearchpy.exceptions import ConnectionTimeout

from peerscope.config import Settings
from search import client as sc

pytestmark = pytest.mark.unit

HOSTS = ["http://127.0.0.1:9211", "http://127.0.0.1:9212", "http://127.0.0.1:9213"]


class FakeNode(Connection):
    """A node that answers, refuses, hangs (frozen: nothing answers), waits (its searches hang on
    another node's shard copy, it answers pings) or belongs to another cluster."""

    behaviour: dict[str, str] = {}
    calls: list[tuple[str, str, str, float]] = []

    def perform_request(self, method, url, params=None, body=None, timeout=None, ignore=(), headers=None):
        how = self.behaviour.get(self.host, "ok")
        FakeNode.calls.append((self.host, method, url, timeout))
        if how == "refuse":
            raise EngineConnectionError("N/A", "refused", None)
        if how == "hang" or (how == "wait" and url != "/"):
            time.sleep(min(timeout, 0.05))
            raise ConnectionTimeout("TIMEOUT", "read timed out", None)
        if url == "/":
            cluster = ("other", "uuid-2") if how == "other" else ("peerscope-cluster", "uuid-1")
            return 200, {}, json.dumps({"name": self.host, "cluster_name": cluster[0], "cluster_uuid": cluster[1]})
        return 200, {"content-type": "application/json"}, json.dumps({"node": self.host})


@pytest.fixture(autouse=True)
def nodes(monkeypatch):
    from opensearchpy import Transport

    monkeypatch.setattr(Transport, "DEFAULT_CONNECTION_CLASS", FakeNode)
    FakeNode.behaviour, FakeNode.calls = {}, []
    return FakeNode


def _client(fail_fast=False, timeout=5.0):
    settings = replace(Settings(), opensearch_url=",".join(HOSTS), request_timeout=timeout)
    return sc.make_client(settings, fail_fast=fail_fast)


def _requests(kind: str = "") -> list[tuple]:
    return [c for c in FakeNode.calls if c[2] != "/" and kind in c[1] + c[2]]


def test_several_hosts_from_the_one_setting():
    s = replace(Settings(), opensearch_url=" http://127.0.0.1:9211/, http://127.0.0.1:9212 ,")
    assert s.opensearch_hosts == ("http://127.0.0.1:9211", "http://127.0.0.1:9212")
    assert Settings().opensearch_hosts == ("http://127.0.0.1:9200",)


@pytest.mark.parametrize("url, words", [
    ("127.0.0.1:9211", "not a node's address"),
    ("http://127.0.0.1:9211;http://127.0.0.1:9212", "not a node's address"),
    ("http://127.0.0.1:9211/peerscope", "not a node's address"),
    ("http://127.0.0.1:9211,http://127.0.0.1:9211", "twice"),
    (" , ", "empty"),
])
def test_a_wrong_host_list_is_refused_clearly(url, words):
    with pytest.raises(ValueError, match=words):
        sc.engine_hosts(replace(Settings(), opensearch_url=url))


def test_one_host_keeps_the_stock_transport():
    c = sc.make_client(Settings())
    assert type(c.transport).__name__ == "Transport"
    assert type(sc.make_client(Settings(), fail_fast=True).transport) is sc.FailFastTransport
    assert type(_client(fail_fast=True).transport) is sc.FailFastClusterTransport


@pytest.mark.parametrize("method, url, read", [
    ("GET", "/idx/_doc/1", True), ("HEAD", "/idx", True), ("POST", "/idx/_search", True),
    ("POST", "/_msearch", True), ("POST", "/idx/_count", True), ("POST", "/_mget", True),
    ("POST", "/_bulk", False), ("PUT", "/idx", False), ("POST", "/idx/_doc/1", False),
    ("POST", "/_search/scroll", False), ("GET", "/_search/scroll", False), ("DELETE", "/idx", False),
    ("POST", "/_aliases", False), ("POST", "/idx/_forcemerge", False),
])
def test_what_counts_as_a_read(method, url, read):
    assert sc.is_read(method, url) is read


def test_calls_spread_over_the_nodes(nodes):
    c = _client()
    seen = {c.transport.perform_request("GET", "/x")["node"] for _ in range(6)}
    assert seen == set(HOSTS)
    # each node's cluster was checked once, before its first call
    assert sorted(h for h, _, url, _ in nodes.calls if url == "/") == HOSTS


def test_a_stopped_node_costs_no_call_and_is_left_out(nodes):
    c = _client()
    nodes.behaviour[HOSTS[1]] = "refuse"
    answers = [c.transport.perform_request("POST", "/_bulk", body="{}\n")["node"] for _ in range(9)]
    assert HOSTS[1] not in answers and len(answers) == 9  # a write that never reached a node goes elsewhere
    assert len([x for x in nodes.calls if x[0] == HOSTS[1]]) == 1  # tried once, then left out
    assert c.transport.connection_pool.is_dead(next(x for x in c.transport.connection_pool.orig_connections
                                                    if x.host == HOSTS[1]))


def test_a_hanging_node_gets_half_of_a_read_and_the_read_is_answered_elsewhere(nodes):
    c = _client(timeout=4.0)
    for conn in c.transport.connection_pool.orig_connections:  # identities known
        c.transport._check_identity(conn, 1)
    nodes.behaviour[HOSTS[0]] = "hang"
    nodes.calls.clear()
    answers = [c.transport.perform_request("POST", "/idx/_search", body={})["node"] for _ in range(6)]
    assert HOSTS[0] not in answers
    hung = [x for x in nodes.calls if x[0] == HOSTS[0]]
    assert hung[0][3] == pytest.approx(2.0, abs=0.05)  # half of the 4 s
    assert [x[1] for x in hung] == ["POST", "HEAD"]  # then a ping, unanswered: left out


def test_a_node_waiting_on_another_stays_in(nodes):
    c = _client(timeout=4.0)
    for conn in c.transport.connection_pool.orig_connections:
        c.transport._check_identity(conn, 1)
    nodes.behaviour[HOSTS[0]] = "wait"
    answers = [c.transport.perform_request("POST", "/idx/_search", body={})["node"] for _ in range(6)]
    assert HOSTS[0] not in answers
    assert c.transport.connection_pool.live_count() == 3  # it answered the ping: not left out


def test_a_write_that_timed_out_is_not_resent(nodes):
    c = _client()
    for conn in c.transport.connection_pool.orig_connections:
        c.transport._check_identity(conn, 1)
    for h in HOSTS:
        nodes.behaviour[h] = "hang"
    with pytest.raises(ConnectionTimeout):
        c.transport.perform_request("POST", "/_bulk", body="{}\n")
    assert len(_requests("_bulk")) == 1


def test_a_probe_at_a_time_after_the_pause(nodes, monkeypatch):
    c = _client()
    pool = c.transport.connection_pool
    bad = next(x for x in pool.orig_connections if x.host == HOSTS[2])
    pool.mark_dead(bad)
    assert pool.live_count() == 2
    clock = [time.monotonic() + sc.NODE_DEAD_S + 1]
    monkeypatch.setattr(sc.time, "monotonic", lambda: clock[0])
    assert pool.get_connection() is bad  # the probe
    assert all(pool.get_connection() is not bad for _ in range(10))  # the others wait for it
    pool.mark_live(bad)
    assert pool.live_count() == 3 and not pool.is_dead(bad)


def test_the_pause_doubles_on_repeated_failures(nodes):
    pool = _client().transport.connection_pool
    bad = pool.orig_connections[0]
    t0 = time.monotonic()
    pool.mark_dead(bad)
    first = pool._dead_until[bad] - t0
    pool._dead_until[bad] = 0  # due
    assert pool.get_connection() is bad
    pool.mark_dead(bad)
    assert pool._dead_until[bad] - time.monotonic() == pytest.approx(2 * first, abs=0.5)


def test_a_node_of_another_cluster_is_a_clear_error_on_every_call(nodes):
    c = _client()
    nodes.behaviour[HOSTS[2]] = "other"
    with pytest.raises(sc.EngineMisconfigured, match="different clusters") as err:
        for _ in range(6):
            c.transport.perform_request("GET", "/x")
    assert HOSTS[2] in str(err.value) and "'other'" in str(err.value) and "peerscope-cluster" in str(err.value)
    with pytest.raises(sc.EngineMisconfigured):  # and every call after it
        c.transport.perform_request("GET", "/x")


def test_every_node_gone_starts_the_fail_fast_cool_down(nodes):
    c = _client(fail_fast=True)
    for h in HOSTS:
        nodes.behaviour[h] = "refuse"
    with pytest.raises(EngineConnectionError):
        c.transport.perform_request("GET", "/x")
    n = len(nodes.calls)
    with pytest.raises(EngineConnectionError, match="moments ago"):
        c.transport.perform_request("GET", "/x")
    assert len(nodes.calls) == n  # failed at once, no node asked


# ---------------------------------------------------------------- the local cluster's layout


def test_cluster_members_ports_folders_and_config(tmp_path):
    from peerscope import cluster

    ms = cluster.members(replace(Settings(), cache_dir=tmp_path), 3)
    assert [m.http_port for m in ms] == [9211, 9212, 9213]
    assert [m.transport_port for m in ms] == [9311, 9312, 9313]
    assert len({m.paths.data for m in ms}) == 3 and len({m.paths.logs for m in ms}) == 3
    conf = cluster.member_config(ms[1], ms, [m.name for m in ms])
    assert conf["cluster.name"] == cluster.CLUSTER_NAME and conf["node.name"] == "peerscope-node-2"
    assert conf["discovery.seed_hosts"] == ["127.0.0.1:9311", "127.0.0.1:9312", "127.0.0.1:9313"]
    assert conf["cluster.initial_cluster_manager_nodes"] == ["peerscope-node-1", "peerscope-node-2",
                                                             "peerscope-node-3"]
    assert "discovery.type" not in conf and conf["http.port"] == 9212


def test_cluster_ports_follow_the_url_when_it_lists_the_nodes():
    from peerscope import cluster
    from peerscope.proc import ServiceError

    s = replace(Settings(), opensearch_url="http://127.0.0.1:9231,http://127.0.0.1:9232")
    assert [m.http_port for m in cluster.members(s, 2)] == [9231, 9232]
    with pytest.raises(ServiceError, match="lists 2 nodes, but 3"):
        cluster.members(s, 3)
    with pytest.raises(ServiceError, match="127.0.0.1"):
        cluster.members(replace(s, opensearch_url="http://10.0.0.1:9200,http://10.0.0.2:9200"), 2)


# ---------------------------------------------------------------- shards and replicas


class _Indices:
    def __init__(self):
        self.created = {}

    def create(self, index, body):
        self.created[index] = body


class _Cluster:
    def __init__(self, data_nodes):
        self.data_nodes = data_nodes

    def health(self, **kwargs):
        return {"number_of_data_nodes": self.data_nodes}


class _Client:
    def __init__(self, data_nodes):
        self.indices, self.cluster = _Indices(), _Cluster(data_nodes)


@pytest.mark.parametrize("data_nodes, replicas", [(1, 0), (2, 1), (3, 1), (5, 1)])
def test_one_replica_as_soon_as_a_second_data_node_can_hold_it(data_nodes, replicas):
    from search import lifecycle

    assert lifecycle.replicas_for(_Client(data_nodes), Settings()) == replicas
    assert lifecycle.replicas_for(_Client(data_nodes), replace(Settings(), index_replicas=2)) == 2


def test_new_indexes_take_shards_and_replicas_from_settings():
    from search import lifecycle

    c = _Client(3)
    s = replace(Settings(), index_shards=4)
    built = c.indices.created[lifecycle.create_index(c, s, "works")]["settings"]["index"]
    assert built["number_of_shards"] == 4 and built["number_of_replicas"] == 0  # no copies while building
    served = c.indices.created[lifecycle.create_index(c, s, "researchers", building=False)]["settings"]["index"]
    assert served["number_of_shards"] == 4 and served["number_of_replicas"] == 1
    assert lifecycle.serve_settings(1)["index"]["number_of_replicas"] == 1
    assert lifecycle.serve_settings(0)["index"]["refresh_interval"] == "1s"


def test_shards_and_replicas_from_the_environment(monkeypatch):
    from peerscope.config import load_settings

    assert (load_settings().index_shards, load_settings().index_replicas) == (1, None)
    monkeypatch.setenv("PEERSCOPE_INDEX_SHARDS", "3")
    monkeypatch.setenv("PEERSCOPE_INDEX_REPLICAS", "2")
    assert (load_settings().index_shards, load_settings().index_replicas) == (3, 2)
    monkeypatch.setenv("PEERSCOPE_INDEX_REPLICAS", "auto")
    assert load_settings().index_replicas is None


def test_shards_per_index(monkeypatch):
    from peerscope.config import load_settings
    from search import lifecycle

    monkeypatch.setenv("PEERSCOPE_INDEX_SHARDS", "2, researchers=4")
    s = load_settings()
    assert (s.shards_of("works"), s.shards_of("researchers")) == (2, 4)
    c = _Client(1)
    assert c.indices.created[lifecycle.create_index(c, s, "researchers")]["settings"]["index"]["number_of_shards"] == 4
    assert c.indices.created[lifecycle.create_index(c, s, "works")]["settings"]["index"]["number_of_shards"] == 2
    for wrong in ("two", "works=0", "works=", "a-b=2"):
        monkeypatch.setenv("PEERSCOPE_INDEX_SHARDS", wrong)
        with pytest.raises(ValueError, match="PEERSCOPE_INDEX_SHARDS"):
            load_settings()


def test_one_node_failing_does_not_start_the_cool_down_of_the_whole_engine(nodes):
    c = _client(fail_fast=True, timeout=1.0)
    for conn in c.transport.connection_pool.orig_connections:
        c.transport._check_identity(conn, 1)
    nodes.behaviour[HOSTS[0]] = "hang"
    nodes.behaviour[HOSTS[1]] = "wait"
    failed = 0
    for _ in range(6):
        try:
            assert c.transport.perform_request("POST", "/idx/_search", body={})["node"] == HOSTS[2]
        except ConnectionTimeout:
            failed += 1
    assert failed <= 1  # a read that met both hanging nodes first; the calls after it are answered
