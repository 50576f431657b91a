"""Runs OneStop's long-lived parts as child processes: `onestop dev` starts the agency simulators,
the worker and the API each in a process of its own (the API's event loop is then not the
worker's, and one can crash without the others), and `onestop chaos` kills and restarts them.

A child is the `onestop` command itself (`onestop simulators`, `worker` or `api`), configured by
`ONESTOP_*` variables alone, in a session of its own: Ctrl-C reaches the supervisor, which stops
the children in order instead of all at once. A child is ready when it prints its `ready` line on
stdout, which it does once its servers listen and its worker polls Temporal.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from orchestrator.embedded import tool

log = structlog.get_logger(__name__)

READY_SECONDS = 90.0  # a worker on a loaded 2-core machine imports for several seconds
STOP_SECONDS = 15.0
READY_LINE = b"ready"


@dataclass(frozen=True)
class ChildSpec:
    """One child: its name, the `onestop` arguments it runs, its whole environment, and the file
    its stderr (its logs) goes to; without one it shares the supervisor's."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_file: Path | None = None


class ChildFailed(RuntimeError):
    """A child exited before it was ready, or did not get ready in time."""


@dataclass
class _Child:
    spec: ChildSpec
    proc: asyncio.subprocess.Process
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None
    stopping: bool = False


class Supervisor:
    """Starts, stops, kills and restarts named children; every wait has a deadline, and only the
    processes it started are ever signalled."""

    def __init__(self, executable: str | None = None, ready_seconds: float = READY_SECONDS) -> None:
        self._executable = executable or tool("onestop")
        self._ready_seconds = ready_seconds
        self._children: dict[str, _Child] = {}
        self._order: list[str] = []  # names in first-start order

    def names(self) -> list[str]:
        return list(self._order)

    def pid(self, name: str) -> int:
        return self._children[name].proc.pid

    def running(self, name: str) -> bool:
        child = self._children.get(name)
        return child is not None and child.proc.returncode is None

    async def start(self, spec: ChildSpec) -> int:
        """Start a child and wait until it says it is ready; its pid."""
        if self.running(spec.name):
            raise ChildFailed(f"{spec.name} is already running (pid {self.pid(spec.name)})")
        if spec.name not in self._order:
            self._order.append(spec.name)
        sink = _open_log(spec.log_file)
        try:
            proc = await asyncio.create_subprocess_exec(
                self._executable,
                *spec.args,
                env={**spec.env, "PYTHONUNBUFFERED": "1"},  # its ready line must reach us at once
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=sink,
                start_new_session=True,
            )
        finally:
            if sink is not None:
                os.close(sink)
        child = _Child(spec, proc)
        child.reader = asyncio.create_task(_read_until_ready(proc, child.ready))
        self._children[spec.name] = child
        await self._wait_ready(child)
        log.info("child_ready", child=spec.name, pid=proc.pid)
        return proc.pid

    async def start_all(self, specs: list[ChildSpec]) -> None:
        """Start children side by side (each imports for seconds); `stop_all` stops them in
        reverse `specs` order."""
        await asyncio.gather(*(self.start(spec) for spec in specs))

    async def kill(self, name: str) -> None:
        """kill -9: the child gets no chance to finish anything it was doing."""
        child = self._children[name]
        child.stopping = True
        _signal(child.proc, signal.SIGKILL)
        await _reap(child)

    async def stop(self, name: str) -> None:
        """SIGTERM, and kill -9 if it has not stopped within STOP_SECONDS."""
        child = self._children[name]
        child.stopping = True
        _signal(child.proc, signal.SIGTERM)
        try:
            await asyncio.wait_for(child.proc.wait(), STOP_SECONDS)
        except TimeoutError:
            log.warning("child_killed_after_timeout", child=name)
            _signal(child.proc, signal.SIGKILL)
        await _reap(child)

    async def restart(self, name: str, *, hard: bool = False) -> int:
        """Stop (or with `hard`, kill -9) a child and start it again as it was; its new pid."""
        spec = self._children[name].spec
        await (self.kill(name) if hard else self.stop(name))
        return await self.start(spec)

    async def stop_all(self) -> None:
        """Every running child, newest first (the API before the worker before the simulators)."""
        for name in reversed(self._order):
            if self.running(name):
                await self.stop(name)

    async def watch(self, out: Callable[[str], None], restarts: int = 5) -> None:
        """Restart a child that exits on its own, `restarts` times in all; then give up (raise)."""
        left = restarts
        while True:
            waits = {
                asyncio.create_task(c.proc.wait()): name
                for name, c in self._children.items()
                if c.proc.returncode is None
            }
            if not waits:
                return
            try:
                done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in waits:
                    task.cancel()
            for task in done:
                name = waits[task]
                if self._children[name].stopping:
                    continue
                code = self._children[name].proc.returncode
                if left == 0:
                    raise ChildFailed(f"{name} exited with {code} and was restarted {restarts} times")
                left -= 1
                out(f"{name} exited with {code}: restarting it")
                await self.start(self._children[name].spec)

    async def _wait_ready(self, child: _Child) -> None:
        ready = asyncio.create_task(child.ready.wait())
        exited = asyncio.create_task(child.proc.wait())
        try:
            await asyncio.wait(
                {ready, exited}, timeout=self._ready_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            ready.cancel()
            exited.cancel()
        if child.ready.is_set():
            return
        where = f"; see {child.spec.log_file}" if child.spec.log_file else ""
        if child.proc.returncode is not None:
            raise ChildFailed(f"{child.spec.name} exited with {child.proc.returncode} while starting{where}")
        _signal(child.proc, signal.SIGKILL)
        await _reap(child)
        raise ChildFailed(f"{child.spec.name} was not ready within {self._ready_seconds:.0f}s{where}")


async def _read_until_ready(proc: asyncio.subprocess.Process, ready: asyncio.Event) -> None:
    """Watch stdout for the ready line, then keep draining it so the child never blocks on it."""
    assert proc.stdout is not None
    async for line in proc.stdout:
        if line.startswith(READY_LINE):
            ready.set()


def _open_log(path: Path | None) -> int | None:
    """A descriptor appending to the child's log (None: the child shares our stderr)."""
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def _signal(proc: asyncio.subprocess.Process, sig: signal.Signals) -> None:
    if proc.returncode is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)  # its own session: the group is the child and nothing else


async def _reap(child: _Child) -> None:
    await child.proc.wait()
    if child.reader is not None:
        await asyncio.wait({child.reader}, timeout=STOP_SECONDS)
