"""Collaborator ordering, defined once in the domain core."""
import pytest

from domain.collaborators import closest, rank

pytestmark = pytest.mark.unit


def test_closest_puts_most_shared_works_first_then_most_recent_then_id():
    people = [{"id": "b", "count": 2, "last_year": 2019}, {"id": "a", "count": 2, "last_year": 2019},
              {"id": "c", "count": 2, "last_year": 2023}, {"id": "d", "count": 5, "last_year": 2001}]
    assert [c["id"] for c in closest(people)] == ["d", "c", "a", "b"]


def test_closest_skips_entries_without_id_and_cuts_at_the_limit():
    people = [{"name": "no id", "count": 9}, {"id": "x", "count": 1}, {"id": "y"}, {"id": "z", "count": 3}]
    assert [c["id"] for c in closest(people, limit=2)] == ["z", "x"]


def test_missing_counts_and_years_rank_last():
    assert rank(None, None, "a") > rank(1, None, "b") > rank(1, 2000, "c")
