"""Background processes lower their own CPU priority, threads included (Linux's nice is per thread)."""

from __future__ import annotations

import os
import subprocess
import sys

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
