"""The supervisor's parts: the restart budget, a child that stays down, one deadline for all,
and children that die with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

import pytest

from tests.support.procs import alive, descendants, gone_within
from towncc import processes
from towncc.supervisor import Child, ChildSpec, RestartBudget

IGNORES_TERM = ("sh", "-c", "trap '' TERM; sleep 60 & wait")


def test_the_restart_budget_counts_within_a_sliding_window() -> None:
    budget = RestartBudget(limit=3, window_s=60)
    assert [budget.allow(t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert budget.allow(59.5) is False  # the first restart still counts
    assert budget.allow(60.5) is True  # it no longer does
    assert RestartBudget(0, 60).allow(0) is False


def test_a_child_over_its_budget_stays_down_with_its_exit_code() -> None:
    spec = ChildSpec("failing", ("sh", "-c", "exit 3"))
    child = Child(spec, dict(os.environ), RestartBudget(2, 60))
    child.start()
    now, states = 0.0, []
    for _ in range(40):
        assert child.process is not None
        child.process.wait(timeout=10)
        now += 1.5  # past the restart pause
        child.tick(now)
        child.tick(now + 1.5)
        states.append(child.state)
        if child.state == "down":
            break
    assert states[-1] == "down" and states.count("running") == 2
    status = child.status()
    assert (status.state, status.restarts, status.exit_code, status.pid) == ("down", 2, 3, None)
    child.tick(now + 3600)  # down is for good: an hour later, still no restart
    assert child.state == "down" and child.restarts == 2


def test_a_restarting_child_is_started_again_after_a_pause() -> None:
    child = Child(ChildSpec("once", ("sh", "-c", "exit 1")), dict(os.environ), RestartBudget(5, 60))
    child.start()
    assert child.process is not None
    first = child.process.pid
    child.process.wait(timeout=10)
    child.tick(100.0)
    assert child.state == "restarting" and child.status().exit_code == 1
    child.tick(100.5)
    assert child.state == "restarting"
    child.tick(101.0)
    assert child.state == "running" and child.process.pid != first and child.restarts == 1
    child.process.wait(timeout=10)


def test_every_group_is_stopped_at_once_with_one_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[tuple[list[int], float]] = []
    real_wait = processes.wait_all

    def wait_all(procs: Sequence[processes.Process], deadline: float) -> bool:
        waits.append(([p.pid for p in procs], deadline))
        return real_wait(procs, deadline)

    monkeypatch.setattr(processes, "wait_all", wait_all)
    started = [processes.spawn(IGNORES_TERM) for _ in range(3)]
    deadline = time.monotonic() + 20
    while sum(len(descendants(p.pid)) for p in started) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)  # each shell has started its sleep
    pids = [p.pid for p in started] + [c for p in started for c in descendants(p.pid)]
    assert len(pids) == 6
    deadline = time.monotonic() + 1.0
    processes.stop_all(started, deadline)
    # One deadline for all (every group signalled, then one wait), not one per child; the
    # SIGKILL after it reached every group, their own children too.
    assert waits[0] == ([p.pid for p in started], deadline)
    # kill() returns before the kernel has finished the process off: a loaded machine once
    # showed one still running right after. What counts is that none outlives its SIGKILL.
    _, left = gone_within(pids, 5)
    assert left == []


def test_a_child_dies_with_its_parent_even_when_the_parent_is_killed() -> None:
    code = (
        "import time\nfrom towncc import processes\n"
        "p = processes.spawn(['sleep', '60'])\nprint(p.pid, flush=True)\ntime.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert alive(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=10)
    parent.stdout.close()
    took, left = gone_within([child], 5)
    assert left == [], f"the child outlived its parent by {took:.1f} s"


def test_no_parent_death_signal_from_a_thread_that_may_end_before_the_child() -> None:
    found: list[object] = []
    thread = threading.Thread(target=lambda: found.append(processes.die_with_parent()))
    thread.start()
    thread.join()
    assert found == [None]
    if sys.platform.startswith("linux"):
        assert processes.die_with_parent() is not None


def test_stopping_a_process_that_is_gone_or_absent_does_nothing() -> None:
    processes.stop(None)
    done = subprocess.Popen(["true"])
    done.wait()
    processes.stop(done)
    processes.stop_all([done], time.monotonic())
    assert done.returncode == 0
