"""The foundation against the real node and Redis: mappings, BM25, kNN, alias swap, an RQ job."""
from __future__ import annotations

import math

import pytest
from opensearchpy import helpers

import mappings
from search import lifecycle

pytestmark = pytest.mark.integration

DIMS = 384


def unit_vector(*hot: int) -> list[float]:
    v = [0.0] * DIMS
    for i in hot:
        v[i] = 1.0
    norm = math.sqrt(len(hot))
    return [x / norm for x in v]


WORKS = [
    {"id": "w1", "title": "Neural machine translation with attention", "abstract": "We translate sentences.",
     "year": 2017, "embedding": unit_vector(0)},
    {"id": "w2", "title": "Prompt tuning for parameter-efficient transfer", "abstract": "Soft prompts are tuned.",
     "year": 2022, "embedding": unit_vector(1)},
    {"id": "w3", "title": "Translating low-resource languages", "abstract": "Machine translations for rare languages.",
     "year": 2020, "embedding": unit_vector(0, 2)},
]


def load_works(client, settings, docs):
    index = lifecycle.create_index(client, settings, "works")
    ok, errors = helpers.bulk(client, ({"_index": index, "_id": d["id"], "_source": d} for d in docs))
    assert ok == len(docs) and not errors
    lifecycle.finish_build(client, index)
    return index


def test_mappings_load_with_model_dimension():
    body = mappings.load("works", dims=123)
    assert body["mappings"]["properties"]["embedding"]["dimension"] == 123
    assert body["mappings"]["properties"]["embedding"]["method"]["engine"] == "lucene"
    assert mappings.latest_version("researchers") >= 1


def test_name_analyzer_folds_diacritics_and_builds_prefixes(client, settings, clean_indexes):
    index = lifecycle.create_index(client, settings, "researchers")
    folded = client.indices.analyze(index=index, body={"analyzer": "name", "text": "Felicia Körner"})
    assert [t["token"] for t in folded["tokens"]] == ["felicia", "korner"]
    prefixes = client.indices.analyze(index=index, body={"analyzer": "name_prefix", "text": "Hu"})
    assert [t["token"] for t in prefixes["tokens"]] == ["h", "hu"]


def test_bm25_stems_and_ranks_title_matches(client, settings, clean_indexes):
    index = load_works(client, settings, WORKS)
    res = client.search(index=index, body={"query": {"match": {"title": "translations"}}})
    ids = [h["_id"] for h in res["hits"]["hits"]]
    assert set(ids) == {"w1", "w3"}  # "translations" stems to match "translation" and "translating"


def test_knn_returns_nearest_and_applies_filter_inside(client, settings, clean_indexes):
    index = load_works(client, settings, WORKS)
    q = {"size": 3, "query": {"knn": {"embedding": {"vector": unit_vector(0), "k": 3}}}}
    ids = [h["_id"] for h in client.search(index=index, body=q)["hits"]["hits"]]
    assert ids[:2] == ["w1", "w3"]
    q["query"]["knn"]["embedding"]["filter"] = {"range": {"year": {"gte": 2018}}}
    ids = [h["_id"] for h in client.search(index=index, body=q)["hits"]["hits"]]
    assert ids[0] == "w3" and "w1" not in ids


def test_alias_swap_is_atomic_and_drops_the_old_index(client, settings, clean_indexes):
    first = load_works(client, settings, WORKS[:1])
    lifecycle.swap_aliases(client, settings, {"works": first})
    alias = settings.alias("works")
    assert client.count(index=alias)["count"] == 1
    second = load_works(client, settings, WORKS)
    replaced = lifecycle.swap_aliases(client, settings, {"works": second})
    assert replaced == [first]
    assert client.count(index=alias)["count"] == 3
    assert not client.indices.exists(index=first)
    assert lifecycle.indexes_behind(client, alias) == [second]


def test_failed_build_leaves_the_old_alias_serving(client, settings, clean_indexes):
    lifecycle.swap_aliases(client, settings, {"works": load_works(client, settings, WORKS)})
    with pytest.raises(RuntimeError):
        with lifecycle.building(client, settings, ("works",)) as new:
            half_built = new["works"]
            raise RuntimeError("source went away")
    assert not client.indices.exists(index=half_built)
    assert client.count(index=settings.alias("works"))["count"] == 3


def test_a_rebuild_from_a_copy_writes_only_what_changed(client, settings, clean_indexes):
    from indexer.write import Diff, bulk_index, delete_docs, indexed_hashes

    def write(index, docs):
        diff = Diff(indexed_hashes(client, index))
        written = bulk_index(client, index, [dict(d) for d in docs], on_reject=rejects.append, diff=diff)
        return written, diff, delete_docs(client, index, diff.stale())

    rejects: list = []
    with lifecycle.building(client, settings, ("works",), reuse=True) as new:  # nothing live: from empty
        assert write(new["works"], WORKS)[0] == 3
    first = new["works"]
    changed = [WORKS[0], {**WORKS[1], "title": "Prompt tuning, revised"}]  # w3 is gone
    with lifecycle.building(client, settings, ("works",), reuse=True) as new:
        assert new["works"] != first
        written, diff, removed = write(new["works"], changed)
        assert (written, diff.unchanged, removed) == (1, 1, 1)
    alias = settings.alias("works")
    assert not rejects and not client.indices.exists(index=first)
    assert client.count(index=alias)["count"] == 2
    assert client.get(index=alias, id="w2")["_source"]["title"] == "Prompt tuning, revised"
    hits = client.search(index=alias, body={"size": 1, "query": {"knn": {"embedding": {"vector": unit_vector(0), "k": 1}}}})
    assert hits["hits"]["hits"][0]["_id"] == "w1"  # the copied vectors and graph serve k-NN
    client.index(index=alias, id="w9", body={**WORKS[2], "id": "w9"}, refresh=True)  # no write block left
    assert client.count(index=alias)["count"] == 3


def test_a_live_index_fingerprinted_otherwise_is_not_copied(client, settings, clean_indexes):
    index = load_works(client, settings, WORKS)
    lifecycle.swap_aliases(client, settings, {"works": index})
    assert lifecycle.reusable_index(client, settings, "works") == index
    client.indices.put_mapping(index=index, body={"_meta": {"content_hash": "another scheme"}})
    assert lifecycle.reusable_index(client, settings, "works") is None


def test_a_live_index_without_a_field_of_the_mapping_is_not_copied(client, settings, clean_indexes):
    """An index made before a field was added to the mapping would refuse every document that
    carries it (strict mappings): a build must not start from a copy of it."""
    index = load_works(client, settings, WORKS)
    lifecycle.swap_aliases(client, settings, {"works": index})
    meta = client.indices.get_mapping(index=index)[index]["mappings"]["_meta"]
    client.indices.put_mapping(index=index, body={"_meta": {**meta, "mapping": "the fields of an older mapping"}})
    assert lifecycle.reusable_index(client, settings, "works") is None


def test_rq_job_runs_on_a_real_worker(redis_conn, settings):
    from rq import Queue, SimpleWorker

    from peerscope.selfcheck import add

    queue = Queue(f"test-{settings.index_prefix}", connection=redis_conn)
    job = queue.enqueue(add, 2, 3, job_id=f"{settings.index_prefix}add")
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    job.refresh()
    assert job.is_finished and job.return_value() == 5
    queue.delete(delete_jobs=True)


def test_vectors_stay_readable_after_a_scroll(client, settings, clean_indexes):
    """With derived vector source on, a cleared scroll closed the vector files (k-NN issue 3191)."""
    index = load_works(client, settings, WORKS)
    assert len(list(helpers.scan(client, index=index, query={"query": {"match_all": {}}}, size=1))) == 3
    doc = client.get(index=index, id="w1")["_source"]
    assert len(doc["embedding"]) == DIMS
