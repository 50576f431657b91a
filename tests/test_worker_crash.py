"""A worker killed with an agency call in flight: a new worker finishes the case, and the
idempotency key keeps the agency at exactly one record."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.app import create_app
from onestop.stack import serving
from orchestrator.embedded import EmbeddedServers
from orchestrator.settings import Settings
from orchestrator.temporal_client import workflow_id
from tests.conftest import make_settings
from tests.support import MOVE, CaseWatcher, step

ONESTOP = str(Path(sys.executable).parent / "onestop")


@asynccontextmanager
async def worker_process(settings: Settings) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {
        **os.environ,
        "ONESTOP_ENVIRONMENT": "test",
        "ONESTOP_HOME": str(settings.home),
        "ONESTOP_TEMPORAL_ADDRESS": settings.temporal_address,
        "ONESTOP_MONGODB_URL": settings.mongodb_url,
        "ONESTOP_MONGODB_DATABASE": settings.mongodb_database,
        "ONESTOP_TASK_QUEUE": settings.task_queue,
        "ONESTOP_AGENCY_BASE_URL": settings.agency_base_url,
        "ONESTOP_JWT_SECRET": settings.jwt_secret,
        "ONESTOP_LOG_JSON": "true",
    }
    proc = await asyncio.create_subprocess_exec(
        ONESTOP, "worker", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    assert proc.stdout is not None
    async with asyncio.timeout(60):
        while b"ready" not in await proc.stdout.readline():
            assert proc.returncode is None, "worker exited while starting"
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def _wait_activity_started(temporal: Client, case_id: str, step_id: str) -> None:
    """Until the call of `step_id` runs on a worker (the workflow's `agency_calls` query names the
    step of each running call), so the kill lands in that call and not in a later one."""
    handle = temporal.get_workflow_handle(workflow_id(case_id))
    async with asyncio.timeout(30):
        while True:
            try:
                description = await handle.describe()
            except RPCError as exc:  # the API answers before the workflow starts (`CaseStarter`)
                if exc.status is not RPCStatusCode.NOT_FOUND:
                    raise
                await asyncio.sleep(0.1)
                continue
            pending = description.raw_description.pending_activities
            started = {
                a.activity_id
                for a in pending
                if a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
            }
            if started:
                calls = await handle.query("agency_calls", result_type=dict[str, str])
                if any(calls.get(call) == step_id for call in started):
                    return
            await asyncio.sleep(0.1)


async def test_killed_worker_case_completes_without_duplicates(
    servers: EmbeddedServers, stack: Settings, temporal: Client, watcher: CaseWatcher, citizen: str
) -> None:
    queue = f"crash-{uuid.uuid4().hex[:8]}"
    own = make_settings(
        servers, task_queue=queue, jwt_secret=stack.jwt_secret, agency_base_url=stack.agency_base_url
    )
    # Twice: the call's local activity gives up after `LOCAL_CALL_SECONDS`, and the kill must land
    # in the server activity it moves to (a killed local one leaves no running activity to see).
    await watcher.fault(agency="residence_registry", subject=citizen, kind="delay", delay_seconds=3, times=2)
    async with (
        serving(create_app(own), own.api_host, own.api_port, "crash-api", own.http_keep_alive_seconds),
        httpx.AsyncClient(base_url=f"http://{own.api_host}:{own.api_port}", timeout=30) as api,
    ):
        crash_watcher = CaseWatcher(api, watcher.simulators, watcher.auth)
        async with worker_process(own) as first:
            case_id = await crash_watcher.start(citizen, "moving_house", MOVE)
            await _wait_activity_started(temporal, case_id, "register_residence")
            first.kill()
            await first.wait()
        async with worker_process(own):
            case = await crash_watcher.wait(citizen, case_id, within=90)
    assert case["status"] == "completed", case
    assert step(case, "register_residence")["attempts"] == 2
    for agency in ("residence_registry", "national_id", "tax_office", "health_insurance", "vehicle_registry"):
        assert len(await watcher.records(agency, case_id)) == 1, agency
