"""When what searches see changes (search/freshness.py): changes may overlap, the generation
moves on when one is done, nothing may be kept while one is under way or settling, and an
alias swap is such a change."""
from __future__ import annotations

import time
import uuid
from dataclasses import replace

import pytest
from redis import RedisError

from search import freshness

pytestmark = pytest.mark.integration


def _settled(settings) -> None:
    deadline = time.monotonic() + 10
    while freshness.current(settings) is None:
        assert time.monotonic() < deadline, "the change never settled"
        time.sleep(0.2)


def test_overlapping_changes_settle_after_the_last(settings):
    own = replace(settings, index_prefix=f"{settings.index_prefix}fresh-{uuid.uuid4().hex[:6]}-")
    assert freshness.current(own) == 0
    with freshness.changing(own):
        with freshness.changing(own):
            assert freshness.current(own) is None
        assert freshness.current(own) is None  # the outer one is still under way
    assert freshness.current(own) is None  # settling
    _settled(own)
    assert freshness.current(own) == 2
    freshness.changed(own)
    _settled(own)
    assert freshness.current(own) == 3
    freshness.connection(own).delete(f"{own.index_prefix}answers:generation")


def test_a_change_goes_ahead_when_redis_does_not_answer(settings):
    nowhere = replace(settings, redis_url="redis://127.0.0.1:9/0")
    with freshness.changing(nowhere):
        done = True
    assert done
    with pytest.raises(RedisError):
        freshness.current(nowhere)


def test_a_swap_of_aliases_moves_the_generation_on(indexed_sample, client):
    from search import lifecycle

    _settled(indexed_sample)
    before = freshness.current(indexed_sample)
    works = lifecycle.indexes_behind(client, indexed_sample.alias("works"))
    lifecycle.swap_aliases(client, indexed_sample, {"works": works[0]}, drop_old=False)  # the same index again
    assert freshness.current(indexed_sample) is None  # settling
    _settled(indexed_sample)
    assert freshness.current(indexed_sample) > before
