"""Ranking metrics used by the relevance evaluation."""
import math

import pytest

from evaluation.metrics import (dcg_at, mean, ndcg_at, precision_at, recall_at, reciprocal_rank,
                                success_at)

pytestmark = pytest.mark.unit


def test_recall_counts_relevant_keys_in_the_cut():
    assert recall_at(["a", "b", "c"], {"a", "c", "z"}, k=2) == pytest.approx(1 / 3)
    assert recall_at(["a", "b", "c"], {"a", "c"}, k=10) == 1.0


def test_recall_and_precision_of_nothing_relevant_are_zero():
    assert recall_at(["a"], set()) == 0.0
    assert precision_at([], {"a"}, k=5) == 0.0
    assert precision_at(["a", "b"], {"a"}, k=0) == 0.0


def test_precision_counts_missing_slots_as_misses():
    assert precision_at(["a"], {"a"}, k=4) == 0.25


def test_reciprocal_rank_is_one_over_first_hit():
    assert reciprocal_rank(["x", "a", "b"], {"b", "a"}) == 0.5
    assert reciprocal_rank(["x", "y"], {"a"}) == 0.0
    assert reciprocal_rank(["x", "y", "a"], {"a"}, k=2) == 0.0


def test_repeated_keys_count_once_at_their_first_rank():
    assert reciprocal_rank(["x", "x", "a"], {"a"}) == 0.5
    assert recall_at(["a", "a", "b"], {"a", "b"}, k=2) == 1.0


def test_success_is_one_when_a_relevant_key_is_within_the_cut():
    assert success_at(["a", "b"], {"a"}) == 1.0
    assert success_at(["b", "a"], {"a"}) == 0.0
    assert success_at(["b", "a"], {"a"}, k=2) == 1.0


def test_ndcg_is_one_for_the_ideal_order_and_less_otherwise():
    gains = {"a": 2, "b": 1}
    assert ndcg_at(["a", "b", "x"], gains) == pytest.approx(1.0)
    worse = ndcg_at(["b", "a"], gains)
    expected = (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))
    assert worse == pytest.approx(expected)
    assert 0 < worse < 1


def test_ndcg_accepts_a_set_as_binary_gains_and_cuts_at_k():
    assert ndcg_at(["x", "a"], {"a"}, k=1) == 0.0
    assert ndcg_at(["x", "a"], {"a"}, k=2) == pytest.approx(1 / math.log2(3))
    # the ideal uses at most k judged keys, so finding k of many is perfect
    assert ndcg_at(["a"], {"a", "b", "c"}, k=1) == 1.0


def test_ndcg_without_positive_gains_is_zero():
    assert ndcg_at(["a"], {}) == 0.0
    assert ndcg_at(["a"], {"a": 0}) == 0.0


def test_dcg_discounts_by_log_rank():
    assert dcg_at(["x", "a"], {"a": 1.0}) == pytest.approx(1 / math.log2(3))


def test_mean_of_nothing_is_zero():
    assert mean([]) == 0.0
    assert mean([1.0, 0.0]) == 0.5


def test_paired_difference_is_the_mean_difference_with_a_95_percent_half_width():
    from evaluation.metrics import paired_difference, ratio

    diff, half = paired_difference([1.0, 2.0, 3.0], [0.0, 1.0, 3.0])
    sd = math.sqrt(((1 - 2 / 3) ** 2 * 2 + (2 / 3) ** 2) / 2)
    assert diff == pytest.approx(2 / 3) and half == pytest.approx(1.96 * sd / math.sqrt(3))
    assert paired_difference([0.5], [0.25]) == (0.25, 0.0)
    assert ratio(0.2, 0.1) == pytest.approx(2.0) and ratio(0.2, 0.0) == 0.0
    with pytest.raises(ValueError):
        paired_difference([1.0], [])


def test_tuning_split_and_held_out_samples_never_meet():
    from evaluation.common import held_out_samples, in_tuning_split, tuning_sample

    keys = [f"person-{i}" for i in range(2000)]
    tuning = set(tuning_sample(keys, 300))
    a, b = held_out_samples(keys, 300, 2)
    assert all(in_tuning_split(k) for k in tuning) and not any(in_tuning_split(k) for k in a + b)
    assert not tuning & set(a + b) and not set(a) & set(b)
    assert 400 < sum(map(in_tuning_split, keys)) < 600  # one in four
