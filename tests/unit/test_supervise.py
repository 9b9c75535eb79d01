"""The main job's supervisor with stand-in children: a child that exits is said and started
again, one that keeps dying stops the job, and stopping ends every child."""
from __future__ import annotations

import sys

import pytest

from peerscope import supervise

pytestmark = pytest.mark.unit


def _child(name, code, tmp_path, log=True):
    return supervise.Child(name, [sys.executable, "-c", code], log=tmp_path / f"{name}.log" if log else None)


def test_a_child_that_exits_is_restarted_and_stopping_ends_both(tmp_path, monkeypatch):
    monkeypatch.setattr(supervise, "RESTART_PAUSE_S", 0.1)
    monkeypatch.setattr(supervise, "POLL_S", 0.05)
    said: list[str] = []
    steady = _child("web app", "import time; time.sleep(60)", tmp_path, log=False)
    flaky = _child("worker", "print('worker ran', flush=True); raise SystemExit(3)", tmp_path)
    status = supervise.run([steady, flaky], say=said.append, stop_after=20)
    assert status == 1  # the worker died RESTARTS_MAX times within the window
    assert any(f"worker: started (pid" in m and "log " + str(tmp_path / "worker.log") in m for m in said)
    assert any("worker: exited with status 3; starting it again" in m for m in said)
    assert any("worker ran" in m and "stopping everything" in m for m in said)
    assert not steady.alive() and not flaky.alive()
    assert said[-2:] == ["web app: stopped", "worker: stopped"]


def test_stop_after_ends_the_watch_and_terminates_the_children(tmp_path):
    said: list[str] = []
    a = _child("web app", "import time; time.sleep(60)", tmp_path)
    b = _child("worker", "import signal, sys, time\nsignal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
                         "time.sleep(60)", tmp_path)
    assert supervise.run([a, b], say=said.append, stop_after=0.6) == 0
    assert a.proc.returncode is not None and b.proc.returncode == 0
    assert "web app: stopped" in said and "worker: stopped" in said
