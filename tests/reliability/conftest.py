"""Fixtures of the reliability checks: the indexed sample served by gunicorn, the bench/ helpers.

The sample is the integration tests' own (tests/sample_index.py), under this session's prefix.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

import sample_index

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))  # harness, load, fuzz_api, reindex_under_load, faults


@pytest.fixture(scope="session")
def indexed_sample(client, settings):
    sample = sample_index.build_sample(client, settings)
    yield sample
    sample_index.drop_sample(client, sample)


@pytest.fixture(scope="session")
def served_sample(indexed_sample, tmp_path_factory):
    """`peerscope serve` (gunicorn, 2 workers) on the sample; API rate limit off."""
    import harness

    log = tmp_path_factory.mktemp("web") / "web.log"
    env = harness.app_env(indexed_sample.index_prefix, indexed_sample.redis_url)
    with harness.served(env, workers=2, log_path=log) as web:
        yield web
