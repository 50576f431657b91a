"""How the long-running commands run: `onestop dev` as separate processes (the embedded servers,
then the simulators, the worker and the API, each a child), and `onestop worker`, `api`,
`simulators` (and `dev --one-process`) as parts of one asyncio process (`onestop/stack.py`).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

from onestop.processes import ChildSpec, Supervisor
from onestop.stack import running_stack
from onestop.startup_heap import freeze_startup_heap
from onestop.stopping import stop_on_signals
from orchestrator.embedded import EmbeddedServers
from orchestrator.settings import Settings

Out = Callable[[str], None]

PARTS = ("simulators", "worker", "api")
"""The children of `onestop dev`, in start order; they stop in reverse."""


def embedded(settings: Settings, ui: bool) -> EmbeddedServers | None:
    """Start whichever of Temporal and MongoDB has no configured address (and fill it in)."""
    if not (settings.embedded_temporal or settings.embedded_mongodb):
        return None
    servers = EmbeddedServers(
        home=settings.home,
        temporal_port=settings.temporal_port,
        temporal_ui_port=settings.temporal_ui_port if ui else None,
        mongodb_port=settings.mongodb_port,
        fsync=settings.embedded_mongodb_fsync,
        temporal_nice=settings.background_nice,
    )
    if settings.embedded_temporal:
        servers.start_temporal()
        settings.temporal_address = servers.temporal_address
    if settings.embedded_mongodb:
        servers.start_mongodb()
        settings.mongodb_url = servers.mongodb_url
    return servers


def _addresses(settings: Settings, out: Out, *, api: bool, simulators: bool, ui: bool) -> None:
    if api:
        out(f"OneStop API       http://{settings.api_host}:{settings.api_port}/docs")
    if simulators:
        out(f"Agency simulators http://{settings.api_host}:{settings.simulator_port}/docs")
    if ui:
        out(f"Temporal UI       http://127.0.0.1:{settings.temporal_ui_port}")
    out(f"MongoDB           {settings.mongodb_url}")


async def serve_in_process(
    settings: Settings, out: Out, *, api: bool, worker: bool, simulators: bool, ui: bool
) -> None:
    """The parts asked for in this process, until SIGINT or SIGTERM; then "stopped"."""
    stop = stop_on_signals()
    temporal_ui = settings.embedded_temporal and ui
    servers = embedded(settings, ui)
    try:
        if servers:
            await servers.wait_ready()
        async with running_stack(settings, api=api, worker=worker, simulators=simulators):
            freeze_startup_heap()
            _addresses(settings, out, api=api, simulators=simulators, ui=temporal_ui)
            out("ready: press Ctrl-C to stop")
            await stop.wait()
            out("stopping")
    finally:
        if servers:
            servers.stop()
    out("stopped")


def child_env(settings: Settings, inherited: dict[str, str]) -> dict[str, str]:
    """What a child needs beyond our own environment: where the servers we started listen, and
    the same home (so it reads the same dev keys)."""
    return {
        **inherited,
        "ONESTOP_HOME": str(settings.home.resolve()),
        "ONESTOP_TEMPORAL_ADDRESS": settings.temporal_address,
        "ONESTOP_MONGODB_URL": settings.mongodb_url,
    }


async def serve_processes(settings: Settings, out: Out) -> None:
    """`onestop dev`: the embedded servers, then one child process per part; a child that exits
    on its own is restarted (a few times); Ctrl-C stops the API, the worker, the simulators and
    the servers, in that order."""
    stop = stop_on_signals()
    temporal_ui = settings.embedded_temporal
    servers = embedded(settings, ui=True)
    supervisor = Supervisor()
    try:
        if servers:
            await servers.wait_ready()
        env = child_env(settings, dict(os.environ))
        await supervisor.start_all([ChildSpec(part, [part], env) for part in PARTS])
        _addresses(settings, out, api=True, simulators=True, ui=temporal_ui)
        for part in PARTS:
            out(f"{part:<17} pid {supervisor.pid(part)}")
        out("ready: press Ctrl-C to stop")
        watcher = asyncio.create_task(supervisor.watch(out))
        stopped = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait({watcher, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            watcher.cancel()
            stopped.cancel()
        if watcher in done:
            watcher.result()  # ChildFailed: a part that keeps exiting stops the whole stack
        out("stopping")
    finally:
        await supervisor.stop_all()
        if servers:
            servers.stop()
    out("stopped")
