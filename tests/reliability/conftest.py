"""Fixtures of the reliability checks: the shared sample (tests/conftest.py) served by gunicorn."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def served_sample(indexed_sample, tmp_path_factory):
    """`peerscope serve` (gunicorn, 2 workers) on the sample; API rate limit off."""
    from bench import harness

    log = tmp_path_factory.mktemp("web") / "web.log"
    env = harness.app_env(indexed_sample.index_prefix, indexed_sample.redis_url)
    with harness.served(env, workers=2, log_path=log) as web:
        yield web
