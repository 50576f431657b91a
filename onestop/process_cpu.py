"""CPU time and memory of the processes a benchmark runs, read from Linux's `/proc`.

CPU per case is the figure to judge an engine change by on a shared 2-core machine: another
engineer's test run halves every throughput measured meanwhile, but a case still costs the same
CPU in each process (`../shared/bench/README.md` has the method). Each process is counted with
its threads and its live children (a server that forks helpers is charged for them), as
utime + stime from `/proc/PID/stat`; a child that is itself measured is charged to itself only
(the bench starts the Temporal and MongoDB-wire servers as its own children, and until
2026-12-02 its "worker" figure counted them twice).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int, apart: Collection[int] = ()) -> float:
    """utime + stime of `pid` and of its live descendants, in seconds (0 for a process gone),
    leaving out the processes in `apart` and their own descendants."""
    return sum(_own_cpu_ticks(p) for p in _tree(pid, apart)) / _TICKS_PER_SECOND


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` alone, in MB (0 for a process gone)."""
    try:
        resident_pages = int((_PROC / str(pid) / "statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return resident_pages * _PAGE_BYTES / 1_000_000


def _own_cpu_ticks(pid: int) -> int:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return 0
    # The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # utime and stime: fields 14 and 15 of the line


def _tree(pid: int, apart: Collection[int] = ()) -> list[int]:
    """`pid` and its descendants but those in `apart` (and theirs), found through each thread's
    `children` list; bounded by the number of processes the machine holds, so a cycle read
    mid-fork cannot loop forever."""
    found = [pid]
    seen = {pid, *apart}
    for current in found:
        for task in _children_files(current):
            try:
                children = [int(c) for c in task.read_text().split()]
            except (OSError, ValueError):
                continue
            for child in children:
                if child not in seen:
                    seen.add(child)
                    found.append(child)
    return found


def _children_files(pid: int) -> list[Path]:
    try:
        return list((_PROC / str(pid) / "task").glob("*/children"))
    except OSError:
        return []


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds of each named process at one moment."""

    seconds: Mapping[str, float]

    @classmethod
    def take(cls, pids: Mapping[str, int]) -> CpuSnapshot:
        """Each named process with its children, but a named child counts under its own name."""
        return cls({name: cpu_seconds(pid, set(pids.values()) - {pid}) for name, pid in pids.items()})

    def ms_per_case(self, later: CpuSnapshot, cases: int) -> dict[str, float]:
        """CPU milliseconds each process spent per case between this snapshot and `later`,
        with their sum under "all"."""
        spent = {name: (later.seconds[name] - self.seconds[name]) * 1000 / cases for name in self.seconds}
        spent["all"] = sum(spent.values())
        return {name: round(ms, 1) for name, ms in spent.items()}
