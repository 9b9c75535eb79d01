"""Work documents and researcher aggregation, checked against the strict index mappings."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.trust import trust_score
from indexer.aggregate import Aggregator, _pack, _unpack, work_document
from indexer.records import validate_work
from indexer.sources.acl import AnthologySource

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
REAL_DATA = ROOT.parent / "shared" / "data" / "acl-anthology"
FILLED_LATER = {"topics", "topic_labels", "embedding", "content_hash"}
# fields of the merged work / linked researcher documents, written by the cross-source merge
MERGED_WORK_FIELDS = {"sources", "version_ids", "versions", "field_sources", "merge", "arxiv_id",
                      "categories", "category_labels"}
MERGED_RESEARCHER_FIELDS = {"sources", "preprints_count", "linked_works"}


def mapping(name: str) -> dict:
    return json.loads((ROOT / "mappings" / name).read_text())["mappings"]["properties"]


def author(pid, name=None, *, affiliation=None, orcid=None, written=None):
    name = name or pid.replace("-", " ").title()
    first, _, last = name.rpartition(" ")
    return {"id": pid, "name": name, "first": first, "last": last,
            "as_written": written or name, "orcid": orcid, "affiliation": affiliation}


def work(wid, year, authors, *, venue="acl", title=None, hidden=False, abstract=None):
    record = {
        "id": wid, "source": "test.xml", "collection_id": f"{year}.{venue}", "volume_id": "long",
        "title": title or f"Paper {wid}", "abstract": abstract, "year": year, "month": "May",
        "type": "long paper", "venue_ids": [venue], "venue_names": [venue.upper()],
        "booktitle": "Proceedings", "publisher": "ACL", "address": "Dublin", "doi": None,
        "pages": "1-9", "bibkey": wid, "url": f"https://aclanthology.org/{wid}/",
        "authors": authors, "hidden": hidden,
    }
    loaded, reject = validate_work(record, "test.xml")
    assert reject is None, reject
    return loaded


def aggregate(*works, **kwargs) -> dict[str, dict]:
    agg = Aggregator(**kwargs)
    for w in works:
        agg.add(w)
    return {doc["id"]: doc for doc in agg.researchers()}


def assert_fits(doc: dict, props: dict) -> None:
    """Every key (recursively) exists in the strict mapping."""
    for key, value in doc.items():
        assert key in props, f"{key} not in mapping"
        sub = props[key].get("properties")
        items = value if isinstance(value, list) else [value]
        if sub:
            for item in items:
                assert_fits(item, sub)


# ------------------------------------------------------------------ work documents


def test_work_document_matches_the_mapping():
    rec = work("2022.acl-long.1", 2022, [author("ada-lovelace", affiliation="Analytical Engines"),
                                         author("alan-turing"), author("ada-lovelace")],
               abstract="x" * 60)
    doc = work_document(rec)
    props = mapping("works-v1.json")
    assert_fits(doc, props)
    assert set(props) - set(doc) - MERGED_WORK_FIELDS == FILLED_LATER
    assert doc["author_ids"] == ["ada-lovelace", "alan-turing"]
    assert doc["affiliations"] == ["Analytical Engines"]
    assert doc["authors"][0] == {"id": "ada-lovelace", "name": "Ada Lovelace", "orcid": None,
                                 "affiliation": "Analytical Engines"}
    assert doc["has_abstract"] is True and doc["hidden"] is False


def test_short_or_missing_abstracts_do_not_count():
    assert work_document(work("a", 2020, [author("x-y")], abstract="Demo."))["has_abstract"] is False
    assert work_document(work("b", 2020, [author("x-y")]))["has_abstract"] is False


# ------------------------------------------------------------------ researcher documents


def test_researcher_document_matches_the_mapping():
    docs = aggregate(work("w1", 2021, [author("ada-lovelace", orcid="0000-0002-1825-0097",
                                              affiliation="Cambridge"), author("alan-turing")]))
    props = mapping("researchers-v1.json")
    for doc in docs.values():
        assert_fits(doc, props)
        assert set(props) - set(doc) - MERGED_RESEARCHER_FIELDS == FILLED_LATER


def test_counts_years_venues_and_collaborators():
    docs = aggregate(
        work("w1", 2019, [author("ada-lovelace"), author("alan-turing")], venue="acl"),
        work("w2", 2021, [author("ada-lovelace"), author("alan-turing"), author("grace-hopper")],
             venue="emnlp"),
        work("w3", 2023, [author("ada-lovelace"), author("grace-hopper")], venue="acl"),
        work("w4", 2020, [author("ada-lovelace"), author("alan-turing")], venue="tacl"),
    )
    ada = docs["ada-lovelace"]
    assert ada["works_count"] == 4 and (ada["first_year"], ada["last_year"]) == (2019, 2023)
    assert ada["venues"] == ["acl", "emnlp", "tacl"]
    assert ada["work_ids"] == ["w1", "w2", "w3", "w4"]
    assert ada["collaborators"] == [
        {"id": "alan-turing", "name": "Alan Turing", "count": 3, "first_year": 2019, "last_year": 2021},
        {"id": "grace-hopper", "name": "Grace Hopper", "count": 2, "first_year": 2021, "last_year": 2023},
    ]
    assert ada["collaborator_ids"] == ["alan-turing", "grace-hopper"]
    assert ada["collaborators_count"] == 2
    assert ada["recent_titles"] == ["Paper w3", "Paper w2", "Paper w4", "Paper w1"]
    assert docs["grace-hopper"]["collaborators_count"] == 2
    assert (ada["followers_count"], ada["open_to_collaborate"], ada["claimed"]) == (0, False, False)


def test_recent_titles_keep_the_ten_newest():
    works = [work(f"w{y}", y, [author("ada-lovelace")], title=f"T{y}") for y in range(2000, 2015)]
    ada = aggregate(*reversed(works))["ada-lovelace"]
    assert ada["recent_titles"] == [f"T{y}" for y in range(2014, 2004, -1)]
    assert ada["works_count"] == 15


def test_affiliations_over_time_and_current():
    docs = aggregate(
        work("w1", 2021, [author("ada-lovelace", affiliation="Tsinghua University")]),
        work("w2", 2022, [author("ada-lovelace", affiliation="tsinghua  University")]),
        work("w3", 2024, [author("ada-lovelace", affiliation="Google DeepMind")]),
        work("w4", 2025, [author("ada-lovelace")]),
        work("w5", 2020, [author("alan-turing")]),
    )
    ada = docs["ada-lovelace"]
    assert ada["affiliations"] == [
        {"name": "Tsinghua University", "first_year": 2021, "last_year": 2022},
        {"name": "Google DeepMind", "first_year": 2024, "last_year": 2024},
    ]
    assert ada["current_affiliation"] == "Google DeepMind"
    assert docs["alan-turing"]["affiliations"] == [] and docs["alan-turing"]["current_affiliation"] is None


def test_names_variants_initials_and_orcid():
    docs = aggregate(
        work("w1", 2020, [author("jose-i-abreu", "José I. Abreu", written="Jose I. Abreu")]),
        work("w2", 2021, [author("jose-i-abreu", "José I. Abreu", orcid="0000-0001-5717-4210")]),
        work("w3", 2022, [author("jose-i-abreu", "José I. Abreu", written="José Abreu",
                                 orcid="0000-0009-9999-9999")]),
        known_variants={"jose-i-abreu": ("José I. Abreu", "Jose I. Abreu", "José Abreu", "J. Abreu")},
    )
    doc = docs["jose-i-abreu"]
    assert (doc["name"], doc["first_name"], doc["last_name"]) == ("José I. Abreu", "José I.", "Abreu")
    assert doc["variants"] == ["José I. Abreu", "Jose I. Abreu", "José Abreu", "J. Abreu"]
    assert doc["orcid"] == "0000-0001-5717-4210" and doc["has_orcid"] is True
    assert doc["initials"] == ["J. I. Abreu", "J I Abreu", "Abreu JI", "J. Abreu", "J Abreu", "Abreu J"]


def test_same_person_twice_on_a_paper_counts_once_and_is_not_their_own_collaborator():
    ada = aggregate(work("w1", 2020, [author("ada-lovelace"), author("ada-lovelace")]))["ada-lovelace"]
    assert ada["works_count"] == 1 and ada["collaborators"] == [] and ada["collaborators_count"] == 0


def test_hidden_works_are_not_counted():
    docs = aggregate(work("w1", 2020, [author("ada-lovelace")]),
                     work("w2", 2021, [author("ada-lovelace"), author("alan-turing")], hidden=True))
    assert set(docs) == {"ada-lovelace"} and docs["ada-lovelace"]["works_count"] == 1


def test_collaborator_list_is_capped_but_ids_are_complete():
    crowd = [author("ada-lovelace")] + [author(f"p-{i:03d}") for i in range(30)]
    ada = aggregate(work("w1", 2020, crowd), max_collaborators=5)["ada-lovelace"]
    assert len(ada["collaborators"]) == 5
    assert len(ada["collaborator_ids"]) == ada["collaborators_count"] == 30


def test_trust_is_computed_from_the_document():
    docs = aggregate(work("w1", 2020, [author("ada-lovelace", affiliation="Cambridge"),
                                       author("alan-turing")]))
    ada = docs["ada-lovelace"]
    assert ada["trust"] == trust_score(orcid=None, first_year=2020, last_year=2020, works_count=1,
                                       venues_count=1, collaborators_count=1,
                                       affiliation="Cambridge", claimed=False)
    assert ada["trust"]["level"] == "L1"


@given(count=st.integers(1, 10**6), first=st.integers(1900, 4095), last=st.integers(1900, 4095))
def test_collaborator_edge_packing_round_trips(count, first, last):
    assert _unpack(_pack(count, first, last)) == (count, first, last)


@pytest.mark.skipif(not (REAL_DATA / "xml" / "2022.acl.xml").is_file(), reason="shared data absent")
def test_real_profile_of_shengding_hu():
    source = AnthologySource(REAL_DATA)
    agg = Aggregator(source.people.known_variants())
    for record in source.read_collection(REAL_DATA / "xml" / "2022.acl.xml").records:
        agg.add(record)
    doc = agg.researcher("shengding-hu")
    assert doc is not None and doc["name"] == "Shengding Hu"
    assert doc["works_count"] == 3 and "2022.acl-long.158" in doc["work_ids"]
    assert doc["first_year"] == doc["last_year"] == 2022
    assert "S. Hu" in doc["initials"] and doc["collaborators_count"] > 0
    assert_fits(doc, mapping("researchers-v1.json"))


@pytest.mark.unit
def test_vectors_sent_to_the_engine_are_short_and_keep_their_direction():
    import json

    import numpy as np

    from indexer.write import vector_for_json

    rng = np.random.default_rng(0)
    v = rng.normal(size=384).astype(np.float32)
    v /= np.linalg.norm(v)
    sent = vector_for_json(v)
    assert len(sent) == 384 and all(isinstance(x, float) for x in sent)
    assert len(json.dumps(sent)) < 0.6 * len(json.dumps([float(x) for x in v]))
    back = np.asarray(sent)
    assert float(back @ v / np.linalg.norm(back)) > 0.999999
