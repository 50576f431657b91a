"""Lowering a process's CPU priority so that it holds on Linux's autogroup scheduler too.

A nice value alone is not enough on a desktop-style kernel (`kernel.sched_autogroup_enabled=1`,
Debian's default and this machine's). The scheduler first shares the CPU fairly between
*autogroups*, one per session, and only applies nice values between the threads inside one. Every
process `onestop dev` and the embedded servers start leads a session of its own, so a worker at
nice 10 still got a whole group's share beside the API, and so did the Temporal server. Measured
with `onestop bench --api-load` (50 triggers/s for 30 s, 2 cores): trigger p99 208 ms with nice
values only; 33 ms once the background processes' autogroups were lowered as well.

So a background process lowers both: its own threads' nice value (what counts where autogroups
are off or a cluster's cgroups rule) and, when it leads its session, its autogroup's nice value.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path


def lower_own_priority(nice: int) -> None:
    """This process, before it starts threads (a thread inherits its creator's nice value)."""
    if nice <= 0:
        return
    os.nice(nice)
    if os.getsid(0) == os.getpid():  # the autogroup is the session's: never lower a parent's
        lower_autogroup(os.getpid(), nice)


def lower_autogroup(pid: int, nice: int) -> None:
    """The autogroup of session leader `pid` (a child started with `start_new_session`): every
    thread of its session at once, however many it has started meanwhile. Nothing where the
    kernel has no autogroups."""
    # OSError: no such file (not Linux, no CONFIG_SCHED_AUTOGROUP), or the process is gone.
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))


def nice_command(nice: int, args: list[str]) -> list[str]:
    """`args` run at `nice` from their first thread on, for binaries that start their own
    threads before anything could lower them (the Go runtime of the Temporal server)."""
    runner = shutil.which("nice")
    if nice <= 0 or runner is None:
        return args
    return [runner, "-n", str(nice), *args]
