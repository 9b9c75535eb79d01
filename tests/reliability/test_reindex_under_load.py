"""A full reindex through RQ while clients keep searching, a worker SIGKILLed in the middle of
the next one, `peerscope index --cleanup`, and a rerun (bench/reindex_under_load.py, small)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_reindex_under_load_then_a_killed_worker_recovers(tmp_path):
    from bench.reindex_under_load import run

    messages: list[str] = []
    out = run(tmp_path, first=200, second=300, third=400, concurrency=2, rate=8, log=messages.append)
    failed = [name for name, ok in out["checks"].items() if not ok]
    assert not failed, (failed, "\n".join(messages))
