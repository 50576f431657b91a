"""A fresh OneStop of real, separate processes for one `onestop chaos` scenario, on free loopback
ports under a scratch folder: the Temporal dev server (its SQLite file survives a kill -9),
OneStop's SecantusDB (journaled writes), the agencies' own SecantusDB (a registry is not
OneStop's database, so killing OneStop's leaves the agencies' records standing), the simulators,
one or more workers and the API, each a child of `onestop/processes.py`'s supervisor.

It kills and restarts only what it started, and `close` stops everything it started.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from types import TracebackType

from onestop.processes import ChildSpec, Supervisor
from orchestrator.embedded import EmbeddedServers, free_port
from orchestrator.settings import Settings

TEMPORAL = "temporal"
MONGODB = "secantusdb"

# What a chaos stack changes from the defaults, and why: sweeps often enough to repair within a
# scenario; an agency timeout short enough that "slow beyond the timeout" costs seconds, not tens
# of them; rate limits that a same-key burst of 20 from one citizen does not meet.
_TUNING = {
    "ONESTOP_RECONCILE_INTERVAL_SECONDS": "2",
    "ONESTOP_RECONCILE_QUIET_SECONDS": "5",
    "ONESTOP_AGENCY_TIMEOUT_SECONDS": "2",
    "ONESTOP_AGENCY_PROBE_SECONDS": "1",
    "ONESTOP_RATE_TRIGGERS_BURST": "1000",
    "ONESTOP_RATE_TRIGGERS_PER_MINUTE": "60000",
    "ONESTOP_LOG_LEVEL": "WARNING",
    "ONESTOP_LOG_JSON": "true",
}


class ChaosStack:
    """`async with ChaosStack(workers=2) as stack:` a running stack; `stack.settings` reaches it."""

    def __init__(self, workers: int = 1, keep: Path | None = None) -> None:
        """`keep`: put the scratch folder (data and logs) there and leave it, for a post-mortem."""
        self.home = Path(tempfile.mkdtemp(prefix="onestop-chaos-", dir=keep))
        self._keep = keep is not None
        self.workers = [f"worker-{i + 1}" for i in range(workers)]
        self.servers = EmbeddedServers(
            home=self.home,
            temporal_port=free_port(),
            temporal_ui_port=None,
            mongodb_port=free_port(),
            log_dir=self.home / "logs",
        )
        self.registry = EmbeddedServers.mongodb_only(
            self.home / "agencies", log_dir=self.home / "logs" / "agencies"
        )
        self.supervisor = Supervisor()
        self.settings = Settings.model_validate(
            {
                "environment": "development",
                "home": self.home,
                "temporal_address": self.servers.temporal_address,
                "mongodb_url": self.servers.mongodb_url,
                "api_port": free_port(),
                "simulator_port": free_port(),
                "task_queue": f"chaos-{uuid.uuid4().hex[:8]}",
            }
        )

    async def __aenter__(self) -> ChaosStack:
        try:
            self.servers.start_temporal()
            self.servers.start_mongodb()
            self.registry.start_mongodb()
            await self.servers.wait_ready()
            await self.registry.wait_ready()
            specs = [self._spec("simulators", mongodb_url=self.registry.mongodb_url)]
            specs += [self._spec(name, args=["worker"]) for name in self.workers]
            specs.append(self._spec("api"))
            await self.supervisor.start_all(specs)
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def _spec(self, name: str, *, args: list[str] | None = None, mongodb_url: str = "") -> ChildSpec:
        s = self.settings
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", str(self.home)),
            **_TUNING,
            "ONESTOP_ENVIRONMENT": "development",
            "ONESTOP_HOME": str(self.home),
            "ONESTOP_TEMPORAL_ADDRESS": s.temporal_address,
            "ONESTOP_MONGODB_URL": mongodb_url or s.mongodb_url,
            "ONESTOP_TASK_QUEUE": s.task_queue,
            "ONESTOP_API_PORT": str(s.api_port),
            "ONESTOP_SIMULATOR_PORT": str(s.simulator_port),
            "ONESTOP_JWT_SECRET": s.jwt_secret,
            "ONESTOP_CATALOG_PATH": str(s.catalog_path),
        }
        if "PYTHONPATH" in os.environ:  # a checkout under test comes first, as for us
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        return ChildSpec(name, args or [name], env, self.home / "logs" / f"{name}.log")

    async def kill_worker(self, name: str) -> None:
        await self.supervisor.kill(name)

    async def start_worker(self, name: str) -> None:
        await self.supervisor.start(self._spec(name, args=["worker"]))

    async def kill_server(self, name: str) -> None:
        """kill -9 the Temporal dev server (TEMPORAL) or OneStop's SecantusDB (MONGODB)."""
        self.servers.kill(name)

    async def start_server(self, name: str) -> None:
        """Start it again on the same port and files, and wait until it listens."""
        if name == TEMPORAL:
            self.servers.start_temporal()
        else:
            self.servers.start_mongodb()
        await self.servers.wait_ready()

    async def close(self) -> None:
        try:
            await self.supervisor.stop_all()
        finally:
            self.servers.stop()
            self.registry.stop()
            if not self._keep:
                shutil.rmtree(self.home, ignore_errors=True)
