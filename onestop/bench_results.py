"""What `onestop bench` measured, as the models it prints and keeps in `bench/results.json`.

The file holds the latest run of each kind of benchmark (throughput, memory, API load), each
with the machine's core count, the commit and the date, so the README can quote figures that a
reader can trace to a run. A run of one kind replaces that kind only and keeps the others.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

DEFAULT_RESULTS = Path("bench/results.json")


class Machine(BaseModel):
    """Where and from what a figure was measured."""

    cores: int
    commit: str
    date: str

    @classmethod
    def here(cls) -> Machine:
        return cls(
            cores=os.cpu_count() or 1,
            commit=_commit(),
            date=datetime.now(UTC).isoformat(timespec="seconds"),
        )


class BenchResult(BaseModel):
    """One configuration's median over the rounds."""

    name: str
    workflows_per_s: float
    serial_ms: float
    cpu_ms_per_case: dict[str, float] = Field(
        default_factory=dict,
        description="per process over the run and the server's work it left, and their sum",
    )
    temporal_requests_per_case: float | None = Field(
        default=None,
        description="the Temporal server's persistence requests per case, over the same span as"
        " the CPU: a count, which a slow minute does not inflate as it does CPU (about ±2 a case"
        " from run to run)",
    )


class ThroughputRun(BaseModel):
    machine: Machine
    cases: int
    concurrency: int
    fan_out: int
    rounds: int
    results: list[BenchResult]
    throughput_ratio: dict[str, float] = Field(
        description="per configuration: the median over rounds of its rate over bare Temporal's in that round"
    )
    serial_ratio: dict[str, float] = Field(
        description="per configuration: its median serial latency over bare Temporal's, measured in turns"
    )
    worker_rss_mb: float = Field(description="the bench process (driver and workers) at the end")


class MemoryRun(BaseModel):
    machine: Machine
    cases: int
    cache_size: int = Field(description="the worker's max_cached_workflows")
    rss_mb: list[tuple[int, float]] = Field(description="(open cases, worker RSS in MB) as they opened")
    mb_per_1000_after_cache_full: float | None = Field(
        description="RSS growth per 1,000 open cases once the workflow cache holds cache_size runs"
    )
    opened_per_s: float
    completed: int
    completed_per_s: float = Field(description="agency decisions answered and their cases ended")


class ApiLoadRun(BaseModel):
    machine: Machine
    rate: float
    seconds: float
    offered: int
    accepted: int = Field(description="answered 202")
    throttled: int = Field(description="answered 429 with Retry-After")
    throttled_without_retry_after: int
    other: dict[str, int] = Field(
        default_factory=dict, description="any other status by code, or an unanswered request by error"
    )
    lost: int = Field(description="202'd cases the API cannot find afterwards")
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    cpu_ms_per_trigger: dict[str, float] = Field(
        default_factory=dict, description="per process while the load was offered (the backlog drains on)"
    )


class BenchResults(BaseModel):
    throughput: ThroughputRun | None = None
    memory: MemoryRun | None = None
    api_load: ApiLoadRun | None = None


def record(path: Path, **runs: BaseModel) -> None:
    """Replace the given kinds of run in `path`, keeping the others."""
    results = BenchResults()
    if path.exists():
        results = BenchResults.model_validate_json(path.read_text())
    results = results.model_copy(update=runs)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(results.model_dump_json(indent=2) + "\n")


def _commit() -> str:
    """The checkout's commit, `+` when it has uncommitted changes; `unknown` outside git."""
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=here, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+" if dirty else "")
