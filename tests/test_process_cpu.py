"""CPU and memory of a process as the benchmark reads them from /proc."""

from __future__ import annotations

import subprocess
import sys

from onestop.process_cpu import CpuSnapshot, cpu_seconds, rss_mb

# A fixed amount of work, then it waits to be read: counted by the work done, not by a clock.
_BUSY_CHILD = "sum(i * i for i in range(3_000_000)); import sys; sys.stdout.write('done\\n'); sys.stdout.flush(); sys.stdin.read()"


def test_a_process_tree_is_charged_for_its_childrens_work() -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys; subprocess.run([sys.executable, '-c', {_BUSY_CHILD!r}])",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None and parent.stdout.readline() == "done\n"
        before = CpuSnapshot({"parent": 0.0})
        spent = before.ms_per_case(CpuSnapshot.take({"parent": parent.pid}), cases=10)
        assert cpu_seconds(parent.pid) > 0.05  # the child's loop, counted under its parent
        assert spent["parent"] > 0 and spent["all"] == spent["parent"]
        assert rss_mb(parent.pid) > 1
    finally:
        assert parent.stdin is not None
        parent.stdin.close()  # the child's read ends, then both exit
        parent.wait(timeout=30)


def test_a_child_measured_on_its_own_is_not_charged_to_its_parent_too() -> None:
    """The bench starts the Temporal and MongoDB-wire servers as its children and names each."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys; child = subprocess.Popen([sys.executable, '-c', sys.argv[1]],"
            " stdout=subprocess.PIPE, text=True); child.stdout.readline(); print(child.pid, flush=True);"
            " sys.stdin.read(); child.kill()",
            _BUSY_CHILD,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        spent = CpuSnapshot({"parent": 0.0, "child": 0.0}).ms_per_case(
            CpuSnapshot.take({"parent": parent.pid, "child": child}), cases=1
        )
        assert spent["child"] > 50  # the child's loop, under its own name
        assert spent["parent"] < spent["child"] / 2  # and not again under its parent's
        assert abs(spent["all"] - (spent["parent"] + spent["child"])) < 0.2
        assert cpu_seconds(parent.pid) * 1000 > spent["child"]  # unnamed, the child counts in its parent
    finally:
        assert parent.stdin is not None
        parent.stdin.close()
        parent.wait(timeout=30)


def test_a_process_gone_counts_nothing() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert cpu_seconds(gone.pid) == 0.0
    assert rss_mb(gone.pid) == 0.0
