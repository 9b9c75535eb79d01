"""Fixtures of the reliability checks: the indexed sample served by gunicorn.

The sample is the integration tests' own (tests/sample_index.py), under this session's prefix.
"""
from __future__ import annotations

import pytest

import sample_index


@pytest.fixture(scope="session")
def indexed_sample(client, settings):
    sample = sample_index.build_sample(client, settings)
    yield sample
    sample_index.drop_sample(client, sample)


@pytest.fixture(scope="session")
def served_sample(indexed_sample, tmp_path_factory):
    """`peerscope serve` (gunicorn, 2 workers) on the sample; API rate limit off."""
    from bench import harness

    log = tmp_path_factory.mktemp("web") / "web.log"
    env = harness.app_env(indexed_sample.index_prefix, indexed_sample.redis_url)
    with harness.served(env, workers=2, log_path=log) as web:
        yield web
