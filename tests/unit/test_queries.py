"""Query builders are pure: check what their bodies ask of the engine (which clause holds a
filter, which ids are left out, what a score adds up). What the engine makes of them is
checked on real indexes in tests/integration/test_search_api.py; a body is compared whole only
where it is the contract (the activity prior, the sort order cursors rely on)."""
import math

import pytest

from domain.names import initials as citation_initials
from search import results
from search.queries import collaborators as C
from search.queries import researchers as R
from search.queries import similar as S
from search.queries import works as W

pytestmark = pytest.mark.unit

NOT_HIDDEN = {"term": {"hidden": True}}


def clauses(query: dict) -> list[dict]:
    return query["bool"]["should"]


def on_fields(should: list[dict], field: str) -> dict:
    """The one multi_match clause of `should` that searches `field`."""
    (clause,) = [c["multi_match"] for c in should if field in c.get("multi_match", {}).get("fields", [])]
    return clause


def knn_filter(body: dict) -> dict:
    """The bool filter inside the body's k-NN clause: the engine applies it while it searches."""
    assert list(body["query"]) == ["knn"] and "post_filter" not in body
    (clause,) = body["query"]["knn"].values()
    return clause["filter"]["bool"]


def left_out_ids(flt: dict) -> set[str]:
    """Every id an `ids` clause of the filter's must_not leaves out."""
    return {i for c in flt["must_not"] if "ids" in c for i in c["ids"]["values"]}


# ---- researchers --------------------------------------------------------------

def test_name_query_forgives_typos_and_reordering():
    should = clauses(R.name_query("Shengdng Hu"))
    fuzzy = on_fields(should, "name^4")  # typos, in the name or any known spelling of it
    assert fuzzy["fuzziness"] == "AUTO" and fuzzy["operator"] == "and" and "variants^3" in fuzzy["fields"]
    reordered = on_fields(should, "first_name")
    assert reordered["type"] == "cross_fields" and "last_name" in reordered["fields"]
    assert fuzzy["prefix_length"] == 0  # typos in the first letters too ("aKnika Kalra")
    joined = sorted(c["multi_match"]["query"] for c in should
                    if "name.joined^3" in c.get("multi_match", {}).get("fields", []))
    assert joined == ["HuShengdng", "ShengdngHu"]  # both orders, fuzzy
    assert on_fields(should, "name.prefix^1.5")["query"] == "Shengdng Hu"  # unfinished words
    assert R.name_query("x")["bool"]["minimum_should_match"] == 1


def test_name_query_with_initials_requires_last_name_and_agreeing_initials():
    should = clauses(R.name_query("S. Hu"))
    (initials,) = [c["bool"] for c in should if "terms" in str(c.get("bool", {}).get("should", ""))]
    exact, by_last_name = initials["should"]
    # the citation forms the indexer writes for Shengding Hu (lower-cased like the field)
    # the exact citation form decides between a first and a middle initial
    assert exact["constant_score"]["filter"]["terms"]["initials"] == \
        [f.lower() for f in citation_initials("Shengding", "Hu")]
    assert exact["constant_score"]["boost"] == R.INITIALS_FORM_BOOST
    assert by_last_name["bool"]["must"][0]["match"]["last_name"]["query"] == "Hu"
    assert by_last_name["bool"]["filter"] == [{"prefix": {"first_name": {"value": "s"}}}]
    assert initials["minimum_should_match"] == 1
    assert not [c for c in clauses(R.name_query("Shengding Hu")) if "terms" in str(c)]


def test_name_query_keeps_any_whole_word_of_a_name_at_a_low_boost():
    should = clauses(R.name_query("aKnika Kalra"))
    (anyword,) = [c["multi_match"] for c in should if c.get("multi_match", {}).get("operator") == "or"]
    assert anyword["fields"] == ["name", "variants"] and anyword["query"] == "aKnika Kalra"
    assert anyword["boost"] < 1 and "fuzziness" not in anyword  # whole words, below every name clause


def _unfinished(q: str) -> list[dict]:
    return [b["bool"] for c in clauses(R.name_query(q)) if "dis_max" in c
            for b in c["dis_max"]["queries"] if "bool" in b]


def test_name_query_takes_the_last_word_as_unfinished():
    name, variants = _unfinished("David Loz")
    whole, started = name["must"]
    assert whole == {"match": {"name": {"query": "David", "operator": "and"}}}
    assert started == {"match": {"name.prefix": {"query": "Loz", "operator": "and"}}}
    assert variants["must"][1]["match"]["variants.prefix"]["query"] == "Loz"
    assert _unfinished("Loz") == []  # one word: the prefix clause alone


def test_name_query_also_matches_affiliation_and_topics_with_lower_boosts():
    should = clauses(R.name_query("Tsinghua"))
    lows = {next(iter(c["match"])): next(iter(c["match"].values()))["boost"] for c in should if "match" in c}
    assert lows == {"current_affiliation": 0.8, "affiliations.name": 0.5, "topic_labels": 0.6,
                    "recent_titles": 0.2}
    assert all(b < 1 for b in lows.values())


def test_activity_boost_is_additive_log1p():
    fs = R.with_activity_boost({"match_all": {}})["function_score"]
    assert fs["functions"] == [{"field_value_factor": {"field": "works_count", "modifier": "log1p",
                                                       "factor": 1.0, "missing": 0}}]
    assert fs["boost_mode"] == "sum"


def test_each_researcher_filter_given_adds_one_clause_and_false_counts_as_given():
    every = {"topic": "parsing", "affiliation": "Tsinghua University", "venue": "acl",
             "active_since": 2015, "active_until": 2020, "has_orcid": False}
    assert len(R.researcher_filters(every)) == len(every)  # all of them must hold
    assert R.researcher_filters({"has_orcid": False}) == [{"term": {"has_orcid": False}}]
    assert R.researcher_filters({"has_orcid": None, "topic": "", "active_since": None}) == []


def test_search_body_pages_sorts_and_facets():
    body = R.search_body("hu", {"venue": "acl"}, page=3, size=10)
    assert body["from"] == 20 and body["size"] == 10
    assert body["sort"] == [{"_score": "desc"}, {"works_count": {"order": "desc", "missing": "_last"}},
                            {"id": "asc"}]
    assert body["query"]["bool"]["filter"] == [{"term": {"venues": "acl"}}]
    assert body["query"]["bool"]["must"][0]["function_score"]["query"] == R.name_query("hu")
    assert set(body["aggs"]) == {"topics", "affiliations", "venues", "has_orcid"}
    assert "embedding" not in body["_source"]


def test_search_body_with_cursor_uses_search_after_not_from():
    body = R.search_body("hu", search_after=[3.2, 10, "r1"], size=5)
    assert body["search_after"] == [3.2, 10, "r1"] and "from" not in body


def test_empty_query_lists_everyone_by_activity():
    body = R.search_body("  ", {})
    assert body["query"]["bool"]["must"][0]["function_score"]["query"] == {"match_all": {}}


def test_autocomplete_needs_every_word_as_a_name_prefix_and_reads_little():
    body = R.autocomplete_body(" shengd ", 5)
    assert body["size"] == 5 and body["_source"] == R.AUTOCOMPLETE_SOURCE and body["track_total_hits"] is False
    scored = body["query"]["function_score"]  # the activity prior, as in researcher search
    assert scored["functions"] == R.with_activity_boost({})["function_score"]["functions"]
    (needed,) = scored["query"]["bool"]["must"]
    assert needed["multi_match"]["query"] == "shengd" and needed["multi_match"]["operator"] == "and"
    assert all(f.split("^")[0].endswith(".prefix") for f in needed["multi_match"]["fields"])


# ---- works --------------------------------------------------------------------

def test_a_year_range_is_one_clause_and_each_other_work_filter_adds_one():
    assert W.work_filters({"year_from": 2000, "year_to": 2010}) == [{"range": {"year": {"gte": 2000, "lte": 2010}}}]
    assert W.work_filters({"year_to": 1999}) == [{"range": {"year": {"lte": 1999}}}]
    every = {"year_from": 2000, "venue": "acl", "author": "a1", "topic": "parsing", "affiliation": "MIT"}
    assert len(W.work_filters(every)) == len(every)
    assert W.work_filters({"venue": "", "author": None, "year_from": None}) == []


def test_work_filters_take_a_topic_by_id_or_label_and_an_exact_affiliation():
    topic, affiliation = W.work_filters({"topic": "Few-Shot Learning", "affiliation": "Tsinghua University"})
    assert {"term": {"topic_labels.raw": "Few-Shot Learning"}} in topic["bool"]["should"]
    assert {"term": {"topics": "Few-Shot Learning"}} in topic["bool"]["should"]
    assert affiliation == {"term": {"affiliations": "Tsinghua University"}}


def test_keyword_body_has_fields_highlight_and_hides_hidden():
    body = W.keyword_body("neural parsing", {"year_from": 2020}, from_=40, size=20)
    must = body["query"]["bool"]["must"][0]["bool"]["must"][0]["multi_match"]
    assert must["fields"] == ["title^3", "abstract", "topic_labels", "venue_names"]
    assert must["query"] == "neural parsing"
    (flt,) = body["query"]["bool"]["filter"]  # filters do not score
    assert flt["bool"]["filter"] == W.work_filters({"year_from": 2020}) and NOT_HIDDEN in flt["bool"]["must_not"]
    assert set(body["highlight"]["fields"]) == {"title", "abstract"}
    assert body["from"] == 40 and "sort" not in body


def test_keyword_body_survives_query_syntax():
    body = W.keyword_body('"unbalanced (quote / [bracket', {})
    assert body["query"]["bool"]["must"][0]["bool"]["must"][0]["multi_match"]["query"] == \
        '"unbalanced (quote / [bracket'


def test_empty_keyword_query_lists_newest_first():
    body = W.keyword_body("", {})
    assert "must" not in body["query"]["bool"]  # nothing to score: every visible work
    (flt,) = body["query"]["bool"]["filter"]
    assert flt["bool"]["filter"] == [] and NOT_HIDDEN in flt["bool"]["must_not"]
    assert body["sort"][0] == {"year": {"order": "desc", "missing": "_last"}}
    assert "highlight" not in body


def test_knn_body_puts_filters_inside_the_knn_clause():
    body = W.knn_body([0.1, 0.2], {"venue": "acl"}, size=10, from_=20)
    inside = knn_filter(body)
    assert inside["filter"] == W.work_filters({"venue": "acl"}) and NOT_HIDDEN in inside["must_not"]
    assert body["query"]["knn"]["embedding"]["vector"] == [0.1, 0.2]
    assert body["query"]["knn"]["embedding"]["k"] == W.MIN_K  # at least MIN_K candidates for recall
    assert W.knn_body([0.0], size=50, from_=100)["query"]["knn"]["embedding"]["k"] == 150  # the whole page


# ---- similar ------------------------------------------------------------------

def test_similar_bodies_exclude_seed_and_optionally_its_authors():
    bodies = S.similar_bodies("works-v1-x", ["w1"], [1.0, 0.0], {"year_from": 2010}, size=10,
                              exclude_author_ids=["a2", "a1", "a1"])
    knn = knn_filter(bodies["knn"])
    mlt = bodies["mlt"]["query"]["bool"]
    assert mlt["filter"] == [{"bool": knn}]  # both lists leave out the same works
    assert left_out_ids(knn) == {"w1"} and NOT_HIDDEN in knn["must_not"]
    assert {"terms": {"author_ids": ["a1", "a2"]}} in knn["must_not"]
    assert knn["filter"] == W.work_filters({"year_from": 2010})
    assert bodies["knn"]["query"]["knn"]["embedding"]["k"] == bodies["knn"]["size"]  # every neighbour a candidate
    assert mlt["must"][0]["more_like_this"]["like"] == [{"_index": "works-v1-x", "_id": "w1"}]
    assert mlt["must"][0]["more_like_this"]["fields"] == ["title", "abstract"]
    plain = knn_filter(S.similar_bodies("works-v1-x", ["w1"], [1.0, 0.0], size=10)["knn"])
    assert not [c for c in plain["must_not"] if "terms" in c]  # the authors' works stay by default


def test_similar_bodies_without_vector_is_mlt_only_and_unlike_is_excluded():
    bodies = S.similar_bodies("i", ["w1"], None, unlike_ids=["w9"], text="graph parsing")
    assert list(bodies) == ["mlt"]
    mlt = bodies["mlt"]["query"]["bool"]["must"][0]["more_like_this"]
    assert mlt["like"] == [{"_index": "i", "_id": "w1"}, "graph parsing"]
    assert mlt["unlike"] == [{"_index": "i", "_id": "w9"}]
    assert {"ids": {"values": ["w1", "w9"]}} in bodies["mlt"]["query"]["bool"]["filter"][0]["bool"]["must_not"]


def test_rocchio_moves_towards_positives_and_away_from_negatives():
    v = S.rocchio([[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0]])
    assert math.isclose(sum(x * x for x in v), 1.0)
    assert v[0] > v[1]
    assert S.rocchio([], [], None) is None
    assert S.rocchio([], [], [3.0, 4.0]) == pytest.approx([0.6, 0.8])
    assert S.rocchio([[1.0, 0.0]], [[1.0, 0.0]], gamma=1.0) is None


# ---- collaborators --------------------------------------------------------------

SEED = {"id": "r0", "embedding": [0.5, 0.5], "topics": ["t1", "t2"], "topic_labels": ["Parsing", "MT"],
        "collaborator_ids": ["r1", "r2"], "collaborators": [{"id": "r1", "name": "One"},
                                                            {"id": "r3", "name": "Three"}]}


def test_excluded_ids_are_self_and_coauthors():
    assert C.excluded_ids(SEED) == ["r0", "r1", "r2", "r3"]


def test_content_body_is_knn_with_exclusions_inside():
    body = C.content_body(SEED, {"active_since": 2018}, 30)
    inside = knn_filter(body)
    assert left_out_ids(inside) == set(C.excluded_ids(SEED))
    assert inside["filter"] == R.researcher_filters({"active_since": 2018})
    assert body["query"]["knn"]["embedding"]["vector"] == SEED["embedding"]
    assert C.content_body({**SEED, "embedding": None}, {}, 30) is None


def test_topics_body_scores_shared_topics_ids_only():
    body = C.topics_body(SEED, {}, 20)
    should = body["query"]["bool"]["should"]
    assert should == [{"constant_score": {"filter": {"term": {"topics": "t1"}}, "boost": 1.0}},
                      {"constant_score": {"filter": {"term": {"topics": "t2"}}, "boost": 1.0}}]
    assert body["stored_fields"] == "_none_" and body["docvalue_fields"] == ["id"]
    assert C.topics_body({**SEED, "topics": []}, {}, 20) is None
    assert left_out_ids(body["query"]["bool"]["filter"][0]["bool"]) == set(C.excluded_ids(SEED))


def test_ids_only_hits_are_named_by_the_id_doc_value():
    assert results.hit_id({"fields": {"id": ["r7"]}}) == "r7"
    assert results.hit_id({"_id": "r8", "fields": {"id": ["r8"]}}) == "r8"


def test_neighbours_from_doc_values_feed_adamic_adar():
    hits = [{"fields": {"id": ["r1"], "collaborator_ids": ["r0", "c1"], "collaborators_count": [2]}},
            {"fields": {"id": ["r2"]}}]
    got = C.neighbours_from_hits(hits, {"r1": "One"})
    assert got[0] == {"id": "r1", "name": "One", "collaborator_ids": ["r0", "c1"], "collaborators_count": 2}
    assert got[1]["name"] == "r2" and got[1]["collaborator_ids"] == []
    assert set(C.adamic_adar("r0", got)) == {"c1"}


def test_adamic_adar_sums_one_over_the_log_degree_of_each_shared_neighbour():
    neighbours = [
        {"id": "r1", "name": "One", "collaborators_count": 3,
         "collaborators": [{"id": "r0"}, {"id": "c1"}, {"id": "c2"}]},
        {"id": "r2", "name": "Two", "collaborators_count": 10,
         "collaborators": [{"id": "r0"}, {"id": "c1"}, {"id": "r1"}]},
    ]
    got = C.adamic_adar("r0", neighbours, exclude=["r1", "r2"])
    assert set(got) == {"c1", "c2"}
    assert got["c1"]["score"] == pytest.approx(1 / math.log(3) + 1 / math.log(10))
    assert got["c2"]["score"] == pytest.approx(1 / math.log(3))
    assert got["c1"]["via"] == ["One", "Two"]  # the low-degree link first


def test_adamic_adar_guards_degree_one():
    got = C.adamic_adar("r0", [{"id": "r1", "collaborator_ids": ["c1"], "collaborators_count": 1}])
    assert got["c1"]["score"] == pytest.approx(1 / math.log(2))


def test_candidate_papers_body_takes_the_best_paper_per_author():
    body = C.candidate_papers_body([0.5, 0.5], ["c1", "c2"])
    assert body["size"] == 0
    inside = knn_filter(body)  # the nearest papers among the candidates' own visible ones
    assert inside["filter"] == [{"terms": {"author_ids": ["c1", "c2"]}}] and NOT_HIDDEN in inside["must_not"]
    assert body["query"]["knn"]["embedding"]["k"] == C.PAIR_POOL
    terms = body["aggs"]["by_author"]["terms"]
    assert terms["include"] == ["c1", "c2"] and terms["size"] == 2
    response = {"aggregations": {"by_author": {"buckets": [
        {"key": "c1", "best": {"hits": {"hits": [{"_id": "w1"}]}}},
        {"key": "c2", "best": {"hits": {"hits": []}}}]}}}
    assert C.best_per_author(response) == {"c1": {"_id": "w1"}}


def test_closest_papers_picks_the_nearest_per_vector():
    papers = [{"_id": "a", "_source": {"embedding": [1.0, 0.0]}},
              {"_id": "b", "_source": {"embedding": [0.0, 1.0]}},
              {"_id": "c", "_source": {}}]
    got = C.closest_papers([[0.6, 0.8], [0.8, 0.6]], papers)
    assert [p["_id"] for p in got] == ["b", "a"]
    assert C.closest_papers([[1.0, 0.0]], [{"_id": "c", "_source": {}}]) == [None]


def test_shared_topics_by_label_then_id():
    assert C.shared_topics(SEED, {"topic_labels": ["mt", "Other"]}) == ["MT"]
    assert C.shared_topics({"topics": ["t1", "t2"]}, {"topics": ["t2"]}) == ["t2"]


def test_every_recommendation_has_a_reason_similar_research_at_least():
    from search.recommend import reasons

    cand = {"id": "c1", "topic_labels": ["Parsing"]}
    got = reasons(SEED, cand, {"score": 1.0, "via": ["One", "Two"]},
                  ({"id": "w1", "title": "Mine", "year": 2020}, {"id": "w2", "title": "Theirs", "year": 2021}))
    assert [r["kind"] for r in got] == ["shared_topics", "mutual_collaborators", "similar_papers"]
    assert got[0]["items"] == ["Parsing"]
    assert got[1]["text"] == "2 mutual collaborators: One, Two"
    assert got[2]["items"] == [{"id": "w1", "title": "Mine", "year": 2020},
                               {"id": "w2", "title": "Theirs", "year": 2021}]
    assert [r["kind"] for r in reasons(SEED, {"id": "c2"}, None, None)] == ["similar_research"]


@pytest.mark.unit
def test_keyword_body_match_rule_is_configurable():
    strict = W.keyword_body("prompt tuning for translation")
    loose = W.keyword_body("prompt tuning for translation", match_rule="1<30%")
    mm = lambda b: b["query"]["bool"]["must"][0]["bool"]["must"][0]["multi_match"]["minimum_should_match"]
    assert mm(strict) == W.MATCH_RULE and mm(loose) == "1<30%"


def test_title_match_body_counts_titles_holding_every_word():
    from search.queries.works import title_match_body
    body = title_match_body("prompt tuning", {"year_from": 2020}, size=4)
    assert body["track_total_hits"] == 4 and body["size"] == 4
    assert body["query"]["bool"]["must"] == [{"match": {"title": {"query": "prompt tuning", "operator": "and"}}}]
    assert body["query"]["bool"]["filter"][0]["bool"]["filter"] == [{"range": {"year": {"gte": 2020}}}]


def test_named_works_lead_in_fused_order():
    from search.works import named_first
    fused = [{"_id": "a"}, {"_id": "b"}, {"_id": "c"}, {"_id": "d"}]
    assert [h["_id"] for h in named_first(fused, ["d", "b"])] == ["b", "d", "a", "c"]
    assert named_first(fused, []) == fused


def test_completion_bodies_score_the_other_lists_candidates():
    bodies = S.similar_bodies("works-v1-x", ["w1"], [0.6, 0.8], size=10)
    got = S.completion_bodies(bodies, {"knn": ["m1"], "mlt": ["k1", "k2"]})
    script = got["knn"]["query"]["script_score"]
    assert script["query"] == {"ids": {"values": ["m1"]}}
    assert script["script"]["params"]["query_value"] == [0.6, 0.8]
    assert got["mlt"]["query"]["bool"]["must"] == bodies["mlt"]["query"]["bool"]["must"]
    assert got["mlt"]["query"]["bool"]["filter"] == [{"ids": {"values": ["k1", "k2"]}}]
    assert S.completion_bodies(bodies, {"knn": [], "mlt": []}) == {}


def test_similar_fusion_scores_every_candidate_by_both_measures():
    from search.similar import MLT_WEIGHT, fuse
    lists = {"knn": [{"_id": "a", "_score": 0.9}, {"_id": "b", "_score": 0.8}],  # cosine 0.8, 0.6
             "mlt": [{"_id": "c", "_score": 10.0}, {"_id": "b", "_score": 5.0}]}
    extra = {"knn": {"c": 0.7}, "mlt": {"a": 1.0}}  # c: cosine 0.4; a: mlt 1.0
    got = fuse(lists, extra, 10)
    scores = {h["_id"]: h["_score"] for h in got}
    assert scores["a"] == pytest.approx(0.8 + MLT_WEIGHT * 0.1)
    assert scores["b"] == pytest.approx(0.6 + MLT_WEIGHT * 0.5)
    assert scores["c"] == pytest.approx(0.4 + MLT_WEIGHT * 1.0)
    assert [h["_id"] for h in got] == sorted(scores, key=lambda i: -scores[i])
    assert next(h for h in got if h["_id"] == "b")["_ranks"] == {"knn": 2, "mlt": 2}
    assert [h["_id"] for h in fuse({"mlt": lists["mlt"]}, {}, 1)] == ["c"]  # one list: its order
