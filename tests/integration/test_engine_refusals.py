"""A write the engine cannot store stops a build before its alias swap (the live index keeps
serving), while a malformed document is still a reject: against the real engine."""
from __future__ import annotations

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
