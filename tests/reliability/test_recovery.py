"""`peerscope index --cleanup` (indexer/recovery.py) never touches a live build and clears a dead one."""
from __future__ import annotations

import socket
import uuid
from dataclasses import replace

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture()
def world(client, settings, tmp_path):
    """A private Redis, a prefix of our own on the shared node, and a served alias to keep."""
    from redis import Redis

    from bench import harness
    from search import lifecycle

    with harness.private_redis(tmp_path / "redis") as server:
        s = replace(settings, index_prefix=f"{settings.index_prefix}rec{uuid.uuid4().hex[:4]}-",
                    redis_url=server.url, redis_url_given=True, state_dir=tmp_path / "state")
        served = lifecycle.ensure_aliases(client, s)
        yield {"settings": s, "conn": Redis.from_url(server.url), "served": served}
        lifecycle.drop_prefix(client, s)


def _half_built(client, s) -> str:
    from search import lifecycle

    return lifecycle.create_index(client, s, "works")


def _final_job(s, conn, build_id: str):
    from rq import Queue

    from indexer.jobs import build_indexes_job

    return Queue(s.queue_name, connection=conn).enqueue(build_indexes_job, s.index_prefix, build_id,
                                                         job_id=f"{s.index_prefix}{build_id}-build")


def test_an_in_process_build_holding_the_lock_is_left_alone(client, world):
    from indexer.jobs import acquire_lock, lock_key
    from indexer.recovery import cleanup
    from search import lifecycle

    s, conn = world["settings"], world["conn"]
    acquire_lock(conn, s, "b-inprocess")
    orphan = _half_built(client, s)
    report = cleanup(s, conn)
    assert "in-process" in report["kept"] and "--unlock" in report["kept"]
    assert conn.get(lock_key(s)) == b"b-inprocess" and orphan in lifecycle.orphans(client, s)


def test_cleanup_keeps_a_queued_build_and_its_lock(client, world):
    from indexer.jobs import acquire_lock, lock_key
    from indexer.recovery import cleanup
    from search import lifecycle

    s, conn = world["settings"], world["conn"]
    acquire_lock(conn, s, "b-queued")
    _final_job(s, conn, "b-queued")
    orphan = _half_built(client, s)
    report = cleanup(s, conn)
    assert "is queued" in report["kept"]
    assert conn.get(lock_key(s)) == b"b-queued" and orphan in lifecycle.orphans(client, s)


def _started_by_ghost(s, conn, build_id: str, worker: str, pid: int):
    """What a SIGKILLed worker leaves: the lock held and the final job "started" by a
    registered worker whose process is gone."""
    from rq.job import JobStatus

    from indexer.jobs import acquire_lock

    acquire_lock(conn, s, build_id)
    job = _final_job(s, conn, build_id)
    conn.hset(f"rq:worker:{worker}", mapping={"hostname": socket.gethostname(), "pid": pid})
    job.set_status(JobStatus.STARTED)
    conn.hset(job.key, "worker_name", worker)
    return job


def test_a_build_whose_worker_died_is_cleared(client, world):
    from rq.job import Job, JobStatus

    from indexer import spool
    from indexer.jobs import lock_key
    from indexer.recovery import cleanup, format_report
    from search import lifecycle

    s, conn = world["settings"], world["conn"]
    job = _started_by_ghost(s, conn, "b-dead", "ghost", 2 ** 22 + 7)
    folder = spool.build_dir(s, "b-dead")
    folder.mkdir(parents=True)
    orphan = _half_built(client, s)

    report = cleanup(s, conn)
    assert not report["kept"], format_report(report)
    assert report["deleted_indexes"] == [orphan] and report["canceled_jobs"] == [job.id]
    assert conn.get(lock_key(s)) is None and not folder.exists()
    assert Job.fetch(job.id, connection=conn).get_status() == JobStatus.CANCELED
    # the served index is untouched
    assert lifecycle.indexes_behind(client, s.alias("works")) == [world["served"]["works"]]


def test_without_a_lock_only_old_orphans_go(client, world):
    from indexer.recovery import cleanup
    from search import lifecycle

    s, conn = world["settings"], world["conn"]
    orphan = _half_built(client, s)
    assert cleanup(s, conn)["deleted_indexes"] == []  # might be a lock-less run still writing it
    assert orphan in lifecycle.orphans(client, s)
    assert cleanup(s, conn, grace_s=0)["deleted_indexes"] == [orphan]
    assert lifecycle.orphans(client, s) == []


def test_nothing_is_deleted_while_a_half_built_index_is_still_written(client, world):
    """A work horse can outlive its killed worker and keep writing: that build is not dead."""
    import threading

    from indexer.jobs import lock_key
    from indexer.recovery import cleanup
    from search import lifecycle

    s, conn = world["settings"], world["conn"]
    job = _started_by_ghost(s, conn, "b-orphaned-horse", "ghost2", 2 ** 22 + 9)
    orphan = _half_built(client, s)
    stop = threading.Event()

    def horse():
        n = 0
        while not stop.wait(0.2):
            client.index(index=orphan, id=str(n), body={"id": str(n), "title": "still writing"})
            n += 1

    writer = threading.Thread(target=horse, daemon=True)
    writer.start()
    try:
        report = cleanup(s, conn)
    finally:
        stop.set()
        writer.join(timeout=10)
    assert "still being written" in report["kept"]
    assert orphan in lifecycle.orphans(client, s) and conn.get(lock_key(s)) == b"b-orphaned-horse"


def test_a_write_block_left_by_a_copy_is_lifted(client, world):
    from indexer.recovery import cleanup, format_report

    s, conn = world["settings"], world["conn"]
    live = world["served"]["works"]
    client.indices.put_settings(index=live, body={"index": {"blocks.write": True}})  # died mid-copy
    report = cleanup(s, conn)
    assert report["unblocked_indexes"] == [live] and "lifted the write block" in format_report(report)
    client.index(index=s.alias("works"), id="w1", body={"id": "w1", "title": "Writable again"}, refresh=True)
    assert cleanup(s, conn)["unblocked_indexes"] == []


def test_the_build_lock_names_its_holder_and_only_the_holder_releases_it(settings, tmp_path):
    from redis import Redis

    from bench import harness
    from indexer.jobs import LOCK_TTL_S, BuildLocked, acquire_lock, lock_holder, lock_key, release_lock

    with harness.private_redis(tmp_path / "redis") as server:
        conn = Redis.from_url(server.url)
        acquire_lock(conn, settings, "b-first")
        with pytest.raises(BuildLocked, match=r"already running \(build b-first\).*--unlock"):
            acquire_lock(conn, settings, "b-second")
        assert LOCK_TTL_S - 5 <= conn.ttl(lock_key(settings)) <= LOCK_TTL_S
        release_lock(conn, settings, "b-second")  # not the holder: nothing happens
        assert lock_holder(conn, settings) == "b-first"
        release_lock(conn, settings, "b-first")
        assert lock_holder(conn, settings) is None
        acquire_lock(conn, settings, "b-second")
        assert lock_holder(conn, settings) == "b-second"


@pytest.mark.faults
def test_two_workers_one_killed_mid_file_the_other_retries_it_and_nothing_is_lost(tmp_path):
    """bench/parallel_build.py --kill-one on a small cold sample: about 4 min (RQ finds the killed
    worker's job abandoned once its heartbeat expires, 90 s, and retries it)."""
    from bench.parallel_build import run

    whole = run(1, sample=1500, work_dir=tmp_path / "whole", cold=False, kill_one=False, timeout=900)
    killed = run(2, sample=1500, work_dir=tmp_path / "killed", cold=True, kill_one=True, timeout=900)
    assert whole["status"] == killed["status"] == "finished", (whole, killed)
    assert killed.get("killed") and killed["killed"]["job_status_after"] == "finished", killed
    assert killed["aggregation_waited_for_every_file"] and killed["reconciled"], killed
    assert killed["report"] == whole["report"]  # the same works and researchers as a build without the kill
