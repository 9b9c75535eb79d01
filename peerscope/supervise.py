"""The main job's supervisor: the web app and an RQ worker side by side.

`run(children)` starts each child (a command line, optionally with a log file), watches
them, says when one exits and starts it again after a short pause; a child that keeps dying
(RESTARTS_MAX times within RESTART_WINDOW_S) stops the whole job with its log's last
lines, since restarting it further would only hide the fault. Ctrl-C (SIGINT) or SIGTERM
stops both: SIGTERM to each child (gunicorn and the RQ worker both finish what they are
doing), SIGKILL after STOP_TIMEOUT_S. Children run in their own process group, so a Ctrl-C
in the terminal reaches the supervisor only and the order of stopping stays ours.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from peerscope.proc import tail

RESTART_PAUSE_S = 2.0
RESTARTS_MAX, RESTART_WINDOW_S = 5, 60.0
STOP_TIMEOUT_S = 20.0
POLL_S = 0.5


@dataclass
class Child:
    name: str
    argv: list[str]
    log: Path | None = None  # None: the child writes to the supervisor's terminal
    env: dict[str, str] | None = None
    proc: subprocess.Popen | None = None
    deaths: list[float] = field(default_factory=list)

    def start(self) -> None:
        out = None
        if self.log is not None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            out = self.log.open("ab")
        try:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT if out else None,
                                         stdin=subprocess.DEVNULL, env=self.env, start_new_session=True)
        finally:
            if out is not None:
                out.close()  # the child has its own descriptor

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Stop(Exception):
    pass


def run(children: list[Child], say: Callable[[str], None] = print, *, stop_after: float | None = None) -> int:
    """Supervise `children` until Ctrl-C, SIGTERM, or one that keeps dying; the exit status.

    `stop_after` (seconds) ends the watch by itself (tests)."""
    def stop_signal(signum, _frame):
        raise Stop(signal.Signals(signum).name)

    previous = {s: signal.signal(s, stop_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    status = 0
    started = time.monotonic()
    try:
        for child in children:
            child.start()
            say(f"{child.name}: started (pid {child.proc.pid})" + (f", log {child.log}" if child.log else ""))
        while stop_after is None or time.monotonic() - started < stop_after:
            time.sleep(POLL_S)
            for child in children:
                if child.alive():
                    continue
                code = child.proc.returncode
                now = time.monotonic()
                child.deaths = [t for t in child.deaths if now - t < RESTART_WINDOW_S] + [now]
                where = f"; its log {child.log} ends with:\n{tail(child.log, 15)}" if child.log else ""
                if len(child.deaths) >= RESTARTS_MAX:
                    say(f"{child.name}: exited with status {code}, the {len(child.deaths)}th time within "
                        f"{RESTART_WINDOW_S:.0f} s: stopping everything{where}")
                    status = 1
                    raise Stop("a child keeps dying")
                say(f"{child.name}: exited with status {code}; starting it again in {RESTART_PAUSE_S:.0f} s{where}")
                time.sleep(RESTART_PAUSE_S)
                child.start()
                say(f"{child.name}: started again (pid {child.proc.pid})")
    except Stop as why:
        if status == 0:
            say(f"stopping ({why}): " + ", ".join(c.name for c in children))
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        stop(children, say)
    return status


def stop(children: list[Child], say: Callable[[str], None] = print) -> None:
    for child in children:
        if child.alive():
            try:
                os.killpg(child.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for child in children:
        if child.proc is None:
            continue
        try:
            child.proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            say(f"{child.name}: still running after {STOP_TIMEOUT_S:.0f} s; killing it")
            try:
                os.killpg(child.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            child.proc.wait()
        say(f"{child.name}: stopped")
