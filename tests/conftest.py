"""Shared fixtures. Integration tests use the real local OpenSearch node and Redis.

`.ci/run` (and `scripts/test`) start both with `peerscope up`; when they are not
reachable the integration tests fail with the reason instead of being skipped.
Integration, browser and reliability tests share a small real sample of the Anthology
(`indexed_sample`); tests that change its documents index a copy of their own (`build_sample`).
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


SAMPLE_PAPERS = 300


@pytest.fixture(scope="session")
def build_sample(client, settings):
    """build_sample(name="") -> Settings of a small real sample, indexed once per session and name.

    The project's own indexer runs in-process on 300 papers of 2022.acl (incl.
    2022.acl-long.158 by Shengding Hu) under "test-sample-<name>-<session id>-", a prefix that
    does not start with the session's, so `clean_indexes` (which deletes `<session prefix>*`
    after a test) cannot remove a sample halfway through the session. Aliases already there are
    reused; every sample built is deleted at the end of the session.
    """
    from indexer.build import run_in_process
    from indexer.sources.base import Options

    built: dict[str, object] = {}

    def build(name: str = ""):
        if name not in built:
            tag = f"test-sample-{name}-" if name else "test-sample-"
            # The Anthology alone: the tests of merged sources build their own (test_merged_sources.py).
            sample = replace(settings, index_prefix=settings.index_prefix.replace("test-", tag, 1), sources=("acl",))
            aliases = [sample.alias("works"), sample.alias("researchers")]
            if not all(client.indices.exists_alias(name=a) for a in aliases):
                report = run_in_process(sample, Options(files=("2022.acl.xml",), sample=SAMPLE_PAPERS), None)
                assert report["works"]["indexed"] >= SAMPLE_PAPERS * 0.9, report["works"]
            client.indices.refresh(index=",".join(aliases))
            built[name] = sample
        return built[name]

    yield build
    for sample in built.values():
        client.indices.delete(index=f"{sample.index_prefix}*", ignore_unavailable=True, allow_no_indices=True)


@pytest.fixture(scope="session")
def indexed_sample(build_sample):
    """Settings of the shared sample (works and researchers aliases under its own prefix); tests
    only read it."""
    return build_sample()


@pytest.fixture(scope="session")
def run_queued_jobs(client, redis_conn):
    """run_queued_jobs(settings) -> how many ran: every job queued on `settings.queue_name`, run in
    this process by a real RQ worker in burst mode, as a worker would run them; none may fail.
    The works and researchers aliases are refreshed afterwards."""
    from rq import Queue, SimpleWorker

    def run(settings) -> int:
        queue = Queue(settings.queue_name, connection=redis_conn)
        count = len(queue)
        SimpleWorker([queue], connection=redis_conn).work(burst=True)
        failed = queue.failed_job_registry
        assert failed.count == 0, [queue.fetch_job(j).exc_info for j in failed.get_job_ids()]
        client.indices.refresh(index=f"{settings.alias('works')},{settings.alias('researchers')}")
        return count

    return run
