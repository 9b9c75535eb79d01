"""The memory of kept answers (web/answers.py): bounded in bytes, least recently used first
out, only under the generation an answer was kept in, for TTL_S at most."""
from __future__ import annotations

import pytest

from web.answers import TTL_S, Answer, AnswerCache

pytestmark = pytest.mark.unit


def _answer(generation: int, size: int, at: float = 0.0) -> Answer:
    return Answer(generation, at, "application/json", b"x" * size)


def test_only_the_generation_and_time_an_answer_was_kept_in():
    cache = AnswerCache(1000)
    cache.put(("/a", b""), _answer(3, 10, at=100.0))
    assert cache.get(("/a", b""), 3, 101.0).body == b"x" * 10
    assert cache.get(("/a", b""), 4, 101.0) is None  # a change came
    assert cache.get(("/a", b"q=1"), 3, 101.0) is None
    assert cache.get(("/a", b""), 3, 100.0 + TTL_S + 1) is None  # too old
    assert (cache.hits, cache.misses) == (1, 3)


def test_bounded_in_bytes_least_recently_used_out():
    cache = AnswerCache(100)
    for i in range(4):
        cache.put((f"/{i}", b""), _answer(1, 30))
    assert len(cache) == 3 and cache.get(("/0", b""), 1, 0.0) is None
    cache.get(("/1", b""), 1, 0.0)  # used: kept over /2
    cache.put(("/4", b""), _answer(1, 30))
    assert cache.get(("/1", b""), 1, 0.0) and cache.get(("/2", b""), 1, 0.0) is None
    cache.put(("/big", b""), _answer(1, 101))  # larger than the whole memory: not kept
    assert cache.get(("/big", b""), 1, 0.0) is None and len(cache) == 3
