"""A write the engine cannot store stops a build before its alias swap (the live index keeps
serving), while a malformed document is still a reject: against the real engine."""
from __future__ import annotations

import time
from dataclasses import replace

import pytest

from indexer.write import EngineUnavailable, bulk_index
from search import lifecycle


@pytest.fixture()
def prefixed(client, settings):
    own = replace(settings, index_prefix=settings.index_prefix.replace("test-", "test-refusals-", 1))
    yield own
    lifecycle.drop_prefix(client, own)


def test_a_refused_write_stops_the_build_and_the_live_index_keeps_serving(client, prefixed):
    rejects: list[tuple] = []
    with lifecycle.building(client, prefixed, ("works",)) as new:
        # a malformed document is the record's fault: set aside with its reason, the build goes on
        docs = [{"id": "w1", "title": "Kept"}, {"id": "w2", "title": "Malformed", "year": "not a year"}]
        assert bulk_index(client, new["works"], docs, on_reject=lambda *a: rejects.append(a)) == 1
    assert [r[0] for r in rejects] == ["w2"] and "year" in rejects[0][1]
    live = lifecycle.indexes_behind(client, prefixed.alias("works"))

    with pytest.raises(EngineUnavailable, match="before its alias swap"):
        with lifecycle.building(client, prefixed, ("works",)) as new:
            client.indices.put_settings(index=new["works"], body={"index": {"blocks.write": True}})
            bulk_index(client, new["works"], [{"id": "w3", "title": "Never stored"}], on_reject=lambda *a: None)
    assert lifecycle.indexes_behind(client, prefixed.alias("works")) == live
    client.indices.refresh(index=prefixed.alias("works"))
    assert client.count(index=prefixed.alias("works"))["count"] == 1
    assert lifecycle.orphans(client, prefixed, ("works",)) == []  # the half-built index is gone


def test_an_id_the_engine_would_refuse_is_a_reject_and_the_rest_is_written(client, prefixed):
    rejects: list[tuple] = []
    with lifecycle.building(client, prefixed, ("works",)) as new:
        docs = [{"id": "w1", "title": "Kept"}, {"id": "arxiv:" + "x" * 600, "title": "Id too long"},
                {"id": "w2", "title": "Also kept"}]
        assert bulk_index(client, new["works"], docs, on_reject=lambda *a: rejects.append(a)) == 2
    assert len(rejects) == 1 and "512 bytes" in rejects[0][1]


def test_a_replica_that_cannot_be_placed_ends_the_wait_in_its_bound_without_an_error(client, prefixed, monkeypatch):
    # One node cannot hold a replica: the engine answers every health wait "timed out" (HTTP 408),
    # which is "not yet", so the wait polls to its bound and says False (the swap then goes on).
    monkeypatch.setattr(lifecycle, "HEALTH_POLL_S", 1)
    index = f"{prefixed.index_prefix}replica-probe"
    client.indices.create(index=index, body={"settings": {"number_of_shards": 1, "number_of_replicas": 1}})
    started = time.monotonic()
    assert lifecycle.wait_for_replicas(client, [index], timeout_s=3) is False
    assert time.monotonic() - started < 3 + 2
