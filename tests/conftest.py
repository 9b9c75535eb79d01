"""Shared fixtures. Integration tests use the real local OpenSearch node and Redis.

`.ci/run` (and `scripts/test`) start both with `peerscope up`; when they are not
reachable the integration tests fail with the reason instead of being skipped.
"""
from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from peerscope.config import load_settings


@pytest.fixture(scope="session")
def settings():
    """Settings with a unique index prefix so that tests never touch other indexes."""
    base = load_settings()
    return replace(base, index_prefix=f"test-{uuid.uuid4().hex[:8]}-")


@pytest.fixture(scope="session")
def client(settings):
    from search.client import make_client
    from search.lifecycle import drop_prefix

    client = make_client(settings, timeout=30)
    health = client.cluster.health(wait_for_status="yellow")
    assert health["status"] in ("yellow", "green"), health
    yield client
    drop_prefix(client, settings)


@pytest.fixture()
def clean_indexes(client, settings):
    """Delete this session's indexes after the test."""
    yield
    from search.lifecycle import drop_prefix

    drop_prefix(client, settings)


@pytest.fixture(scope="session")
def redis_conn(settings):
    from redis import Redis

    conn = Redis.from_url(settings.redis_url)
    assert conn.ping()
    return conn
