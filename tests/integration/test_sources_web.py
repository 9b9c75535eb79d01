"""Preprints and merged works on the web side, against the real engine.

The documents follow the merged work contract (a published paper with its arXiv version, an
arXiv-only preprint linked to an Anthology researcher by co-authors, a mention kept apart from
an Anthology namesake, a work indexed before `sources` existed). They are written through the
project's own lifecycle and bulk helpers into indexes of their own prefix, so the strict
mappings check every field.
"""
from __future__ import annotations

import json
import math
import random
from dataclasses import replace

import pytest

from indexer.write import bulk_index
from search import lifecycle
from web import create_app

pytestmark = pytest.mark.integration

MERGED, PREPRINT, OLD = "2025.acl-long.12", "arxiv:2512.24880", "2023.acl-long.5"
MERGED_ARXIV = "arxiv:2505.14577"
ADA, ALAN, ARXIV_ALAN, GRACE = "ada-lovelace", "alan-turing", "arxiv-alan-turing", "grace-hopper"
CO_AUTHORS = "linked by 3 shared co-authors: Grace Hopper, Mary Somerville and Charles Babbage"
APART = "the name matches alan-turing in the Anthology, but no co-author in common"


def vector(dims: int, seed: int, near: list[float] | None = None) -> list[float]:
    rng = random.Random(seed)
    v = [rng.gauss(0, 1) for _ in range(dims)]
    if near is not None:
        v = [a + 0.2 * b for a, b in zip(near, v)]
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


def author(pid: str, name: str, link: dict | None = None) -> dict:
    out = {"id": pid, "name": name, "orcid": None, "affiliation": None}
    if link is not None:
        out["link"] = link
    return out


def works_docs(dims: int) -> list[dict]:
    base = vector(dims, 1)
    merged = {
        "id": MERGED, "collection_id": "2025.acl", "volume_id": "2025.acl-long",
        "title": "Hyper-Connections for Manifold Transformers", "year": 2025, "month": "July",
        "type": "long paper", "venue_ids": ["acl"], "venue_names": ["ACL"],
        "booktitle": "Proceedings of the 63rd Annual Meeting of the ACL", "publisher": "ACL",
        "address": "Vienna", "doi": "10.18653/v1/2025.acl-long.12", "pages": "1-12",
        "bibkey": "lovelace-etal-2025-hyper", "url": f"https://aclanthology.org/{MERGED}/",
        "abstract": "Manifold constrained hyper connections stabilise residual streams in transformers.",
        "authors": [author(ADA, "Ada Lovelace"), author(GRACE, "Grace Hopper")],
        "author_ids": [ADA, GRACE], "affiliations": [], "topics": [], "topic_labels": [],
        "has_abstract": True, "hidden": False,
        "sources": ["acl", "arxiv"], "version_ids": [MERGED, MERGED_ARXIV],
        "versions": [
            {"source": "acl", "id": MERGED, "year": 2025, "venue": "ACL", "type": "long paper",
             "url": f"https://aclanthology.org/{MERGED}/", "doi": "10.18653/v1/2025.acl-long.12", "listed": None},
            {"source": "arxiv", "id": MERGED_ARXIV, "year": 2025, "venue": "arXiv", "type": "preprint",
             "url": "https://arxiv.org/abs/2505.14577", "doi": "10.48550/arXiv.2505.14577", "listed": "2025-05-21"},
        ],
        "field_sources": {"title": "acl", "abstract": "arxiv", "authors": "acl", "year": "acl"},
        "merge": {"method": "same title", "confidence": 0.99,
                  "evidence": "same title; 2 shared authors: Ada Lovelace, Grace Hopper; preprint 2025, published 2025"},
        "arxiv_id": "2505.14577", "categories": ["cs.CL", "cs.LG"],
        "category_labels": ["Computation and Language", "Machine Learning"],
        "embedding": base,
    }
    preprint = {
        "id": PREPRINT, "collection_id": "arxiv", "volume_id": "arxiv-2512",
        "title": "mHC: Manifold-Constrained Hyper-Connections", "year": 2025, "month": "12",
        "type": "preprint", "venue_ids": ["arxiv"], "venue_names": ["arXiv"],
        "doi": "10.48550/arXiv.2512.24880", "url": "https://arxiv.org/abs/2512.24880",
        "abstract": "Manifold constrained hyper connections restore identity mapping in residual streams.",
        "authors": [author(ADA, "Ada Lovelace", {"method": "co-authors", "confidence": 0.93,
                                                 "evidence": CO_AUTHORS, "candidate": None}),
                    author(ARXIV_ALAN, "Alan Turing", {"method": "kept apart", "confidence": 0.88,
                                                       "evidence": APART, "candidate": ALAN})],
        "author_ids": [ADA, ARXIV_ALAN], "affiliations": [], "topics": [], "topic_labels": [],
        "has_abstract": True, "hidden": False,
        "sources": ["arxiv"], "version_ids": [PREPRINT],
        "versions": [{"source": "arxiv", "id": PREPRINT, "year": 2025, "venue": "arXiv", "type": "preprint",
                      "url": "https://arxiv.org/abs/2512.24880", "doi": "10.48550/arXiv.2512.24880",
                      "listed": "2026-01-02"}],
        "field_sources": {"title": "arxiv", "abstract": "arxiv", "authors": "arxiv", "year": "arxiv"},
        "arxiv_id": "2512.24880", "categories": ["cs.CL"], "category_labels": ["Computation and Language"],
        "embedding": vector(dims, 2, near=base),
    }
    # indexed before a second source: no sources, versions or version_ids at all
    old = {
        "id": OLD, "collection_id": "2023.acl", "volume_id": "2023.acl-long",
        "title": "Analytical Engines for Parsing", "year": 2023, "type": "long paper",
        "venue_ids": ["acl"], "venue_names": ["ACL"], "url": f"https://aclanthology.org/{OLD}/",
        "abstract": "Parsing with analytical engines and hyper connections.",
        "authors": [author(ADA, "Ada Lovelace"), author(ALAN, "Alan Turing")],
        "author_ids": [ADA, ALAN], "affiliations": [], "topics": [], "topic_labels": [],
        "has_abstract": True, "hidden": False, "embedding": vector(dims, 3, near=base),
    }
    return [merged, preprint, old]


def person(pid: str, name: str, works: list[str], **extra) -> dict:
    first, _, last = name.rpartition(" ")
    return {"id": pid, "name": name, "first_name": first, "last_name": last, "works_count": len(works),
            "work_ids": works, "first_year": 2023, "last_year": 2025, "venues": ["acl"],
            "collaborators": [], "collaborator_ids": [], "collaborators_count": 0, **extra}


def researcher_docs() -> list[dict]:
    return [
        person(ADA, "Ada Lovelace", [OLD, MERGED, PREPRINT], sources=["acl", "arxiv"], preprints_count=1,
               linked_works=[{"work_id": PREPRINT, "method": "co-authors", "confidence": 0.93,
                              "evidence": CO_AUTHORS}]),
        person(ALAN, "Alan Turing", [OLD], sources=["acl"], preprints_count=0),
        person(ARXIV_ALAN, "Alan Turing", [PREPRINT], sources=["arxiv"], preprints_count=1),
        person(GRACE, "Grace Hopper", [MERGED], sources=["acl", "arxiv"], preprints_count=0),
    ]


@pytest.fixture(scope="module")
def sources_settings(client, settings):
    """Settings whose aliases hold the documents above (a prefix `clean_indexes` never matches)."""
    s = replace(settings, index_prefix=settings.index_prefix.replace("test-", "test-sources-", 1))
    rejects: list[tuple] = []
    new = {}
    for name, docs in (("works", works_docs(s.embedding_dims)), ("researchers", researcher_docs())):
        index = lifecycle.create_index(client, s, name, building=False)
        new[name] = index
        bulk_index(client, index, docs, on_reject=lambda i, why: rejects.append((i, why)))
        client.indices.refresh(index=index)
    lifecycle.swap_aliases(client, s, new)
    assert not rejects, rejects
    yield s
    lifecycle.drop_prefix(client, s)


@pytest.fixture(scope="module")
def web(sources_settings):
    return create_app(sources_settings).test_client()


def get_json(web, url: str, status: int = 200) -> dict:
    resp = web.get(url)
    assert resp.status_code == status, (url, resp.status_code, resp.data[:500])
    return resp.get_json()


def get_text(web, url: str) -> str:
    resp = web.get(url)
    assert resp.status_code == 200, (url, resp.status_code, resp.data[:500])
    return " ".join(resp.get_data(as_text=True).split())


# ---- the API ------------------------------------------------------------------------------

def test_any_version_id_answers_with_the_merged_work(web):
    by_arxiv = get_json(web, f"/api/works/{MERGED_ARXIV}")
    assert by_arxiv["id"] == MERGED
    assert by_arxiv == get_json(web, f"/api/works/{MERGED}")
    assert [v["source"] for v in by_arxiv["versions"]] == ["acl", "arxiv"]
    assert by_arxiv["versions"][1]["listed"] == "2025-05-21"
    assert by_arxiv["field_sources"]["abstract"] == "arxiv" and by_arxiv["merge"]["method"] == "same title"
    assert by_arxiv["sources"] == ["acl", "arxiv"] and by_arxiv["arxiv_id"] == "2505.14577"
    assert set(by_arxiv["version_ids"]) == {MERGED, MERGED_ARXIV}
    assert "embedding" not in by_arxiv and "content_hash" not in by_arxiv
    get_json(web, "/api/works/arxiv:2505.99999", status=404)


def test_an_arxiv_only_work_and_its_mention_links(web):
    doc = get_json(web, f"/api/works/{PREPRINT}")
    assert doc["type"] == "preprint" and doc["venue_names"] == ["arXiv"] and doc["sources"] == ["arxiv"]
    links = {a["id"]: a["link"] for a in doc["authors"]}
    assert links[ADA]["method"] == "co-authors" and links[ADA]["evidence"] == CO_AUTHORS
    assert links[ARXIV_ALAN] == {"method": "kept apart", "confidence": 0.88, "evidence": APART, "candidate": ALAN}


def test_works_search_across_both_sources_with_a_source_filter(web):
    everything = get_json(web, "/api/works?q=hyper+connections&mode=keyword")
    assert {r["id"] for r in everything["results"]} == {MERGED, PREPRINT, OLD}
    arxiv = get_json(web, "/api/works?q=hyper+connections&mode=keyword&source=arxiv")
    assert {r["id"] for r in arxiv["results"]} == {MERGED, PREPRINT}
    acl = get_json(web, "/api/works?mode=keyword&source=acl")  # a work without `sources` is the Anthology's
    assert [r["id"] for r in acl["results"]] == [MERGED, OLD]
    assert get_json(web, "/api/works?source=crossref", status=400)["error"]["fields"]["source"]
    hit = next(r for r in arxiv["results"] if r["id"] == PREPRINT)
    assert hit["versions"][0]["id"] == PREPRINT and hit["arxiv_id"] == "2512.24880"


def test_similar_work_by_a_version_id_spans_both_sources(web):
    found = get_json(web, f"/api/works/{MERGED_ARXIV}/similar?size=5")
    assert found["seed"]["id"] == MERGED
    assert {r["id"] for r in found["results"]} == {PREPRINT, OLD}


def test_a_researcher_shows_sources_preprints_and_linked_works(web):
    r = get_json(web, f"/api/researchers/{ADA}")
    assert r["sources"] == ["acl", "arxiv"] and r["preprints_count"] == 1
    assert r["linked_works"] == [{"work_id": PREPRINT, "method": "co-authors", "confidence": 0.93,
                                  "evidence": CO_AUTHORS}]


# ---- the pages ----------------------------------------------------------------------------

def test_the_profile_lists_works_newest_first_with_badges_versions_and_evidence(web):
    html = get_text(web, f"/researchers/{ADA}")
    order = [html.index(t) for t in ("mHC: Manifold-Constrained", "Hyper-Connections for Manifold", "Analytical Engines")]
    assert order == sorted(order), "newest first"
    assert '<span class="tag">preprint</span> · <span>2025</span> · <span title="arXiv">arXiv</span>' in html
    assert 'Also published as <a href="https://arxiv.org/abs/2505.14577">arXiv 2025</a>' in html
    assert "Linked by 3 shared co-authors: Grace Hopper, Mary Somerville and Charles Babbage (confidence 0.93)" in html
    assert "<dt>Preprints</dt><dd>1</dd>" in html and "Sources: ACL Anthology, arXiv" in html
    assert html.count('class="link-why"') == 1  # only the linked preprint says why
    assert "arXiv</a>, used under" in html and "CC0 1.0" in html and "ACL Anthology" in html
    assert "Linked by 3 shared co-authors" in get_text(web, f"/researchers/{ADA}/works")


def test_the_work_page_by_a_version_id_shows_versions_and_field_sources(web):
    html = get_text(web, f"/works/{MERGED_ARXIV}")
    assert f'<link rel="canonical" href="http://localhost/works/{MERGED}">' in html
    assert "Versions and sources" in html
    assert '<a href="https://arxiv.org/abs/2505.14577">arxiv:2505.14577</a>' in html
    assert "listed 2025-05-21" in html
    assert "From ACL Anthology: authors, title, year · from arXiv: abstract" in html
    assert "One work: Same title; 2 shared authors" in html
    assert f'<a href="https://aclanthology.org/{MERGED}/">{MERGED}</a>' in html
    assert "arXiv:2505.14577" in html and "CC0 1.0" in html


def test_the_work_page_says_why_a_mention_was_kept_apart(web):
    html = get_text(web, f"/works/{PREPRINT}")
    assert (f'<a href="/researchers/{ARXIV_ALAN}">Alan Turing</a>: not linked to '
            f'<a href="/researchers/{ALAN}">Alan Turing</a>: {APART}') in html
    assert "<dt>ACL Anthology</dt>" not in html and "<dt>arXiv categories</dt><dd>Computation and Language</dd>" in html
    # and so does the profile of the one kept apart, once
    profile = get_text(web, f"/researchers/{ARXIV_ALAN}")
    assert profile.count('class="namesake-note"') == 1
    assert f'Not the same person as <a href="/researchers/{ALAN}">Alan Turing</a> of the ACL Anthology: {APART}.' \
        in profile
    assert 'class="namesake-note"' not in get_text(web, f"/researchers/{ALAN}")


def test_the_search_page_has_a_source_facet_and_filter(web):
    html = get_text(web, "/search?q=hyper+connections&mode=keyword")
    facet = html[html.index('aria-label="Source"'):]
    facet = facet[:facet.index("</section>")]
    assert "ACL Anthology</a> <span class=\"count\">2</span>" in facet
    assert "arXiv</a> <span class=\"count\">2</span>" in facet
    only = get_text(web, "/search?q=hyper+connections&mode=keyword&source=arxiv&tab=papers")
    assert "mHC: Manifold-Constrained" in only and "Analytical Engines" not in only
    # a facet counts under the other filters, not its own: the Anthology's count is what
    # choosing it lists (2), not the merged work alone; the years count the arXiv works only
    facet = only[only.index('aria-label="Source"'):]
    assert "ACL Anthology</a> <span class=\"count\">2</span>" in facet[:facet.index("</section>")]
    years = only[only.index('aria-label="Year"'):]
    assert "2023" not in years[:years.index("</section>")]
    assert "Analytical Engines" in get_text(web, "/search?q=hyper+connections&mode=keyword&source=nope&tab=papers")


# ---- the exports --------------------------------------------------------------------------

def test_exports_of_a_preprint_and_of_a_merged_work(web):
    bib = web.get(f"/works/{PREPRINT}.bib").get_data(as_text=True)
    assert bib.startswith("@misc{arxiv:2512.24880,") and "eprint = {2512.24880}" in bib
    assert "archivePrefix = {arXiv}" in bib and "primaryClass = {cs.CL}" in bib
    merged = web.get(f"/works/{MERGED_ARXIV}.bib").get_data(as_text=True)
    assert merged.startswith("@inproceedings{lovelace-etal-2025-hyper,") and "eprint = {2505.14577}" in merged
    ris = web.get(f"/works/{PREPRINT}.ris").get_data(as_text=True)
    assert ris.startswith("TY  - UNPB\r\n") and "AN  - arXiv:2512.24880" in ris
    [item] = json.loads(web.get(f"/works/{PREPRINT}.json").get_data(as_text=True))
    assert item["type"] == "article" and item["number"] == "arXiv:2512.24880"
    assert item["DOI"] == "10.48550/arXiv.2512.24880"
