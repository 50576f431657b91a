"""`onestop dev` runs the simulators, the worker and the API as processes of their own under one
supervisor: each ready before the stack says so, a part killed with -9 restarted, Ctrl-C stopping
every one of them; a part that cannot start is told with its log; the worker's capacity comes
from settings."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, WorkerConfig
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from onestop.processes import ChildFailed, ChildSpec, Supervisor
from orchestrator.embedded import free_port
from orchestrator.mongo import Document
from orchestrator.settings import Settings
from orchestrator.worker import WorkerCapacity, build_worker, http_agencies

ONESTOP = str(Path(sys.executable).parent / "onestop")
ROOT = str(Path(__file__).resolve().parent.parent)


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {"ONESTOP_HOME": str(home), "PATH": str(Path(sys.executable).parent), "PYTHONPATH": ROOT, **extra}


async def _line(stream: asyncio.StreamReader, wanted: str, seen: list[str]) -> None:
    """Read lines until one starts with `wanted` (bounded by the caller's timeout)."""
    while not (seen and seen[-1].startswith(wanted)):
        line = await stream.readline()
        assert line, f"stdout closed before {wanted!r}: {seen}"
        seen.append(line.decode().rstrip())


def _command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists() or "onestop" not in _command_line(pid)


async def test_dev_runs_each_part_in_a_process_of_its_own(tmp_path: Path) -> None:
    api_port = free_port()
    env = _env(
        tmp_path,
        ONESTOP_API_PORT=str(api_port),
        ONESTOP_SIMULATOR_PORT=str(free_port()),
        ONESTOP_TEMPORAL_PORT=str(free_port()),
        ONESTOP_TEMPORAL_UI_PORT=str(free_port()),
        ONESTOP_MONGODB_PORT=str(free_port()),
        ONESTOP_LOG_LEVEL="WARNING",
    )
    errors = tmp_path / "dev.stderr"
    with errors.open("wb") as err:
        dev = await asyncio.create_subprocess_exec(
            ONESTOP, "dev", env=env, stdout=asyncio.subprocess.PIPE, stderr=err
        )
    assert dev.stdout is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(120):
            try:
                await _line(dev.stdout, "ready", seen)
            except AssertionError as exc:  # say why it stopped: its last words
                raise AssertionError(f"{exc}; stderr ends: {errors.read_text()[-2000:]}") from None
        pids = {line.split()[0]: int(line.split()[-1]) for line in seen if " pid " in line}
        assert set(pids) == {"simulators", "worker", "api"}, seen
        assert len({*pids.values(), dev.pid}) == 4
        for part, pid in pids.items():
            assert _command_line(pid).endswith(f"onestop {part} "), _command_line(pid)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", timeout=10) as api:
            assert (await api.get("/readyz")).status_code == 200
            os.kill(pids["worker"], signal.SIGKILL)
            async with asyncio.timeout(120):
                await _line(dev.stdout, "worker exited with -9: restarting it", seen)
            assert (await api.get("/healthz")).status_code == 200  # the API lived on
        dev.send_signal(signal.SIGINT)
        async with asyncio.timeout(90):
            await _line(dev.stdout, "stopped", seen)
            assert await dev.wait() == 0
        for pid in pids.values():
            assert _gone(pid), _command_line(pid)
    finally:
        if dev.returncode is None:  # our own child only: SIGTERM lets it stop its parts first
            dev.terminate()
            try:
                await asyncio.wait_for(dev.wait(), 60)
            except TimeoutError:
                dev.kill()
                await dev.wait()


async def test_a_part_that_cannot_start_is_told_with_its_log(tmp_path: Path) -> None:
    log = tmp_path / "api.log"
    spec = ChildSpec("api", ["api"], _env(tmp_path, ONESTOP_API_PORT="port"), log)
    supervisor = Supervisor(ONESTOP, ready_seconds=60)
    with pytest.raises(ChildFailed, match=f"api exited with 2 while starting; see {log}"):
        await supervisor.start(spec)
    assert "ONESTOP_API_PORT" in log.read_text()
    assert not supervisor.running("api")


async def test_a_part_not_ready_in_time_is_killed(tmp_path: Path) -> None:
    spec = ChildSpec("api", ["api"], _env(tmp_path), tmp_path / "api.log")
    supervisor = Supervisor(ONESTOP, ready_seconds=0.01)
    with pytest.raises(ChildFailed, match="api was not ready within 0s"):
        await supervisor.start(spec)
    assert not supervisor.running("api")


async def _worker_config(
    stack: Settings, temporal: Client, db: AsyncDatabase[Document], queue: str, **overrides: object
) -> WorkerConfig:
    """The case worker `build_worker` makes from the stack's settings with `overrides`, unstarted."""
    settings = Settings.model_validate(
        stack.model_dump(include={"home", "temporal_address", "mongodb_url", "jwt_secret"}) | overrides
    )
    agencies, http = http_agencies(settings)
    try:
        worker = build_worker(
            temporal,
            db,
            agencies,
            queue,
            capacity=WorkerCapacity.of(settings),
            sealer=stack.vault_sealer(),
            pseudonyms=stack.pseudonyms(),
            sandboxed=settings.worker_sandbox,
        )
        return worker.config()
    finally:
        await http.aclose()


async def test_the_workers_capacity_comes_from_settings(
    stack: Settings, temporal: Client, db: AsyncDatabase[Document]
) -> None:
    config = await _worker_config(
        stack,
        temporal,
        db,
        "capacity-test",
        worker_max_concurrent_workflow_tasks=7,
        worker_max_concurrent_activities=9,
        worker_max_cached_workflows=11,
    )
    assert (
        config.get("max_concurrent_workflow_tasks"),
        config.get("max_concurrent_activities"),
        config.get("max_cached_workflows"),
    ) == (7, 9, 11)


@pytest.mark.parametrize("sandboxed", [False, True])
async def test_the_workers_sandbox_comes_from_settings(
    stack: Settings, temporal: Client, db: AsyncDatabase[Document], sandboxed: bool
) -> None:
    """Without the sandbox by default (the tests' workflow harness and the replays keep it);
    `ONESTOP_WORKER_SANDBOX=true` brings its run-time checks back to the case worker."""
    overrides = {"worker_sandbox": True} if sandboxed else {}
    config = await _worker_config(stack, temporal, db, f"sandbox-test-{sandboxed}", **overrides)
    runner = config.get("workflow_runner")
    assert isinstance(runner, SandboxedWorkflowRunner if sandboxed else UnsandboxedWorkflowRunner)
