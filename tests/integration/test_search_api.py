"""The JSON API against the real node, on small hand-built documents.

The indexes are created from mappings/ under the session's test prefix
(tests/conftest.py), vectors come from the real model, and every index is
deleted afterwards.
"""
from __future__ import annotations

import uuid

import pytest

import mappings
from domain.text import work_text
from embeddings import QueryEmbedder
from peerscope.config import Settings
from web import create_app

pytestmark = pytest.mark.integration

WORKS = [
    # id, title, abstract, year, venue, author ids, topics, hidden
    ("W-mt1", "Neural Machine Translation with Attention",
     "We translate sentences between languages with an encoder-decoder network and soft attention.",
     2016, "acl", ["r-hu", "r-liu"], ["Machine translation"], False),
    ("W-mt2", "Low-resource machine translation by back-translation",
     "Synthetic parallel data from monolingual text improves translation quality for rare languages.",
     2019, "emnlp", ["r-ding"], ["Machine translation"], False),
    ("W-llm1", "Scaling efficient training of large language models",
     "We study training dynamics and learning-rate schedules for billion-parameter language models.",
     2023, "acl", ["r-hu", "r-sun"], ["Large language models", "Efficient training"], False),
    ("W-llm2", "Parameter-efficient fine-tuning of pretrained language models",
     "Delta tuning updates a small number of parameters of a large pretrained model.",
     2022, "naacl", ["r-ding", "r-liu"], ["Large language models", "Efficient training"], False),
    ("W-llm3", "Instruction tuning large language models with synthetic data",
     "Generated instructions teach a pretrained language model to follow user requests.",
     2024, "emnlp", ["r-han"], ["Large language models"], False),
    ("W-parse1", "Dependency parsing of German with graph-based models",
     "A graph-based parser for German dependency trees with rich morphology.",
     2012, "coling", ["r-muller"], ["Parsing"], False),
    ("W-parse2", "Constituency parsing with span representations",
     "A chart parser scores spans with neural representations for constituency trees.",
     2018, "acl", ["r-smith"], ["Parsing"], False),
    ("W-hidden", "Neural machine translation hidden duplicate",
     "This record duplicates a translation paper and must never be shown.",
     2016, "acl", ["r-hu"], ["Machine translation"], True),
]

PEOPLE = {
    # id: (name, first, last, affiliation, topics, works_count, first/last year, collaborators, orcid)
    "r-hu": ("Shengding Hu", "Shengding", "Hu", "Tsinghua University",
             ["Large language models", "Efficient training"], 30, 2016, 2024, ["r-liu", "r-sun"], "0000-0001"),
    "r-liu": ("Zhiyuan Liu", "Zhiyuan", "Liu", "Tsinghua University",
              ["Large language models", "Knowledge graphs"], 250, 2010, 2024,
              ["r-hu", "r-sun", "r-han", "r-zhang", "r-ding"], None),
    "r-sun": ("Maosong Sun", "Maosong", "Sun", "Tsinghua University",
              ["Machine translation"], 300, 1990, 2024, ["r-hu", "r-liu", "r-han"], None),
    "r-han": ("Xu Han", "Xu", "Han", "Tsinghua University",
              ["Large language models", "Knowledge graphs"], 40, 2017, 2024, ["r-liu", "r-sun"], None),
    "r-zhang": ("Yue Zhang", "Yue", "Zhang", "Westlake University",
                ["Parsing"], 200, 2005, 2012, ["r-liu"], None),
    "r-ding": ("Ning Ding", "Ning", "Ding", "Tsinghua University",
               ["Large language models", "Efficient training"], 25, 2019, 2024, ["r-liu"], None),
    "r-muller": ("Jörg Müller", "Jörg", "Müller", "Universität des Saarlandes",
                 ["Parsing"], 12, 2008, 2015, [], "0000-0002"),
    "r-smith": ("Noah A. Smith", "Noah", "Smith", "University of Washington",
                ["Parsing"], 400, 1999, 2024, [], None),
    "r-shu": ("Shu Hu", "Shu", "Hu", "Purdue University", ["Computer vision"], 5, 2020, 2023, [], None),
}


def _work_doc(w, vec):
    wid, title, abstract, year, venue, authors, topics, hidden = w
    return {"id": wid, "title": title, "abstract": abstract, "year": year, "venue_ids": [venue],
            "venue_names": [venue.upper()], "author_ids": authors,
            "authors": [{"id": a, "name": PEOPLE[a][0]} for a in authors],
            "topics": topics, "topic_labels": topics, "has_abstract": True, "hidden": hidden,
            "embedding": vec}


def _person_doc(rid, vec):
    name, first, last, aff, topics, n, y0, y1, collabs, orcid = PEOPLE[rid]
    titles = [w[1] for w in WORKS if rid in w[5] and not w[7]]
    # the indexer's formats: initials are citation forms, variants are spellings
    return {"id": rid, "name": name, "first_name": first, "last_name": last,
            "initials": [f"{first[0]}. {last}", f"{first[0]} {last}", f"{last} {first[0]}"],
            "variants": [name], "current_affiliation": aff,
            "affiliations": [{"name": aff, "first_year": y0, "last_year": y1}],
            "works_count": n, "first_year": y0, "last_year": y1, "venues": ["acl"],
            "orcid": orcid, "has_orcid": orcid is not None,
            "collaborators": [{"id": c, "name": PEOPLE[c][0], "count": 1} for c in collabs],
            "collaborator_ids": collabs, "collaborators_count": len(collabs),
            "topics": [t.lower().replace(" ", "-") for t in topics], "topic_labels": topics,
            "recent_titles": titles, "work_ids": [w[0] for w in WORKS if rid in w[5]],
            "embedding": vec}


@pytest.fixture(scope="module")
def env(settings: Settings, client):
    """A test client over freshly built works/researchers indexes (session prefix)."""
    embedder = QueryEmbedder(settings)
    work_vecs = embedder.encode([work_text(w[1], w[2]) for w in WORKS])
    people = list(PEOPLE)
    people_vecs = embedder.encode([". ".join(PEOPLE[r][4] + [w[1] for w in WORKS if r in w[5]])
                                   for r in people])
    created = []
    try:
        for name, docs in (("works", [_work_doc(w, v.tolist()) for w, v in zip(WORKS, work_vecs)]),
                           ("researchers", [_person_doc(r, v.tolist()) for r, v in zip(people, people_vecs)])):
            index = f"{settings.index_prefix}{name}-v1-test"
            body = mappings.load(name, settings.embedding_dims)
            body["aliases"] = {settings.alias(name): {}}
            client.indices.create(index=index, body=body)
            created.append(index)
            for d in docs:
                client.index(index=index, id=d["id"], body=d)
            client.indices.refresh(index=index)
        app = create_app(settings, embed=embedder)
        yield app.test_client()
    finally:
        for index in created:
            client.indices.delete(index=index, ignore_unavailable=True)


def ids(resp):
    assert resp.status_code == 200, resp.get_json()
    return [r["id"] for r in resp.get_json()["results"]]


# ---- researchers ------------------------------------------------------------------

@pytest.mark.parametrize("q", ["Shengding Hu", "Shengdng Hu", "Hu Shengding", "shengding hu",
                               "ShengDing-Hu", "Sheng Hu"])
def test_name_search_forgives_typos_order_case_and_prefixes(env, q):
    assert ids(env.get("/api/researchers", query_string={"q": q}))[0] == "r-hu"


@pytest.mark.parametrize("q", ["S. Hu", "S Hu", "Hu S.", "Hu, S", "s. hu"])
def test_initials_find_every_matching_person(env, q):
    found = ids(env.get("/api/researchers", query_string={"q": q}))
    assert set(found[:2]) == {"r-hu", "r-shu"}


def test_names_match_with_or_without_diacritics(env):
    assert ids(env.get("/api/researchers?q=Jorg+Muller"))[0] == "r-muller"
    assert ids(env.get("/api/researchers?q=Jörg+Müller"))[0] == "r-muller"


def test_an_affiliation_word_finds_its_people_and_the_facets_count_them(env):
    resp = env.get("/api/researchers?q=Tsinghua&size=50")
    found = ids(resp)
    assert set(found) >= {"r-hu", "r-liu", "r-sun", "r-han", "r-ding"}
    assert "r-smith" not in found
    facets = resp.get_json()["facets"]
    assert {"value": "Tsinghua University", "count": 5} in facets["affiliations"]
    assert {b["value"] for b in facets["has_orcid"]} <= {True, False}


def test_researcher_filters_keep_only_the_matching_people(env):
    assert ids(env.get("/api/researchers?has_orcid=true&size=50")) and \
        set(ids(env.get("/api/researchers?has_orcid=true&size=50"))) == {"r-hu", "r-muller"}
    assert "r-zhang" not in ids(env.get("/api/researchers?active_since=2015&size=50"))
    assert set(ids(env.get("/api/researchers?topic=Parsing&size=50"))) == {"r-zhang", "r-muller", "r-smith"}
    assert set(ids(env.get("/api/researchers",
                           query_string={"affiliation": "Westlake University"}))) == {"r-zhang"}
    assert set(ids(env.get("/api/researchers?active_until=2008&size=50"))) == {"r-sun", "r-zhang", "r-muller",
                                                                               "r-smith"}
    assert set(ids(env.get("/api/researchers?has_orcid=false&size=50"))) == set(PEOPLE) - {"r-hu", "r-muller"}
    assert set(ids(env.get("/api/researchers?topic=parsing&size=50"))) == {"r-zhang", "r-muller", "r-smith"}  # by id
    assert len(ids(env.get("/api/researchers?venue=acl&size=50"))) == len(PEOPLE)
    assert ids(env.get("/api/researchers?venue=emnlp&size=50")) == []


def test_pages_and_cursors_each_list_everyone_once(env):
    first = env.get("/api/researchers?size=4").get_json()
    assert first["total"] == len(PEOPLE) and first["page"] == 1
    second = env.get(first["next"]).get_json()
    third = env.get(second["next"]).get_json()
    assert third["next"] is None
    pages = [r["id"] for p in (first, second, third) for r in p["results"]]
    assert sorted(pages) == sorted(PEOPLE)

    seen, url = [], "/api/researchers?size=4&cursor=*"
    while url:
        page = env.get(url).get_json()
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(PEOPLE)
    assert pages[:4] == seen[:4]


def test_autocomplete_completes_first_and_last_names(env):
    assert ids(env.get("/api/researchers/autocomplete?q=sheng"))[0] == "r-hu"
    assert "r-muller" in ids(env.get("/api/researchers/autocomplete?q=mul"))
    assert ids(env.get("/api/researchers/autocomplete", query_string={"q": " sheng "}))[0] == "r-hu"
    assert "r-hu" not in ids(env.get("/api/researchers/autocomplete?q=sheng+liu"))  # every word a prefix


def test_a_profile_has_its_collaborators_but_no_vector_and_an_unknown_one_is_404(env):
    resp = env.get("/api/researchers/r-hu")
    doc = resp.get_json()
    assert resp.status_code == 200 and doc["name"] == "Shengding Hu"
    assert "embedding" not in doc and doc["collaborators"][0]["name"] == "Zhiyuan Liu"
    missing = env.get("/api/researchers/nobody")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


# ---- works ----------------------------------------------------------------------

def test_keyword_mode_highlights_and_hides_hidden_works(env):
    resp = env.get("/api/works?q=machine+translation&mode=keyword")
    found = ids(resp)
    assert found[0] in {"W-mt1", "W-mt2"} and "W-hidden" not in found
    hit = resp.get_json()["results"][0]
    assert "<mark>" in " ".join(hit["highlight"].get("title", []) + hit["highlight"].get("abstract", []))


def test_vector_mode_finds_paraphrases(env):
    found = ids(env.get("/api/works", query_string={"q": "translating text between languages",
                                                    "mode": "vector", "size": 2}))
    assert set(found) <= {"W-mt1", "W-mt2"} and found


def test_hybrid_fuses_both_lists_and_filters(env):
    resp = env.get("/api/works", query_string={"q": "language model tuning", "year_from": 2022})
    body = resp.get_json()
    assert resp.status_code == 200 and body["mode"] == "hybrid"
    assert {r["id"] for r in body["results"]} <= {"W-llm1", "W-llm2", "W-llm3"}
    assert any(set(r["ranks"]) == {"keyword", "vector"} for r in body["results"])
    assert all(r["year"] >= 2022 for r in body["results"])


def test_hybrid_puts_the_paper_a_query_names_first(env):
    # every word is in W-llm3's title only; other works hold them in their abstracts
    found = ids(env.get("/api/works", query_string={"q": "synthetic language models", "mode": "hybrid"}))
    assert found[0] == "W-llm3" and len(found) > 1


def test_works_filters_and_awkward_queries(env):
    assert set(ids(env.get("/api/works?venue=acl&size=50"))) == {"W-mt1", "W-llm1", "W-parse2"}
    assert set(ids(env.get("/api/works?author=r-ding&size=50"))) == {"W-mt2", "W-llm2"}
    assert set(ids(env.get("/api/works?venue=ACL&size=50"))) == {"W-mt1", "W-llm1", "W-parse2"}  # by name
    assert set(ids(env.get("/api/works", query_string={"author": "Ning Ding", "size": 50}))) == {"W-mt2", "W-llm2"}
    assert set(ids(env.get("/api/works?year_from=2018&year_to=2022&size=50"))) == {"W-mt2", "W-llm2", "W-parse2"}
    for q in ['"unbalanced', "a/b [c] (d", "title:foo AND", "\\"]:
        assert env.get("/api/works", query_string={"q": q}).status_code == 200


def test_a_work_has_its_abstract_and_a_hidden_or_unknown_one_is_404(env):
    assert env.get("/api/works/W-mt1").get_json()["abstract"].startswith("We translate")
    assert env.get("/api/works/W-hidden").status_code == 404
    assert env.get("/api/works/W-nope/similar").status_code == 404


def test_similar_never_returns_the_seed(env):
    found = ids(env.get("/api/works/W-llm2/similar?size=5"))
    assert "W-llm2" not in found and "W-hidden" not in found
    assert found[0] in {"W-llm1", "W-llm3"}


def test_similar_can_exclude_the_seed_authors_and_filter_years(env):
    found = ids(env.get("/api/works/W-llm2/similar?exclude_own_authors=true&size=10"))
    assert not {"W-mt2", "W-mt1", "W-llm2"} & set(found)  # r-ding and r-liu's works
    resp = env.get("/api/works/W-mt1/similar?year_to=2018&size=10")
    assert set(ids(resp)) == {"W-parse1", "W-parse2"}  # the others are later, hidden or the seed
    assert all(r["year"] <= 2018 for r in resp.get_json()["results"])


def test_backward_ranges_and_overlapping_examples_are_answered_not_refused(env):
    """Rules the API description cannot state are not rules: a year range given backwards
    holds no works, the researcher bounds apply each on its own, an id both positive and
    negative counts as positive."""
    for url in ("/api/works?q=translation&mode=keyword&year_from=2020&year_to=2010",
                "/api/works?q=translation&mode=hybrid&year_from=2020&year_to=2010",
                "/api/works/W-mt1/similar?year_from=2020&year_to=2010"):
        resp = env.get(url)
        assert resp.status_code == 200 and resp.get_json()["results"] == [], url
    # active in 2024 or later and in 2010 or earlier: Zhiyuan Liu (2010-2024), not Shengding Hu (2016-2024)
    found = [r["id"] for r in env.get("/api/researchers?active_since=2024&active_until=2010").get_json()["results"]]
    assert "r-liu" in found and "r-hu" not in found
    both = env.post("/api/works/similar", json={"positive": ["W-llm1"], "negative": ["W-llm1", "W-mt1"], "size": 5})
    assert ids(both) == ids(env.post("/api/works/similar",
                                     json={"positive": ["W-llm1"], "negative": ["W-mt1"], "size": 5}))


def test_similar_to_a_set_leaves_out_its_examples_and_follows_positives_or_text(env):
    resp = env.post("/api/works/similar", json={"positive": ["W-llm1"], "negative": ["W-mt1"], "size": 5})
    found = ids(resp)
    assert not {"W-llm1", "W-mt1"} & set(found)
    assert found[0] in {"W-llm2", "W-llm3"}
    assert ids(env.post("/api/works/similar", json={"text": "dependency parser for German"}))[0] == "W-parse1"
    assert env.post("/api/works/similar", json={"positive": ["W-nope"]}).status_code == 404


# ---- collaborators -----------------------------------------------------------------

def test_collaborators_exclude_self_and_coauthors_and_explain(env):
    resp = env.get("/api/researchers/r-hu/collaborators?size=10")
    results = resp.get_json()["results"]
    found = [r["id"] for r in results]
    assert found and not {"r-hu", "r-liu", "r-sun"} & set(found)
    assert all(r["reasons"] for r in results)
    han = next(r for r in results if r["id"] == "r-han")
    mutual = next(x for x in han["reasons"] if x["kind"] == "mutual_collaborators")
    assert set(mutual["items"]) == {"Zhiyuan Liu", "Maosong Sun"}
    ding = next(r for r in results if r["id"] == "r-ding")
    kinds = {x["kind"] for x in ding["reasons"]}
    assert "shared_topics" in kinds and "similar_papers" in kinds
    topics = next(x for x in ding["reasons"] if x["kind"] == "shared_topics")["items"]
    assert set(topics) == {"Large language models", "Efficient training"}
    # two mutual collaborators beat one
    assert found.index("r-han") < found.index("r-zhang") if "r-zhang" in found else True


def test_collaborator_filters_keep_only_the_matching_candidates(env):
    found = ids(env.get("/api/researchers/r-hu/collaborators?active_since=2015"))
    assert "r-zhang" not in found  # last active 2012
    found = ids(env.get("/api/researchers/r-hu/collaborators", query_string={"affiliation": "Purdue University"}))
    assert set(found) <= {"r-shu"}
    assert env.get("/api/researchers/nobody/collaborators").status_code == 404


def test_missing_index_is_503(env):
    settings = env.application.extensions["peerscope"].settings
    app = create_app(settings.with_prefix(f"{settings.index_prefix}missing-{uuid.uuid4().hex[:6]}-"),
                     embed=lambda t: [0.0] * 384)
    resp = app.test_client().get("/api/researchers?q=hu")
    assert resp.status_code == 503 and resp.get_json()["error"]["code"] == "index_unavailable"


def test_hybrid_falls_back_to_keyword_without_a_model(env):
    app = create_app(env.application.extensions["peerscope"].settings,
                     embed=QueryEmbedder(Settings(model="/nonexistent/model-folder")))
    body = app.test_client().get("/api/works?q=machine+translation").get_json()
    assert body["mode"] == "keyword" and body["results"][0]["id"] in {"W-mt1", "W-mt2"}


def test_collaborators_from_a_stored_learned_ranker(env, client):
    """A ranker kept with the researchers index ranks every candidate; its strongest features
    give the reasons; filters and exclusions hold as before; without it, RRF again."""
    from search import ranker as learned
    from search import recommend
    from search.queries import collaborators as C

    settings = env.application.extensions["peerscope"].settings
    coef = [0.0] * len(C.FEATURES)
    coef[C.FEATURES.index("adamic_adar")] = 2.0
    coef[C.FEATURES.index("cosine")] = 1.0
    model = learned.Ranker(kind="logistic", features=list(C.FEATURES), reference=[0.0] * len(C.FEATURES),
                           params={"mean": [0.0] * len(coef), "scale": [1.0] * len(coef), "coef": coef,
                                   "intercept": 0.0})
    index = learned.store(client, settings, "researchers", recommend.RANKER, model)
    try:
        meta = client.indices.get_mapping(index=index)[index]["mappings"]["_meta"]
        assert meta["content_hash"] and recommend.RANKER in meta[learned.META_KEY]  # beside the fingerprint
        results = env.get("/api/researchers/r-hu/collaborators?size=10").get_json()["results"]
        found = [r["id"] for r in results]
        assert found and not {"r-hu", "r-liu", "r-sun"} & set(found)
        assert found[0] == "r-han"  # two mutual collaborators, the strongest feature here
        assert results[0]["reasons"][0]["kind"] == "mutual_collaborators", results[0]["reasons"]
        assert all(r["reasons"] for r in results)
        assert "r-zhang" not in ids(env.get("/api/researchers/r-hu/collaborators?active_since=2015"))
    finally:
        meta = client.indices.get_mapping(index=index)[index]["mappings"]["_meta"]
        meta.pop(learned.META_KEY, None)
        client.indices.put_mapping(index=index, body={"_meta": meta})
        learned._cache.clear()
    assert recommend.load_ranker(client, settings) is None
