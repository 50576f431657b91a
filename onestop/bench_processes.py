"""The benchmarks' own small launcher: fresh servers, then the agency simulators, `onestop worker`
and `onestop api` as separate processes, as an operator runs them. A process of its own is what
the memory figure needs (the worker's RSS alone) and what the API's latency figure needs (no
worker or simulator sharing the API's or the load generator's event loop).

Private to the benchmarks: it starts what they measure and nothing else, on loopback ports.
`python -m onestop.bench_processes` runs the simulators alone until it is terminated.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from onestop.priority import yield_to_interactive
from onestop.stack import running_stack
from orchestrator.catalog import AGENCIES_FILE
from orchestrator.embedded import STARTUP_SECONDS, EmbeddedServers, free_port
from orchestrator.settings import Settings

_STOP_SECONDS = 15


@dataclass
class BenchProcesses:
    """What a benchmark talks to: settings that reach every part, the processes, and the API's
    base URL (None when no API runs)."""

    settings: Settings
    worker_pid: int
    api_url: str | None
    pids: dict[str, int]
    """Every process of the stack by name (temporal, mongodb, simulators, worker, api)."""


def bench_catalog(folder: Path, source: Path, definitions: dict[str, str]) -> Path:
    """The agency directory of `source` and the benchmark's own life events (file name -> YAML)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / AGENCIES_FILE, folder / AGENCIES_FILE)
    for name, text in definitions.items():
        (folder / name).write_text(text)
    return folder


@asynccontextmanager
async def separate_processes(
    settings: Settings, definitions: dict[str, str], *, api: bool, env: dict[str, str] | None = None
) -> AsyncIterator[BenchProcesses]:
    """Fresh servers, the simulators, a worker process and (with `api`) an API process; `env`
    adds ONESTOP_* settings for both processes. Everything stops on exit.

    The simulated agencies keep their records in a database server of their own, as agencies
    do: in OneStop's they were 8 writes per case beside OneStop's 4, and OneStop's requests
    queued behind them (`onestop dev` keeps one server for both: it is a development stack)."""
    home = Path(tempfile.mkdtemp(prefix="onestop-bench-"))
    servers = EmbeddedServers.scratch(
        home / "servers", fsync=settings.embedded_mongodb_fsync, temporal_nice=settings.background_nice
    )
    agencies_db = EmbeddedServers.mongodb_only(home / "agencies-db", nice=settings.background_nice)
    children: list[subprocess.Popen[bytes]] = []
    try:
        agencies_db.start_mongodb()
        await servers.wait_ready()
        await agencies_db.wait_ready()
        simulators = free_port()
        settings = settings.model_copy(
            update={
                "home": home,
                "temporal_address": servers.temporal_address,
                "mongodb_url": servers.mongodb_url,
                "mongodb_database": "onestop_bench",
                "catalog_path": bench_catalog(home / "catalog", settings.catalog_path, definitions),
                "simulator_port": simulators,
                "agency_base_url": f"http://127.0.0.1:{simulators}",
                "api_port": free_port(),
            }
        )
        common = _environment(settings) | (env or {})
        registry = common | {"ONESTOP_MONGODB_URL": agencies_db.mongodb_url}
        children.append(
            _spawn([sys.executable, "-m", "onestop.bench_processes"], "simulators", registry, home)
        )
        await _wait_healthy(settings.agency_base_url, "/docs", children, home)
        children.append(_spawn([_onestop(), "worker"], "worker", common, home))
        api_url = None
        if api:
            children.append(_spawn([_onestop(), "api"], "api", common, home))
            api_url = f"http://{settings.api_host}:{settings.api_port}"
            await _wait_healthy(api_url, "/readyz", children, home)
        temporal, mongodb = (p.pid for p in servers.processes)
        pids = {"temporal": temporal, "mongodb": mongodb, "agencies_db": agencies_db.processes[0].pid} | {
            name: child.pid for name, child in zip(("simulators", "worker", "api"), children, strict=False)
        }
        yield BenchProcesses(settings=settings, worker_pid=children[1].pid, api_url=api_url, pids=pids)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        servers.stop()
        agencies_db.stop()
        shutil.rmtree(home, ignore_errors=True)


def _environment(settings: Settings) -> dict[str, str]:
    """What the child processes need to reach the same servers with the same keys."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "ONESTOP_HOME": str(settings.home),
        "ONESTOP_TEMPORAL_ADDRESS": settings.temporal_address,
        "ONESTOP_MONGODB_URL": settings.mongodb_url,
        "ONESTOP_MONGODB_DATABASE": settings.mongodb_database,
        "ONESTOP_CATALOG_PATH": str(settings.catalog_path),
        "ONESTOP_AGENCY_BASE_URL": settings.agency_base_url,
        "ONESTOP_SIMULATOR_PORT": str(settings.simulator_port),
        "ONESTOP_API_HOST": settings.api_host,
        "ONESTOP_API_PORT": str(settings.api_port),
        "ONESTOP_LOG_LEVEL": "WARNING",
        "ONESTOP_BACKGROUND_NICE": str(settings.background_nice),
        "ONESTOP_LOG_JSON": "true",
        "ONESTOP_JWT_SECRET": settings.jwt_secret,
        "ONESTOP_PSEUDONYM_KEY": settings.pseudonym_key,
        "ONESTOP_PAYLOAD_KEYS": json.dumps(settings.payload_keys),
        "ONESTOP_PAYLOAD_KEY_ID": settings.payload_key_id,
        "ONESTOP_VAULT_KEYS": json.dumps(settings.vault_keys),
        "ONESTOP_VAULT_KEY_ID": settings.vault_key_id,
    }


def _onestop() -> str:
    return str(Path(sys.executable).parent / "onestop")


def _spawn(args: list[str], name: str, env: dict[str, str], home: Path) -> subprocess.Popen[bytes]:
    """In a session of its own, as `onestop dev` starts it: so its CPU priority is its own too
    (`orchestrator/cpu_priority.py`), not shared with the load generator's session."""
    with open(home / f"{name}.log", "ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


async def _wait_healthy(
    base_url: str, path: str, children: list[subprocess.Popen[bytes]], home: Path
) -> None:
    """Until `path` answers below 500; a child that exits meanwhile is an error at once, told with
    the end of its log (the folder goes when the benchmark ends)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as http:
        for _ in range(int(STARTUP_SECONDS / 0.1)):
            for child in children:
                if child.poll() is not None:
                    raise RuntimeError(f"{child.args!r} exited with {child.returncode}:\n{_logs(home)}")
            try:
                if (await http.get(path)).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{base_url}{path} did not answer within {STARTUP_SECONDS:.0f}s")


def _logs(home: Path) -> str:
    return "\n".join(f.read_text()[-1500:] for f in sorted(home.glob("*.log")))


async def _simulators_until_terminated() -> None:
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopped.set)
    settings = Settings()
    yield_to_interactive(settings)
    async with running_stack(settings, api=False, worker=False, simulators=True):
        await stopped.wait()


if __name__ == "__main__":
    asyncio.run(_simulators_until_terminated())
