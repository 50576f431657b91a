"""The short `onestop chaos` in `make test`: 20 cases through a worker killed -9 every few
seconds, and 20 through kill -9 and restart of OneStop's SecantusDB, each on a fresh stack of
real processes, run as a user runs the command; and its refusal of an unknown scenario."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ONESTOP = str(Path(sys.executable).parent / "onestop")
ROOT = str(Path(__file__).resolve().parent.parent)


def _chaos(*args: str, home: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {"ONESTOP_HOME": str(home), "PATH": str(Path(sys.executable).parent), "PYTHONPATH": ROOT}
    return subprocess.run(
        [ONESTOP, "chaos", *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def test_worker_kills_and_a_database_restart_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    result = _chaos(
        "--cases",
        "20",
        "--scenario",
        "worker-kill",
        "--scenario",
        "mongo-restart",
        home=tmp_path,
        timeout=400,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]]
        for line in result.stdout.splitlines()
        if line.startswith("| ") and not line.startswith("| scenario")
    }
    # cases, completed, compensated, held, lost, duplicate effects, 503, 5xx, result
    assert rows["worker-kill"][:6] == ["20", "20", "0", "0", "0", "0"], result.stdout
    assert rows["worker-kill"][7:] == ["0", "ok"], result.stdout
    assert rows["mongo-restart"][:6] == ["20", "20", "0", "0", "0", "0"], result.stdout
    assert rows["mongo-restart"][7:] == ["0", "ok"], result.stdout


def test_an_unknown_scenario_is_refused_with_the_choices(tmp_path: Path) -> None:
    result = _chaos("--scenario", "meteor", home=tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: Invalid value for --scenario: no scenario meteor: choose from worker-kill"
    )
