"""One health probe per agency while it is down, instead of one call per waiting case.

After a few failures in a row the connector probes the agency; if the probe fails too (a failure
of one citizen's record is not an outage), it takes the agency for down: calls to it fail at once
(`agency_down`, retried by each case's durable backoff as any outage is) without reaching it, and
one probe per agency asks it every few seconds whether it is back. When it answers, every case
waiting on it is woken to try again at once, so cases resume within a probe interval of the
recovery, however long their own backoff had grown (up to an hour).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)

Probe = Callable[[str], Awaitable[bool]]
"""Is the agency answering again? (Any non-5xx answer counts: it is reachable and serving.)"""
Wake = Callable[[str], Awaitable[int]]
"""Wake every case waiting to retry the agency; returns how many were woken."""


class AgencyHealth:
    def __init__(
        self, probe: Probe, wake: Wake, *, interval_seconds: float = 5.0, threshold: int = 3
    ) -> None:
        self._probe = probe
        self._wake = wake
        self._interval = interval_seconds
        self._threshold = threshold
        self._failures: dict[str, int] = {}
        self._probes: dict[str, asyncio.Task[None]] = {}
        self._down: set[str] = set()

    def is_down(self, agency: str) -> bool:
        return agency in self._down

    def failed(self, agency: str) -> None:
        """A transient failure: the `threshold`-th in a row has the agency probed at once."""
        self._failures[agency] = self._failures.get(agency, 0) + 1
        if self._failures[agency] >= self._threshold and agency not in self._probes:
            self._probes[agency] = asyncio.ensure_future(self._watch(agency))

    def succeeded(self, agency: str) -> None:
        self._failures.pop(agency, None)

    async def _answers(self, agency: str) -> bool:
        try:
            return await self._probe(agency)
        except Exception:  # a probe that fails is an agency still down
            log.info("agency_probe_failed", agency=agency)
            return False

    async def _watch(self, agency: str) -> None:
        try:
            if await self._answers(agency):  # it serves: those failures were not an outage
                return
            self._down.add(agency)
            log.warning("agency_down", agency=agency, failures=self._failures.get(agency, 0))
            while True:
                await asyncio.sleep(self._interval)
                if await self._answers(agency):
                    break
            self._down.discard(agency)
            woken = await self._wake(agency)
            log.info("agency_recovered", agency=agency, cases_woken=woken)
        except Exception:  # calls reach the agency again: they find out themselves
            self._down.discard(agency)
            log.exception("agency_wake_failed", agency=agency)
        finally:
            self._failures.pop(agency, None)
            self._probes.pop(agency, None)

    async def close(self) -> None:
        for task in list(self._probes.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._probes.clear()
        self._down.clear()
