"""Preprints and merged works in the exports, the query builders and the page helpers (pure)."""
from __future__ import annotations

import pytest

from search.queries import listings as L
from search.params import version_id
from search.queries import works as W
from web.exports import bibtex, csl_json, is_preprint, ris
from web.pages.filters import link_why, other_versions, venue_badge, version_label

pytestmark = pytest.mark.unit

PREPRINT = {
    "id": "arxiv:2512.24880", "title": "mHC: Manifold-Constrained Hyper-Connections", "year": 2025,
    "month": "12", "type": "preprint", "venue_ids": ["arxiv"], "venue_names": ["arXiv"],
    "collection_id": "arxiv", "volume_id": "arxiv-2512", "url": "https://arxiv.org/abs/2512.24880",
    "doi": "10.48550/arXiv.2512.24880", "arxiv_id": "2512.24880", "categories": ["cs.CL", "cs.LG"],
    "sources": ["arxiv"], "authors": [{"id": "shengding-hu", "name": "Shengding Hu"},
                                      {"id": "arxiv-ada-lovelace", "name": "Ada Lovelace"}],
}
MERGED = {
    "id": "2025.acl-long.12", "title": "A Merged Paper", "year": 2025, "month": "July",
    "type": "long paper", "venue_ids": ["acl"], "venue_names": ["ACL"],
    "booktitle": "Proceedings of ACL 2025", "url": "https://aclanthology.org/2025.acl-long.12/",
    "doi": "10.18653/v1/2025.acl-long.12", "arxiv_id": "2505.14577", "categories": ["cs.CL"],
    "sources": ["acl", "arxiv"], "authors": [{"id": "ada-lovelace", "name": "Ada Lovelace"}],
    "versions": [
        {"source": "acl", "id": "2025.acl-long.12", "year": 2025, "venue": "ACL", "type": "long paper",
         "url": "https://aclanthology.org/2025.acl-long.12/", "doi": "10.18653/v1/2025.acl-long.12",
         "listed": None},
        {"source": "arxiv", "id": "arxiv:2505.14577", "year": 2025, "venue": "arXiv", "type": "preprint",
         "url": "https://arxiv.org/abs/2505.14577", "doi": "10.48550/arXiv.2505.14577", "listed": "2025-05-21"},
    ],
}


def test_a_preprint_is_a_misc_entry_with_its_eprint():
    text = bibtex(PREPRINT)
    assert text.startswith("@misc{arxiv:2512.24880,")
    assert "    eprint = {2512.24880}," in text
    assert "    archivePrefix = {arXiv}," in text
    assert "    primaryClass = {cs.CL}," in text
    assert "    doi = {10.48550/arXiv.2512.24880}," in text
    assert "booktitle" not in text and "Hu, Shengding and Lovelace, Ada" in text


def test_a_merged_work_stays_inproceedings_and_names_its_arxiv_version():
    text = bibtex(MERGED)
    assert text.startswith("@inproceedings{")
    assert "booktitle = {Proceedings of ACL 2025}" in text
    assert "eprint = {2505.14577}" in text and "archivePrefix = {arXiv}" in text
    assert "doi = {10.18653/v1/2025.acl-long.12}" in text
    assert not is_preprint(MERGED)
    assert "pages = {496--507}" in bibtex({**MERGED, "pages": "496\u2013507"})  # an en dash too


def test_an_anthology_work_has_no_eprint():
    plain = {k: v for k, v in MERGED.items() if k not in ("arxiv_id", "categories", "versions", "sources")}
    assert "eprint" not in bibtex(plain) and "AN  - " not in ris(plain)


def test_ris_of_a_preprint_is_unpublished_with_the_arxiv_id():
    lines = ris(PREPRINT).split("\r\n")
    assert lines[0] == "TY  - UNPB"
    assert "AN  - arXiv:2512.24880" in lines and "DB  - arXiv" in lines and "PB  - arXiv" in lines
    assert "UR  - https://arxiv.org/abs/2512.24880" in lines
    assert not any(line.startswith("T2  - ") for line in lines)
    assert ris(MERGED).split("\r\n")[0] == "TY  - CPAPER" and "AN  - arXiv:2505.14577" in ris(MERGED)


def test_csl_json_of_a_preprint_is_an_article_in_the_arxiv_archive():
    [item] = csl_json(PREPRINT)
    assert item["type"] == "article"
    assert item["archive"] == "arXiv" and item["number"] == "arXiv:2512.24880"
    assert item["DOI"] == "10.48550/arXiv.2512.24880" and item["URL"] == "https://arxiv.org/abs/2512.24880"
    assert "container-title" not in item
    assert csl_json(MERGED)[0]["type"] == "paper-conference"


def test_a_preprint_without_url_links_to_its_abstract_page():
    bare = {k: v for k, v in PREPRINT.items() if k != "url"}
    assert "url = {https://arxiv.org/abs/2512.24880}" in bibtex(bare)


def test_source_filter_counts_unmarked_works_as_the_anthology():
    [arxiv] = W.work_filters({"source": "arxiv"})
    assert arxiv == {"bool": {"should": [{"term": {"sources": "arxiv"}}], "minimum_should_match": 1}}
    [acl] = W.work_filters({"source": "acl"})
    assert {"bool": {"must_not": [{"exists": {"field": "sources"}}]}} in acl["bool"]["should"]
    assert L.WORK_FACETS["sources"]["terms"] == {"field": "sources", "size": 5, "missing": "acl"}


def test_an_arxiv_id_as_written_anywhere_is_the_id_its_version_is_indexed_under():
    for written in ("2503.16063", "2503.16063v2", "arXiv:2503.16063", "arxiv:2503.16063v11", " 2503.16063 "):
        assert version_id(written) == "arxiv:2503.16063"
    assert version_id("2025.acl-long.12") == "2025.acl-long.12" and version_id("P05-1001") == "P05-1001"


def test_a_work_is_found_by_any_version_id_and_stays_visible_only():
    body = W.by_version_body("arxiv:2505.14577", ["id"])
    inner = body["query"]["bool"]["filter"][0]["bool"]["should"]
    assert {"terms": {"version_ids": ["arxiv:2505.14577"]}} in inner
    assert {"ids": {"values": ["arxiv:2505.14577"]}} in inner
    assert body["query"]["bool"]["must_not"] == [{"term": {"hidden": True}}]


def test_page_helpers_for_badges_versions_and_links():
    assert venue_badge(["arxiv"]) == "arXiv" and venue_badge(["acl", "findings"]) == "ACL, FINDINGS"
    [other] = other_versions(MERGED)
    assert other["id"] == "arxiv:2505.14577" and version_label(other) == "arXiv 2025"
    assert other_versions(PREPRINT) == []
    assert link_why({"method": "co-authors", "confidence": 0.934,
                     "evidence": "linked by 3 shared co-authors: A, B and C"}) == \
        "Linked by 3 shared co-authors: A, B and C (confidence 0.93)"
    assert link_why({"method": "name"}) == "Linked by name"
