"""Engine faults while the app serves (bench/faults.py): the second OpenSearch node stopped,
frozen and restarted; a node of the local 3-node cluster stopped, restarted and frozen under
load, and a build with one node down; a private Redis stopped and killed. The shared node and
Redis are never touched."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def _failed(out: dict) -> list[str]:
    return [name for name, ok in out["checks"].items() if not ok]


def test_redis_down_search_keeps_serving_and_queued_jobs_survive(indexed_sample, tmp_path):
    from bench.faults import redis_faults

    messages: list[str] = []
    out = redis_faults(tmp_path, serve_prefix=indexed_sample.index_prefix, sample=20, log=messages.append)
    assert not _failed(out), (_failed(out), "\n".join(messages))


@pytest.mark.faults
def test_opensearch_stopped_frozen_and_restarted_on_the_second_node(tmp_path):
    from bench.faults import opensearch_faults

    messages: list[str] = []
    out = opensearch_faults(tmp_path, sample=30, freeze_s=8, log=messages.append)
    assert not _failed(out), (_failed(out), "\n".join(messages))


@pytest.mark.faults
def test_cluster_node_stopped_frozen_and_a_build_with_one_node_down_under_load(tmp_path):
    """The local 3-node cluster (started and stopped here if it is not running), 16 clients."""
    from bench.faults import cluster_faults

    messages: list[str] = []
    out = cluster_faults(tmp_path, sample=300, rebuild_sample=400, freeze_s=15, observe_s=15, log=messages.append)
    assert not _failed(out), (_failed(out), "\n".join(messages), out.get("phases"))
