"""Runs OneStop's long-lived parts in one asyncio process: agency simulators, worker, API.

`onestop dev` runs all three; `onestop worker` and `onestop api` run one each. The test
fixtures use the same code, so the tests exercise what a user runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from datetime import timedelta

import structlog
import uvicorn
from fastapi import FastAPI

from activities.agency_client import AgencyPort
from activities.simulator import create_simulator_app
from api.app import create_app
from orchestrator.catalog import CatalogSource
from orchestrator.mongo import connect, ensure_indexes
from orchestrator.profile_store import ProfileStore
from orchestrator.profile_updates import ProfileUpdates
from orchestrator.reconciler import Reconciler
from orchestrator.retention import Retention
from orchestrator.settings import Settings
from orchestrator.stores import CaseStores
from orchestrator.temporal_client import connect_temporal
from orchestrator.worker import WorkerCapacity, agency_health, build_worker, connector_queues, http_agencies

log = structlog.get_logger(__name__)


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signals to the process owner (the CLI or pytest)."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@asynccontextmanager
async def serving(
    app: FastAPI, host: str, port: int, name: str, keep_alive_seconds: int
) -> AsyncIterator[uvicorn.Server]:
    """Serve `app` until the context ends. `keep_alive_seconds` outlasts the clients' own idle
    timeout: at uvicorn's 5 s, equal to httpx's, a test polling the API read a reset now and then
    (a connection the server closed as the client reused it).

    HTTP is parsed by httptools (C), named here so that a missing install fails at start rather
    than falling back to h11, in pure Python: with h11 the API spent 6.0 ms of CPU per trigger at
    50 triggers/s, with httptools 4.4, and the trigger's p50 went 11 -> 8.5 ms (`onestop bench
    --api-load`)."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http="httptools",
        log_level="warning",
        lifespan="on",
        timeout_keep_alive=keep_alive_seconds,
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            raise RuntimeError(f"{name} could not start on {host}:{port} (port in use?)")
        await asyncio.sleep(0.02)
    log.info("http_server_started", server=name, url=f"http://{host}:{port}")
    try:
        yield server
    finally:
        server.should_exit = True
        await task


async def _sweep_forever(reconciler: Reconciler, retention: Retention, settings: Settings) -> None:
    """Start orphans, re-project stale cases and remove personal data past its retention; a
    failed sweep is logged and tried again."""
    quiet = timedelta(seconds=settings.reconcile_quiet_seconds)
    while True:
        await asyncio.sleep(settings.reconcile_interval_seconds)
        try:
            await reconciler.sweep(quiet)
        except Exception:
            log.exception("reconcile_failed")
        try:
            await retention.sweep()
        except Exception:
            log.exception("retention_sweep_failed")


async def _cancelled(task: asyncio.Task[None]) -> None:
    """Cancel `task` and wait until it has stopped, so nothing it does outlives its resources."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@asynccontextmanager
async def running_stack(
    settings: Settings,
    *,
    api: bool = True,
    worker: bool = True,
    simulators: bool = True,
    agencies: AgencyPort | None = None,
) -> AsyncIterator[None]:
    """`agencies` replaces the HTTP agency adapter (benchmarks use the in-process one).

    The parts share one catalog, so the API, the worker's sweep and the simulators see the same
    files in the same state; a worker or an API run alone holds its own, reloaded the same way."""
    catalog = CatalogSource(settings.catalog_path)
    async with AsyncExitStack() as stack:
        mongo = connect(settings.mongodb_url, settings.mongodb_timeout_ms)
        stack.push_async_callback(mongo.close)
        db = mongo[settings.mongodb_database]
        await ensure_indexes(db)
        if simulators:
            sim_app = create_simulator_app(
                db,
                catalog.directory,
                settings.token_verifier(),
                rng=random.Random(),
                agency_timeout_seconds=settings.agency_timeout_seconds,
            )
            await stack.enter_async_context(
                serving(
                    sim_app,
                    settings.api_host,
                    settings.simulator_port,
                    "simulators",
                    settings.http_keep_alive_seconds,
                )
            )
        if worker:
            client = await connect_temporal(settings)
            health = None
            if agencies is None:
                connector, http = http_agencies(settings, catalog.directory)
                stack.push_async_callback(http.aclose)
                health = agency_health(settings, connector, db, client)
                stack.push_async_callback(health.close)
                agencies = connector
            w = build_worker(
                client,
                db,
                agencies,
                settings.task_queue,
                health,
                WorkerCapacity.of(settings),
                sealer=settings.vault_sealer(),
                pseudonyms=settings.pseudonyms(),
                sandboxed=settings.worker_sandbox,
            )
            await stack.enter_async_context(w)
            log.info("worker_started", task_queue=settings.task_queue)
            # Connector agencies with queues of their own, as the live directory names them; an
            # agency that runs its own worker is left to it (`onestop worker --agency NAME`).
            queues = connector_queues(
                settings, client, db, agencies, catalog.directory, health, sealer=settings.vault_sealer()
            )
            await queues.sync()
            stack.push_async_callback(queues.close)
            syncing = asyncio.create_task(queues.keep_in_step(settings.agency_queues_sync_seconds))
            stack.push_async_callback(_cancelled, syncing)
            stores = CaseStores.on(db, settings.vault_sealer())
            profiles = ProfileUpdates(
                stores, ProfileStore(db, settings.vault_sealer()), settings.pseudonyms()
            )
            reconciler = Reconciler(
                stores,
                client,
                settings.task_queue,
                catalog.directory,
                pseudonyms=settings.pseudonyms(),
                profiles=profiles,
            )
            retention = Retention(stores, profiles, settings.retention_days)
            sweeper = asyncio.create_task(_sweep_forever(reconciler, retention, settings))
            stack.callback(sweeper.cancel)
        if api:
            await stack.enter_async_context(
                serving(
                    create_app(settings, catalog),
                    settings.api_host,
                    settings.api_port,
                    "api",
                    settings.http_keep_alive_seconds,
                )
            )
        yield
