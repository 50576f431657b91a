"""Background processes lower their own CPU priority, threads included (Linux's nice is per thread),
and their autogroup where they lead a session (`orchestrator/cpu_priority.py`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestrator.embedded import EmbeddedServers

_PROBE = """
import os, threading
from onestop.priority import yield_to_interactive
from orchestrator.settings import Settings
yield_to_interactive(Settings())
seen = []
thread = threading.Thread(target=lambda: seen.append(os.getpriority(os.PRIO_PROCESS, 0)))
thread.start(); thread.join()
print(os.getpriority(os.PRIO_PROCESS, 0), seen[0])
"""


def _niceness(value: str) -> list[int]:
    env = {**os.environ, "ONESTOP_BACKGROUND_NICE": value}
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    return [int(n) for n in out.stdout.split()]


def test_the_process_and_its_later_threads_yield() -> None:
    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert _niceness("7") == [min(base + 7, 19)] * 2


def test_zero_keeps_the_priority() -> None:
    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert _niceness("0") == [base, base]


_GROUP_PROBE = """
import os, pathlib
from onestop.priority import yield_to_interactive
from orchestrator.settings import Settings
yield_to_interactive(Settings())
words = pathlib.Path("/proc/self/autogroup").read_text().split() or ["-"]
print(os.getpriority(os.PRIO_PROCESS, 0), words[-1])
"""


def _autogroup_nice(pid: int | str) -> int | None:
    """The nice value of `pid`'s autogroup; None where the kernel keeps no autogroups: no file, or
    (CI's sandboxed kernel) a file that reads empty."""
    try:
        words = Path(f"/proc/{pid}/autogroup").read_text().split()
    except FileNotFoundError:
        return None
    return int(words[-1]) if words and words[-1].lstrip("-").isdigit() else None


def _probe_group(value: str, *, own_session: bool) -> tuple[int, str]:
    """The probe's own nice value and its autogroup's ("-" where the file reads empty)."""
    env = {**os.environ, "ONESTOP_BACKGROUND_NICE": value}
    out = subprocess.run(
        [sys.executable, "-c", _GROUP_PROBE],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        start_new_session=own_session,
    )
    nice, group = out.stdout.split()
    return int(nice), group


def test_a_session_leader_lowers_its_autogroup_too() -> None:
    """Where autogroups exist, the nice value alone is shared out only inside the group: the
    worker started in a session of its own (`onestop dev`) must lower the group as well. Where
    they do not, the thread nice value is the whole story and the group write must not fail."""
    nice, group = _probe_group("7", own_session=True)
    assert nice == min(os.getpriority(os.PRIO_PROCESS, 0) + 7, 19)
    if _autogroup_nice("self") is not None:
        assert group == "7"


def test_a_process_in_its_parents_session_leaves_the_group_alone() -> None:
    """The group is the whole session's: lowering it from a child would lower the parent too."""
    before = _autogroup_nice("self")
    own = os.getpriority(os.PRIO_PROCESS, 0)
    nice, group = _probe_group("7", own_session=False)
    assert nice == min(own + 7, 19)
    assert os.getpriority(os.PRIO_PROCESS, 0) == own
    assert _autogroup_nice("self") == before
    if before is not None:
        assert group == str(before)


async def test_an_embedded_server_started_in_the_background_runs_lowered_from_its_first_thread(
    tmp_path: Path,
) -> None:
    server = EmbeddedServers.mongodb_only(tmp_path, nice=6)
    server.start_mongodb()
    try:
        await server.wait_ready()  # listening: it runs the server's code, with all its threads
        proc = server.named["secantusdb"]
        niceness = {os.getpriority(os.PRIO_PROCESS, int(tid)) for tid in os.listdir(f"/proc/{proc.pid}/task")}
        assert niceness == {min(os.getpriority(os.PRIO_PROCESS, 0) + 6, 19)}
        if _autogroup_nice("self") is not None:
            assert _autogroup_nice(proc.pid) == 6
    finally:
        server.stop()
