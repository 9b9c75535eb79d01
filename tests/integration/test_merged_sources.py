"""A build of both sources on real files against the real engine: NAACL 2025 from the Anthology
and one day of arXiv listings (2025-03-20), which holds preprints of three NAACL papers."""
from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

pytestmark = pytest.mark.integration

ACL_FILE, ARXIV_FILE = "2025.naacl.xml", "2025-03-20.jsonl"


@pytest.fixture(scope="module")
def both_sources(client, settings):
    from indexer.build import run_in_process
    from indexer.sources.base import Options

    built = replace(settings, index_prefix=f"test-both-{uuid.uuid4().hex[:8]}-", sources=("acl", "arxiv"))
    report = run_in_process(built, Options(files=(ACL_FILE, ARXIV_FILE)), None)
    client.indices.refresh(index=f"{built.index_prefix}*")
    yield built, report
    client.indices.delete(index=f"{built.index_prefix}*", ignore_unavailable=True, allow_no_indices=True)


@pytest.fixture(scope="module")
def api(both_sources):
    from web import create_app

    built, _ = both_sources
    return create_app(built, embed=lambda text: [0.0] * built.embedding_dims).test_client()


def _merged_work(client, built) -> dict:
    hits = client.search(index=built.alias("works"), body={
        "size": 1, "query": {"term": {"sources": "arxiv"}},
        "post_filter": {"term": {"sources": "acl"}}, "_source": {"excludes": ["embedding"]}})["hits"]["hits"]
    assert hits, "no work with versions in both sources"
    return hits[0]["_source"]


def test_every_work_read_is_indexed_rejected_or_merged(both_sources):
    _, report = both_sources
    works = report["works"]
    assert works["merged"] >= 3
    assert works["read"] == works["indexed"] + works["rejected"] + works["merged"]


def test_a_preprint_and_its_published_version_are_one_work_under_the_published_id(client, both_sources):
    built, _ = both_sources
    work = _merged_work(client, built)
    assert not work["id"].startswith("arxiv:")
    assert {v["source"] for v in work["versions"]} == {"acl", "arxiv"}
    assert work["merge"]["confidence"] > 0.9
    assert any(v.startswith("arxiv:") for v in work["version_ids"])


def test_the_preprint_id_answers_with_the_merged_work(client, both_sources, api):
    built, _ = both_sources
    work = _merged_work(client, built)
    preprint_id = next(v for v in work["version_ids"] if v.startswith("arxiv:"))
    answer = api.get(f"/api/works/{preprint_id}")
    assert answer.status_code == 200
    assert answer.get_json()["id"] == work["id"]


def test_an_arxiv_only_work_is_a_preprint_whose_authors_line_up_with_their_ids(client, both_sources):
    built, _ = both_sources
    hits = client.search(index=built.alias("works"), body={
        "size": 20, "query": {"bool": {"filter": [{"term": {"sources": "arxiv"}}],
                                       "must_not": [{"term": {"sources": "acl"}}]}},
        "_source": ["id", "type", "venue_names", "authors", "author_ids"]})["hits"]["hits"]
    assert hits
    for hit in hits:
        work = hit["_source"]
        assert work["id"].startswith("arxiv:") and work["type"] == "preprint"
        assert work["venue_names"] == ["arXiv"]
        assert work["author_ids"] == list(dict.fromkeys(a["id"] for a in work["authors"]))
        assert all(a.get("link", {}).get("method") for a in work["authors"])


def test_a_linked_researcher_lists_the_preprints_with_their_evidence(client, both_sources):
    built, _ = both_sources
    hits = client.search(index=built.alias("researchers"), body={
        # an Anthology researcher with a preprint of their own (not only a merged work), in any index order
        "size": 5, "query": {"bool": {"filter": [{"term": {"sources": "arxiv"}}, {"term": {"sources": "acl"}},
                                                 {"range": {"preprints_count": {"gte": 1}}}]}},
        "_source": ["id", "linked_works", "sources"]})["hits"]["hits"]
    linked = [h["_source"] for h in hits if h["_source"].get("linked_works")]
    assert linked, "no Anthology researcher was linked to a preprint"
    for link in linked[0]["linked_works"]:
        assert link["work_id"].startswith("arxiv:") and link["evidence"] and 0 < link["confidence"] <= 1


def test_a_new_listing_day_updates_only_its_preprints_and_folds_those_published(client, both_sources):
    """`peerscope index --files <day>.jsonl`: 2025-03-26 lists preprints of three NAACL papers."""
    from indexer.incremental import update_files
    from indexer.sources.arxiv import ArxivSource
    from indexer.sources.base import FileTask

    built, _ = both_sources
    day = ArxivSource(built.arxiv_dir).data_dir / "2025-03-26.jsonl"
    before = client.count(index=built.alias("works"))["count"]
    report = update_files(built, [FileTask(day, source="arxiv")])
    client.indices.refresh(index=built.alias("works"))
    after = client.count(index=built.alias("works"))["count"]
    folded = client.count(index=built.alias("works"), body={"query": {"bool": {"filter": [
        {"term": {"sources": "acl"}}, {"term": {"sources": "arxiv"}}]}}})["count"]
    assert report["works"]["rejected"] == 0
    assert folded >= 6  # three from the first day, three from this one
    assert after - before == report["works"]["read"] - (folded - 3)
