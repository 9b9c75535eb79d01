"""Reciprocal rank fusion: scores, weights, ties and hit merging."""
import pytest

from search.fusion import RRF_K, fuse_hits, rrf

pytestmark = pytest.mark.unit


def test_scores_are_sums_of_reciprocal_ranks():
    fused = dict(rrf([["a", "b", "c"], ["b", "d"]]))
    assert fused["a"] == pytest.approx(1 / (RRF_K + 1))
    assert fused["b"] == pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 1))
    assert fused["d"] == pytest.approx(1 / (RRF_K + 2))


def test_agreement_beats_a_single_top_rank():
    assert [k for k, _ in rrf([["a", "b"], ["c", "b"]])][0] == "b"


def test_weights_scale_each_list():
    plain = rrf([["a"], ["b"]])
    assert [k for k, _ in plain] == ["a", "b"]  # tie: first seen first
    weighted = rrf([["a"], ["b"]], weights=[1.0, 2.0])
    assert [k for k, _ in weighted] == ["b", "a"]
    assert dict(weighted)["b"] == pytest.approx(2 / (RRF_K + 1))


def test_duplicates_in_one_list_count_once_at_best_rank():
    assert dict(rrf([["a", "a", "b"]]))["a"] == pytest.approx(1 / (RRF_K + 1))


def test_k_zero_scores_a_first_rank_one_and_empty_lists_fuse_to_nothing():
    assert dict(rrf([["a"]], k=0))["a"] == 1.0
    assert rrf([]) == []
    assert rrf([[], []]) == []


def test_weights_must_match_lists():
    with pytest.raises(ValueError):
        rrf([["a"], ["b"]], weights=[1.0])


def test_fuse_hits_merges_sources_highlights_and_ranks():
    keyword = [{"_id": "w1", "_score": 9.0, "_source": {"title": "A"}, "highlight": {"title": ["<mark>A</mark>"]}},
               {"_id": "w2", "_score": 3.0, "_source": {"title": "B"}}]
    vector = [{"_id": "w2", "_score": 0.9, "_source": {"title": "B"}},
              {"_id": "w3", "_score": 0.8, "_source": {"title": "C"}}]
    fused = fuse_hits([keyword, vector], names=["keyword", "vector"])
    assert [h["_id"] for h in fused] == ["w2", "w1", "w3"]
    assert fused[0]["_ranks"] == {"keyword": 2, "vector": 1}
    assert fused[1]["highlight"] == {"title": ["<mark>A</mark>"]}
    assert fused[0]["_score"] == pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 1))
    assert fused[2]["_ranks"] == {"vector": 2}


def test_fuse_hits_takes_highlight_from_a_later_copy():
    fused = fuse_hits([[{"_id": "x", "_source": {}}],
                       [{"_id": "x", "_source": {}, "highlight": {"abstract": ["..."]}}]])
    assert fused[0]["highlight"] == {"abstract": ["..."]}
    assert fused[0]["_ranks"] == {"0": 1, "1": 1}


@pytest.mark.unit
def test_hybrid_vector_weight_follows_keyword_confidence():
    from search.works import vector_weight

    flat = [{"_score": 10.0 - 0.1 * i} for i in range(20)]  # vague query: scores close together
    decisive = [{"_score": 30.0}] + [{"_score": 8.0} for _ in range(19)]  # one paper stands out
    assert vector_weight([]) == 1.0
    assert vector_weight(flat) > 0.7
    assert vector_weight(decisive) == 0.0
    assert 0.0 <= vector_weight([{"_score": 5.0}, {"_score": 4.0}]) <= 1.0
